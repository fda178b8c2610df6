import type { ObjectiveName } from '@feedmesh/models';
import { creditedTouch, DEFAULT_CLOCK_SKEW_MS, objectiveOfKind } from './attribution.js';
import type { ImpressionFact, SiteHistory } from './site-history.js';
import { NO_LABELS, type TrainingExample } from './training-example.js';

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
 * the same instant, the one logged last takes the credit. A follow is credited the same way
 * per blog: to the user's latest impression of any of the blog's posts before it.
 *
 * Clock skew: impressions are stamped by the gateway, engagements and follows by the client.
 * One stamped up to `clockSkewMs` before an impression, with no earlier impression it could
 * belong to, is credited to the first such impression after it. The example keeps the
 * impression's time; its point-in-time features are read as of the earliest such event
 * (`featuresAtMs`), since features as of the impression would already count it.
 */
export function examplesFromImpressions(
  history: SiteHistory,
  attributionWindowMs: number,
  clockSkewMs = DEFAULT_CLOCK_SKEW_MS,
): ImpressionExamples {
  const impressions = distinctImpressions(history.impressions);
  const labels = impressions.map(() => ({ ...NO_LABELS }) as Record<ObjectiveName, 0 | 1>);
  const featuresAtMs = impressions.map((impression) => impression.atMs);
  const credit = (touches: readonly Touch[] | undefined, atMs: number) => {
    if (touches === undefined) return undefined;
    const position = creditedTouch(touches, atMs, attributionWindowMs, clockSkewMs);
    const touch = position === undefined ? undefined : touches[position];
    if (touch === undefined) return undefined;
    // Stamped before its impression (a slow clock): features as of the impression count it.
    featuresAtMs[touch.index] = Math.min(featuresAtMs[touch.index] as number, atMs);
    return touch.index;
  };

  const ofPost = touchesBy(impressions, (impression) => impression.postId);
  for (const engagement of history.engagements) {
    const touches = ofPost.get(pair(engagement.userId, engagement.postId));
    // Every kind moves the features' instant (a click counts there too); some kinds label.
    const index = credit(touches, engagement.atMs);
    const objective = objectiveOfKind(engagement.kind);
    if (index !== undefined && objective !== undefined) labels[index]![objective] = 1;
  }
  const ofBlog = touchesBy(
    impressions,
    (impression) => history.posts.get(impression.postId)?.blogId,
  );
  for (const follow of history.follows) {
    const index = credit(ofBlog.get(pair(follow.userId, follow.blogId)), follow.atMs);
    if (index !== undefined) labels[index]!.follow = 1;
  }

  const examples: TrainingExample[] = [];
  let immature = 0;
  for (const [i, impression] of impressions.entries()) {
    if (impression.atMs + attributionWindowMs > history.horizonMs) {
      immature += 1;
      continue;
    }
    const asOf = featuresAtMs[i] as number;
    examples.push({
      userId: impression.userId,
      postId: impression.postId,
      atMs: impression.atMs,
      labels: labels[i]!,
      ...(asOf < impression.atMs ? { featuresAtMs: asOf } : {}),
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

const pair = (a: string, b: string) => `${a}\u0000${b}`;

/** An impression (by index) as a touch: what the user did may be credited to it. */
interface Touch {
  readonly index: number;
  readonly atMs: number;
}

/**
 * Each (user, key of the impression)'s impressions in time order (ties in log order); an
 * impression whose key is undefined or empty (a post whose blog is unknown) is in none.
 */
function touchesBy(
  impressions: readonly ImpressionFact[],
  keyOf: (impression: ImpressionFact) => string | undefined,
): Map<string, Touch[]> {
  const touches = new Map<string, Touch[]>();
  impressions.forEach((impression, index) => {
    const key = keyOf(impression);
    if (key === undefined || key === '') return;
    const userKey = pair(impression.userId, key);
    let list = touches.get(userKey);
    if (list === undefined) touches.set(userKey, (list = []));
    list.push({ index, atMs: impression.atMs });
  });
  return touches;
}

/** The first impression of each (user, post, request), in time order. */
function distinctImpressions(all: readonly ImpressionFact[]): ImpressionFact[] {
  const seen = new Set<string>();
  const impressions: ImpressionFact[] = [];
  for (const impression of all) {
    const key = `${impression.userId}\u0000${impression.postId}\u0000${impression.requestId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    impressions.push(impression);
  }
  return impressions;
}
