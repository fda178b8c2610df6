import { InvalidArgumentError } from '@feedmesh/errors';
import { z } from 'zod';
import { OBJECTIVES, type ObjectiveName } from './objectives.js';

/**
 * The stored form of a model: plain JSON, so the registry can keep it in Redis, a person can
 * read it, and a tool in another language can write one. The ranker compiles it into a
 * `Scorer` once per version, never per request.
 */
export const MODEL_FORMAT = 'feedmesh.model/v1';

/**
 * `log1p` compresses a heavy-tailed count (likes, followers) before the model sees it:
 * sign(x) * ln(1 + |x|), so negative inputs stay ordered.
 */
export type FeatureTransform = 'identity' | 'log1p';

export interface FeatureSpec {
  /** The feature-store name the input column must carry (`post.likes_7d`). */
  readonly name: string;
  /**
   * The raw value used when a request lacks the column, flags the value missing, or sends a
   * value that is not finite. Trained models use the training mean, so an absent feature
   * contributes nothing after standardization.
   */
  readonly default: number;
  readonly transform: FeatureTransform;
}

/** One objective of a logistic model: p = sigmoid(intercept + coefficients . z). */
export interface LogisticObjective {
  readonly objective: ObjectiveName;
  readonly intercept: number;
  /** One per feature, over standardized inputs z = (transform(x) - mean) / scale. */
  readonly coefficients: readonly number[];
}

export interface LogisticModelDocument {
  readonly format: typeof MODEL_FORMAT;
  readonly family: 'logistic';
  readonly description?: string;
  readonly features: readonly FeatureSpec[];
  /** Standardization of the transformed inputs, one entry per feature. */
  readonly normalization: { readonly mean: readonly number[]; readonly scale: readonly number[] };
  readonly objectives: readonly LogisticObjective[];
  /** How the final value weighs each objective's probability unless a request overrides it. */
  readonly defaultWeights: Readonly<Partial<Record<ObjectiveName, number>>>;
}

/**
 * One regression tree as parallel arrays (XGBoost's JSON layout): node 0 is the root; an
 * inner node sends `x < threshold[n]` to `left[n]`, anything else to `right[n]`, and a missing
 * input to `left[n]` when `missingLeft[n]` is 1; a leaf (`feature[n] === -1`) adds `value[n]`
 * to the objective's margin.
 */
export interface RegressionTree {
  readonly feature: readonly number[];
  readonly threshold: readonly number[];
  readonly left: readonly number[];
  readonly right: readonly number[];
  readonly missingLeft: readonly number[];
  readonly value: readonly number[];
}

/**
 * One objective of a tree ensemble: margin = baseMargin + the sum of each tree's leaf, and
 * p = sigmoid(calibration.slope * margin + calibration.intercept) (slope 1, intercept 0 when
 * absent). A ranking objective (LambdaMART) gives margins that only order well; the trainer
 * then fits `calibration` on held-out rows so the margin reads as a probability again.
 */
export interface TreeEnsembleObjective {
  readonly objective: ObjectiveName;
  readonly baseMargin: number;
  readonly trees: readonly RegressionTree[];
  readonly calibration?: { readonly slope: number; readonly intercept: number };
}

/** A tree's feature default may be null: the input is missing and follows `missingLeft`. */
export interface TreeFeatureSpec {
  readonly name: string;
  readonly default: number | null;
  readonly transform: FeatureTransform;
}

export interface TreeEnsembleModelDocument {
  readonly format: typeof MODEL_FORMAT;
  readonly family: 'gbdt';
  readonly description?: string;
  readonly features: readonly TreeFeatureSpec[];
  /**
   * Compare inputs rounded to 32-bit floats, as XGBoost does (its thresholds are float32):
   * set on imported models so a value equal to a threshold goes the same way as in XGBoost.
   */
  readonly float32Inputs?: boolean;
  readonly objectives: readonly TreeEnsembleObjective[];
  readonly defaultWeights: Readonly<Partial<Record<ObjectiveName, number>>>;
}

/** Every family the ranker can run. */
export type ModelDocument = LogisticModelDocument | TreeEnsembleModelDocument;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

const featureSpec = z.object({
  name: z.string().min(1).max(128),
  default: finite,
  transform: z.enum(['identity', 'log1p']).default('identity'),
});

const logisticDocument = z.object({
  format: z.literal(MODEL_FORMAT),
  family: z.literal('logistic'),
  description: z.string().max(1024).optional(),
  features: z.array(featureSpec).max(4096),
  normalization: z.object({
    mean: z.array(finite),
    scale: z.array(finite.refine((v) => v > 0, 'must be positive')),
  }),
  objectives: z
    .array(
      z.object({
        objective: z.enum(OBJECTIVES),
        intercept: finite,
        coefficients: z.array(finite),
      }),
    )
    .min(1),
  defaultWeights: z.partialRecord(z.enum(OBJECTIVES), finite),
});

const MAX_TREE_NODES = 1 << 16;
const nodeIndex = z.number().int().min(-1).max(MAX_TREE_NODES);

