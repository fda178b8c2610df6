import { Attribution } from './attribution.js';
import type { ImpressionFact, SiteHistory } from './site-history.js';
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
 *
 * Last touch: an engagement is credited to one impression, the user's latest of the post at or
 * before it (within the window). A post served again by another request (the dashboard, then
 * search) ends the earlier impression's window there: what the user did after the second
 * showing labels the second, and the first is labelled only by what came before it. One
 * request's repeated impression of a post is one impression and ends nothing; two requests at
 * the same instant, the one logged last takes the credit.
 */
export function examplesFromImpressions(
  history: SiteHistory,
  attributionWindowMs: number,
): ImpressionExamples {
  const attribution = new Attribution(history, attributionWindowMs);
  const { impressions, nextAtMs } = distinctImpressions(history.impressions);
  const examples: TrainingExample[] = [];
  let immature = 0;
  for (const [i, impression] of impressions.entries()) {
    if (impression.atMs + attributionWindowMs > history.horizonMs) {
      immature += 1;
      continue;
    }
    examples.push({
      userId: impression.userId,
      postId: impression.postId,
      atMs: impression.atMs,
      labels: attribution.labels(
        impression.userId,
        impression.postId,
        impression.atMs,
        nextAtMs[i],
      ),
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

interface Touches {
  /** The first impression of each (user, post, request), in time order. */
  readonly impressions: readonly ImpressionFact[];
  /** For each, when the same user was next shown the same post by another request. */
  readonly nextAtMs: readonly (number | undefined)[];
}

function distinctImpressions(all: readonly ImpressionFact[]): Touches {
  const seen = new Set<string>();
  const latest = new Map<string, number>();
  const impressions: ImpressionFact[] = [];
  const nextAtMs: (number | undefined)[] = [];
  for (const impression of all) {
    const pairKey = `${impression.userId}\u0000${impression.postId}`;
    const key = `${pairKey}\u0000${impression.requestId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const previous = latest.get(pairKey);
    if (previous !== undefined) nextAtMs[previous] = impression.atMs;
    latest.set(pairKey, impressions.length);
    impressions.push(impression);
    nextAtMs.push(undefined);
  }
  return { impressions, nextAtMs };
}
