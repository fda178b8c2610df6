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

/** Every family the ranker can run. Later families (trees, factorization) join this union. */
export type ModelDocument = LogisticModelDocument;

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

/**
 * Checks a model read from the registry or a file: shape, finite numbers, one parameter per
 * feature, unique feature names and objectives. Throws InvalidArgumentError naming the path
 * inside the document.
 */
export function parseModelDocument(input: unknown): ModelDocument {
  const parsed = logisticDocument.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue ? pathOf(issue.path) : '(document)';
    throw new InvalidArgumentError(field || '(document)', issue?.message ?? 'invalid model');
  }
  const doc = parsed.data;
  const width = doc.features.length;
  const seen = new Set<string>();
  doc.features.forEach((feature, i) => {
    if (seen.has(feature.name)) {
      throw new InvalidArgumentError(`features[${i}].name`, `duplicate feature ${feature.name}`);
    }
    seen.add(feature.name);
  });
  if (doc.normalization.mean.length !== width) {
    throw new InvalidArgumentError('normalization.mean', `must have ${width} entries`);
  }
  if (doc.normalization.scale.length !== width) {
    throw new InvalidArgumentError('normalization.scale', `must have ${width} entries`);
  }
  const objectives = new Set<string>();
  doc.objectives.forEach((objective, i) => {
    if (objectives.has(objective.objective)) {
      throw new InvalidArgumentError(`objectives[${i}].objective`, 'duplicate objective');
    }
    objectives.add(objective.objective);
    if (objective.coefficients.length !== width) {
      throw new InvalidArgumentError(
        `objectives[${i}].coefficients`,
        `must have ${width} entries, one per feature`,
      );
    }
  });
  return doc as ModelDocument;
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
