import { Attribution } from './attribution.js';
import type { SiteHistory } from './site-history.js';
import type { TrainingExample } from './training-example.js';

export interface ImpressionExamples {
  readonly examples: TrainingExample[];
  /** Impressions too recent to label: their attribution window has not closed yet. */
  readonly immature: number;
}

/**
 * "Log and wait": each served impression is an example, labelled by what the user did to the
 * post within the attribution window after it. Impressions whose window extends past the
 * newest event are left for a later run, or they would count as negatives only because the
 * user has not had time to react.
 */
export function examplesFromImpressions(
  history: SiteHistory,
  attributionWindowMs: number,
): ImpressionExamples {
  const attribution = new Attribution(history, attributionWindowMs);
  const seen = new Set<string>();
  const examples: TrainingExample[] = [];
  let immature = 0;
  for (const impression of history.impressions) {
    const key = `${impression.userId}\u0000${impression.postId}\u0000${impression.requestId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (impression.atMs + attributionWindowMs > history.horizonMs) {
      immature += 1;
      continue;
    }
    examples.push({
      userId: impression.userId,
      postId: impression.postId,
      atMs: impression.atMs,
      labels: attribution.labels(impression.userId, impression.postId, impression.atMs),
      ...(impression.featureSchema !== '' && impression.featureValues.length > 0
        ? {
            served: {
              schema: impression.featureSchema,
              values: impression.featureValues,
              missing: impression.featureMissing,
            },
          }
        : {}),
    });
  }
  return { examples, immature };
}
