import { rankerv1, type candidatesv1, type commonv1 } from '@feedmesh/contracts';
import type { Assignment } from './assignment.js';
import type { ObjectiveName, PipelineOverrides } from './experiment-config.js';

/**
 * The contract shapes a variant's overrides become in the feed pipeline's requests: what the
 * gateway puts in Rank, Generate and the logged Impression. Kept here so the config's names
 * (`like`, `fresh`) meet the protos' in one place.
 */

const OBJECTIVE: Record<ObjectiveName, rankerv1.Objective> = {
  like: rankerv1.Objective.OBJECTIVE_LIKE,
  reblog: rankerv1.Objective.OBJECTIVE_REBLOG,
  reply: rankerv1.Objective.OBJECTIVE_REPLY,
  follow: rankerv1.Objective.OBJECTIVE_FOLLOW,
  hide: rankerv1.Objective.OBJECTIVE_HIDE,
};

/** RankRequest objective weights; empty when the variants set none (the ranker's default). */
export function objectiveWeightsOf(overrides: PipelineOverrides): rankerv1.ObjectiveWeight[] {
  return Object.entries(overrides.objectiveWeights ?? {}).map(([name, weight]) => ({
    objective: OBJECTIVE[name as ObjectiveName],
    weight: weight ?? 0,
  }));
}

/** GenerateRequest source budgets; timeoutMs 0 means the service default. */
export function sourceBudgetsOf(overrides: PipelineOverrides): candidatesv1.SourceBudget[] {
  return Object.entries(overrides.sourceBudgets ?? {}).map(([source, budget]) => ({
    source,
    maxCandidates: budget.maxCandidates,
    timeoutMs: budget.timeoutMs ?? 0,
  }));
}

/** What Impression.experiments and NotificationSent.experiments log: the exposure. */
export function exposureOf(assignments: readonly Assignment[]): commonv1.ExperimentAssignment[] {
  return assignments.map((a) => ({ experiment: a.experiment, variant: a.variant }));
}

/** A numeric mixer parameter, or the fallback when no variant sets it (or sets a non-number). */
export function mixerNumber(overrides: PipelineOverrides, name: string, fallback: number): number {
  const value = overrides.mixer?.[name];
  return typeof value === 'number' ? value : fallback;
}
