import { meter } from '@feedmesh/telemetry';

/**
 * Why a registry version was not loaded: its stored form cannot be read as a model
 * (`malformed`, never retried: versions are immutable), the registry no longer holds it in
 * full (`missing`: a pointer left dangling), or the registry could not be read
 * (`unavailable`, retried at the next poll).
 */
export type LoadFailureReason = 'malformed' | 'missing' | 'unavailable';

/**
 * Why Rank answered with another model than the current version asked for: an earlier
 * version of it, as its current version cannot be loaded (`previous_version`: one kept
 * loaded, or the latest earlier promoted one that loads); or, for the default model, the
 * built-in heuristic, as the registry has no current version of it (a fresh deployment), has
 * one this process could not load (and no earlier one loads either), or has not been read
 * since the process started.
 */
export type FallbackReason =
  'previous_version' | 'no_current_version' | 'current_version_unloadable' | 'registry_unreachable';

/**
 * What SREs and ML engineers watch of the ranker besides its RPC metrics, which count a
 * fallback or a request scored mostly on defaults as a success.
 */
export interface RankerMetrics {
  loadFailed(model: string, version: string, reason: LoadFailureReason): void;
  fellBack(model: string, reason: FallbackReason): void;
  featuresAbsent(model: string, version: string): void;
}

export const NO_RANKER_METRICS: RankerMetrics = {
  loadFailed: () => undefined,
  fellBack: () => undefined,
  featuresAbsent: () => undefined,
};

/** Take it after the process's telemetry started: a meter taken before records nothing. */
export function createRankerMetrics(): RankerMetrics {
  const m = meter('@feedmesh/ranker');
  const loadFailures = m.createCounter('feedmesh.ranker.model_load_failures', {
    description:
      'Registry versions the ranker refused or failed to load, by model, version and reason',
    unit: '{load}',
  });
  const fallbacks = m.createCounter('feedmesh.ranker.fallbacks', {
    description:
      'Rank calls answered by an earlier version of the model (its current one cannot be loaded) or, for the default model, by the built-in heuristic, by model and reason',
    unit: '{call}',
  });
  const absent = m.createCounter('feedmesh.ranker.requests_missing_features', {
    description:
      "Rank calls that lacked some of the scoring model's features (scored with its defaults)",
    unit: '{call}',
  });
  return {
    loadFailed: (model, version, reason) =>
      loadFailures.add(1, {
        'feedmesh.model': model,
        'feedmesh.model_version': version,
        'feedmesh.reason': reason,
      }),
    fellBack: (model, reason) =>
      fallbacks.add(1, { 'feedmesh.model': model, 'feedmesh.reason': reason }),
    featuresAbsent: (model, version) =>
      absent.add(1, { 'feedmesh.model': model, 'feedmesh.model_version': version }),
  };
}
