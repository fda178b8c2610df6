import type {
  ExperimentConfig,
  ExperimentsConfig,
  ObjectiveName,
  PipelineOverrides,
  SourceBudgetOverride,
} from './experiment-config.js';
import { chooseVariant, growthbookHash, inNamespace } from './growthbook-hash.js';

/** One experiment a user is in, and what its variant changes. */
export interface Assignment {
  readonly layer: string;
  readonly experiment: string;
  readonly variant: string;
  readonly overrides: PipelineOverrides;
  /** The user's hash position in [0, 1) for this experiment's seed. */
  readonly bucket: number;
}

/**
 * The variants a user is in: at most one experiment per layer (the layer is a GrowthBook
 * namespace and its experiments hold disjoint slices of it), and any number across layers
 * (each experiment hashes with its own seed, so layers split users independently).
 * Deterministic: the same user and config give the same answer in every replica.
 */
export function assign(userId: string, config: ExperimentsConfig): Assignment[] {
  // GrowthBook skips users without an id rather than lumping them into one bucket.
  if (userId === '') return [];
  const out: Assignment[] = [];
  for (const layer of config.layers) {
    for (const experiment of layer.experiments) {
      const assignment = assignExperiment(userId, experiment);
      if (assignment) {
        out.push(assignment);
        break;
      }
    }
  }
  return out;
}

/** The user's variant of one experiment, or undefined when outside its slice or coverage. */
export function assignExperiment(
  userId: string,
  experiment: ExperimentConfig,
): Assignment | undefined {
  if (userId === '') return undefined;
  const [start, end] = experiment.namespace;
  const wholeLayer = start === 0 && end === 1;
  if (!wholeLayer && !inNamespace(userId, [experiment.layer, start, end])) return undefined;
  const bucket = growthbookHash(experiment.seed, userId, experiment.hashVersion);
  const index = chooseVariant(bucket, experiment.ranges);
  const variant = experiment.variants[index];
  if (!variant) return undefined;
  return {
    layer: experiment.layer,
    experiment: experiment.key,
    variant: variant.name,
    overrides: variant.overrides,
    bucket,
  };
}

/**
 * The pipeline parameters a user gets from all their variants together. The config
 * validator guarantees no two layers override the same parameter, so the merge never
 * has to pick a winner.
 */
export function mergedOverrides(assignments: readonly Assignment[]): PipelineOverrides {
  let model: string | undefined;
  const objectiveWeights: Partial<Record<ObjectiveName, number>> = {};
  const sourceBudgets: Record<string, SourceBudgetOverride> = {};
  const mixer: Record<string, number | boolean | string> = {};
  for (const { overrides } of assignments) {
    model ??= overrides.model;
    Object.assign(objectiveWeights, overrides.objectiveWeights);
    Object.assign(sourceBudgets, overrides.sourceBudgets);
    Object.assign(mixer, overrides.mixer);
  }
  return {
    ...(model !== undefined ? { model } : {}),
    ...(Object.keys(objectiveWeights).length > 0 ? { objectiveWeights } : {}),
    ...(Object.keys(sourceBudgets).length > 0 ? { sourceBudgets } : {}),
    ...(Object.keys(mixer).length > 0 ? { mixer } : {}),
  };
}
