import { InvalidArgumentError } from '@feedmesh/errors';
import {
  MODEL_FORMAT,
  parseModelDocument,
  type RegressionTree,
  type TreeEnsembleModelDocument,
  type TreeEnsembleObjective,
} from './model-document.js';
import type { ObjectiveName } from './objectives.js';

/** The parts of XGBoost's JSON model (`booster.save_model('model.json')`) the import reads. */
interface XgboostTree {
  readonly left_children: readonly number[];
  readonly right_children: readonly number[];
  readonly split_indices: readonly number[];
  readonly split_conditions: readonly number[];
  readonly default_left: readonly (number | boolean)[];
  readonly split_type?: readonly number[];
}

export interface XgboostImportOptions {
  /** Feature names per model, when the models were trained without them (no `feature_names`). */
  readonly featureNames?: Readonly<Partial<Record<ObjectiveName, readonly string[]>>>;
  readonly defaultWeights?: Readonly<Partial<Record<ObjectiveName, number>>>;
  readonly description?: string;
}

/** Objectives whose base_score is a probability (the margin is its log-odds). */
const PROBABILITY_OBJECTIVES = new Set(['binary:logistic', 'reg:logistic']);
/** Objectives whose margin is served through a sigmoid as is. */
const MARGIN_OBJECTIVES = new Set([
  'binary:logitraw',
  'binary:hinge',
  'rank:pairwise',
  'rank:ndcg',
  'rank:map',
  'reg:squarederror',
]);

/**
 * A `gbdt` model from XGBoost JSON models trained elsewhere, one per objective (a binary
 * `binary:logistic` model gives calibrated probabilities; a ranking model's margin passes
 * through the sigmoid as is). Features are matched by name, so every model's feature names
 * must be known: from the file's `feature_names` or from `options.featureNames`. Inputs are
 * compared as 32-bit floats and a missing input follows each split's `default_left`, as in
 * XGBoost. Multi-class and multi-target models, boosters other than gbtree and categorical
 * splits are refused.
 */