const regressionTree = z.object({
  feature: z.array(z.number().int().min(-1)).min(1).max(MAX_TREE_NODES),
  threshold: z.array(finite),
  left: z.array(nodeIndex),
  right: z.array(nodeIndex),
  missingLeft: z.array(z.number().int().min(0).max(1)),
  value: z.array(finite),
});

const treeEnsembleDocument = z.object({
  format: z.literal(MODEL_FORMAT),
  family: z.literal('gbdt'),
  description: z.string().max(1024).optional(),
  features: z
    .array(
      z.object({
        name: z.string().min(1).max(128),
        default: finite.nullable(),
        transform: z.enum(['identity', 'log1p']).default('identity'),
      }),
    )
    .max(4096),
  float32Inputs: z.boolean().optional(),
  objectives: z
    .array(
      z.object({
        objective: z.enum(OBJECTIVES),
        baseMargin: finite,
        trees: z.array(regressionTree).max(10_000),
        calibration: z.object({ slope: finite, intercept: finite }).optional(),
      }),
    )
    .min(1),
  defaultWeights: z.partialRecord(z.enum(OBJECTIVES), finite),
});

const anyDocument = z.discriminatedUnion('family', [logisticDocument, treeEnsembleDocument]);

/**
 * Checks a model read from the registry or a file: shape, finite numbers, one parameter per
 * feature (logistic) or well-formed trees over known features (gbdt), unique feature names
 * and objectives. Throws InvalidArgumentError naming the path inside the document.
 */
export function parseModelDocument(input: unknown): ModelDocument {
  const parsed = anyDocument.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue ? pathOf(issue.path) : '(document)';
    throw new InvalidArgumentError(field || '(document)', issue?.message ?? 'invalid model');
  }
  const doc = parsed.data;
  const seen = new Set<string>();
  doc.features.forEach((feature, i) => {
    if (seen.has(feature.name)) {
      throw new InvalidArgumentError(`features[${i}].name`, `duplicate feature ${feature.name}`);
    }
    seen.add(feature.name);
  });
  const objectives = new Set<string>();
  doc.objectives.forEach((objective, i) => {
    if (objectives.has(objective.objective)) {
      throw new InvalidArgumentError(`objectives[${i}].objective`, 'duplicate objective');
    }
    objectives.add(objective.objective);
  });
  if (doc.family === 'gbdt') {
    doc.objectives.forEach((objective, i) => {
      objective.trees.forEach((tree, t) =>
        checkTree(tree, doc.features.length, `objectives[${i}].trees[${t}]`),
      );
    });
    return doc as ModelDocument;
  }
  const width = doc.features.length;
  if (doc.normalization.mean.length !== width) {
    throw new InvalidArgumentError('normalization.mean', `must have ${width} entries`);
  }
  if (doc.normalization.scale.length !== width) {
    throw new InvalidArgumentError('normalization.scale', `must have ${width} entries`);
  }
  doc.objectives.forEach((objective, i) => {
    if (objective.coefficients.length !== width) {
      throw new InvalidArgumentError(
        `objectives[${i}].coefficients`,
        `must have ${width} entries, one per feature`,
      );
    }
  });
  return doc as ModelDocument;
}

/**
 * Every array one entry per node, features in range, children pointing forward (so a
 * traversal always ends at a leaf and no tree holds a cycle), and no node the child of two
 * splits (inference numbers each leaf once). A node no split leads to is allowed and ignored:
 * XGBoost leaves a pruned tree's deleted nodes in its arrays.
 */
function checkTree(tree: z.infer<typeof regressionTree>, width: number, at: string): void {
  const nodes = tree.feature.length;
  const hasParent = new Uint8Array(nodes);
  for (const key of ['threshold', 'left', 'right', 'missingLeft', 'value'] as const) {
    if (tree[key].length !== nodes) {
      throw new InvalidArgumentError(`${at}.${key}`, `must have ${nodes} entries, one per node`);
    }
  }
  for (let n = 0; n < nodes; n += 1) {
    const feature = tree.feature[n] as number;
    if (feature === -1) continue;
    if (feature >= width) {
      throw new InvalidArgumentError(`${at}.feature[${n}]`, `must be below ${width}`);
    }
    for (const side of ['left', 'right'] as const) {
      const child = tree[side][n] as number;
      if (child <= n || child >= nodes) {
        throw new InvalidArgumentError(
          `${at}.${side}[${n}]`,
          `must name a later node, below ${nodes}`,
        );
      }
      if (hasParent[child] === 1) {
        throw new InvalidArgumentError(
          `${at}.${side}[${n}]`,
          `node ${child} is already the child of another split`,
        );
      }
      hasParent[child] = 1;
    }
  }
}

function pathOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  }
  return out;
}

export function featureNamesOf(model: ModelDocument): string[] {
  return model.features.map((f) => f.name);
}

export function objectivesOf(model: ModelDocument): ObjectiveName[] {
  return model.objectives.map((o) => o.objective);
}