export function importXgboostModels(
  models: Readonly<Partial<Record<ObjectiveName, unknown>>>,
  options: XgboostImportOptions = {},
): TreeEnsembleModelDocument {
  const features: string[] = [];
  const column = new Map<string, number>();
  const objectives: TreeEnsembleObjective[] = [];
  for (const [objective, raw] of Object.entries(models) as [ObjectiveName, unknown][]) {
    const at = `models.${objective}`;
    const learner = field(raw, 'learner', at) as Record<string, unknown>;
    const param = field(learner, 'learner_model_param', `${at}.learner`) as Record<string, unknown>;
    if (Number(param.num_class ?? 0) > 1) {
      throw new InvalidArgumentError(
        `${at}.learner.learner_model_param.num_class`,
        'multi-class models are not supported',
      );
    }
    // Each tree of a multi-target model adds to one target's margin (tree_info): summed
    // into one margin they would serve none of them.
    if (Number(param.num_target ?? 1) > 1) {
      throw new InvalidArgumentError(
        `${at}.learner.learner_model_param.num_target`,
        'multi-target models are not supported',
      );
    }
    const objectiveName = String(
      (field(learner, 'objective', `${at}.learner`) as Record<string, unknown>).name,
    );
    if (!PROBABILITY_OBJECTIVES.has(objectiveName) && !MARGIN_OBJECTIVES.has(objectiveName)) {
      throw new InvalidArgumentError(
        `${at}.learner.objective.name`,
        `unsupported objective ${objectiveName}`,
      );
    }
    const baseScore = Number(String(param.base_score ?? '0.5').replace(/[[\]]/g, ''));
    if (!Number.isFinite(baseScore)) {
      throw new InvalidArgumentError(
        `${at}.learner.learner_model_param.base_score`,
        'must be a number',
      );
    }
    const probability = PROBABILITY_OBJECTIVES.has(objectiveName);
    if (probability && !(baseScore > 0 && baseScore < 1)) {
      throw new InvalidArgumentError(
        `${at}.learner.learner_model_param.base_score`,
        `must be a probability in (0, 1) for ${objectiveName}, got ${baseScore}`,
      );
    }
    const baseMargin = probability ? Math.log(baseScore / (1 - baseScore)) : baseScore;
    const names = (learner.feature_names as string[] | undefined)?.length
      ? (learner.feature_names as string[])
      : options.featureNames?.[objective];
    if (names === undefined) {
      throw new InvalidArgumentError(
        `${at}.learner.feature_names`,
        'feature names are needed: pass featureNames',
      );
    }
    const toColumn = names.map((name) => {
      let index = column.get(name);
      if (index === undefined) {
        index = features.length;
        features.push(name);
        column.set(name, index);
      }
      return index;
    });
    const booster = field(learner, 'gradient_booster', `${at}.learner`) as Record<string, unknown>;
    // DART scales each tree by its weight_drop, gblinear has no trees: neither is a sum of
    // the trees below.
    if (booster.name !== undefined && booster.name !== 'gbtree') {
      throw new InvalidArgumentError(
        `${at}.learner.gradient_booster.name`,
        `booster ${String(booster.name)} is not supported (gbtree only)`,
      );
    }
    const model = field(booster, 'model', `${at}.learner.gradient_booster`) as Record<
      string,
      unknown
    >;
    const trees = field(model, 'trees', `${at}.learner.gradient_booster.model`) as XgboostTree[];
    objectives.push({
      objective,
      baseMargin,
      trees: trees.map((tree, t) =>
        treeOf(tree, toColumn, `${at}.learner.gradient_booster.model.trees[${t}]`),
      ),
    });
  }
  if (objectives.length === 0) throw new InvalidArgumentError('models', 'no model given');
  const defaultWeights: Partial<Record<ObjectiveName, number>> = {};
  for (const { objective } of objectives) {
    defaultWeights[objective] = options.defaultWeights?.[objective] ?? 1;
  }
  // Round-trips through the same checks as a model read from the registry.
  return parseModelDocument({
    format: MODEL_FORMAT,
    family: 'gbdt',
    description: options.description ?? 'imported from XGBoost',
    features: features.map((name) => ({ name, default: null, transform: 'identity' })),
    float32Inputs: true,
    objectives,
    defaultWeights,
  }) as TreeEnsembleModelDocument;
}

function treeOf(tree: XgboostTree, toColumn: readonly number[], at: string): RegressionTree {
  if (tree.split_type?.some((type) => type !== 0)) {
    throw new InvalidArgumentError(`${at}.split_type`, 'categorical splits are not supported');
  }
  const nodes = tree.left_children.length;
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const missingLeft: number[] = [];
  const value: number[] = [];
  for (let n = 0; n < nodes; n += 1) {
    const leaf = tree.left_children[n] === -1;
    const split = tree.split_indices[n] ?? 0;
    if (!leaf && toColumn[split] === undefined) {
      throw new InvalidArgumentError(
        `${at}.split_indices[${n}]`,
        `no feature name for index ${split}`,
      );
    }
    feature.push(leaf ? -1 : (toColumn[split] as number));
    // A leaf keeps its value where an inner node keeps its threshold.
    threshold.push(leaf ? 0 : (tree.split_conditions[n] as number));
    value.push(leaf ? (tree.split_conditions[n] as number) : 0);
    left.push(leaf ? -1 : (tree.left_children[n] as number));
    right.push(leaf ? -1 : (tree.right_children[n] as number));
    const defaultLeft = tree.default_left[n];
    missingLeft.push(defaultLeft === true || defaultLeft === 1 ? 1 : 0);
  }
  return { feature, threshold, left, right, missingLeft, value };
}

function field(value: unknown, key: string, at: string): unknown {
  if (typeof value !== 'object' || value === null || !(key in value)) {
    throw new InvalidArgumentError(`${at}.${key}`, 'is required');
  }
  return (value as Record<string, unknown>)[key];
}
