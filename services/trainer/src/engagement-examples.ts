import type { SeededRandom } from '@feedmesh/models';
import { Attribution, objectiveOfKind } from './attribution.js';
import type { PostFacts, SiteHistory } from './site-history.js';
import { NO_LABELS, type TrainingExample } from './training-example.js';

export interface EngagementExampleOptions {
  readonly attributionWindowMs: number;
  readonly negativesPerPositive: number;
  readonly random: SeededRandom;
}

/**
 * Training data before any impression was logged: each (user, post) the user liked,
 * reblogged, replied to or hid is a positive example at its first such engagement, labelled
 * by everything the user did within the attribution window. Negatives are posts sampled
 * uniformly among those that existed by then, which the user never engaged with in any way
 * and does not own: "could have been shown, was not chosen". That is a weaker negative than
 * a served impression the user ignored, which is why impressions win once they exist.
 */
export function examplesFromEngagements(
  history: SiteHistory,
  options: EngagementExampleOptions,
): TrainingExample[] {
  const attribution = new Attribution(history, options.attributionWindowMs);
  const byCreation = [...history.posts.values()].sort(
    (a, b) => a.createdAtMs - b.createdAtMs || (a.postId < b.postId ? -1 : 1),
  );
  const ownedBy = new Map<string, Set<string>>();
  for (const [blogId, userId] of history.blogOwners) {
    let blogs = ownedBy.get(userId);
    if (blogs === undefined) ownedBy.set(userId, (blogs = new Set()));
    blogs.add(blogId);
  }

  const examples: TrainingExample[] = [];
  const positives = new Set<string>();
  const sampledFor = new Map<string, Set<string>>();
  for (const engagement of history.engagements) {
    if (objectiveOfKind(engagement.kind) === undefined) continue;
    const key = `${engagement.userId}\u0000${engagement.postId}`;
    if (positives.has(key)) continue;
    positives.add(key);
    const { userId, postId, atMs } = engagement;
    examples.push({ userId, postId, atMs, labels: attribution.labels(userId, postId, atMs) });

    let sampled = sampledFor.get(userId);
    if (sampled === undefined) sampledFor.set(userId, (sampled = new Set()));
    const own = ownedBy.get(userId);
    const eligible = existingAt(byCreation, atMs);
    let wanted = options.negativesPerPositive;
    // Bounded: a user who engaged with nearly everything simply gets fewer negatives.
    for (let attempt = 0; wanted > 0 && attempt < options.negativesPerPositive * 10; attempt += 1) {
      if (eligible === 0) break;
      const post = byCreation[options.random.int(0, eligible - 1)] as PostFacts;
      if (sampled.has(post.postId) || attribution.engaged(userId, post.postId)) continue;
      if (own?.has(post.blogId)) continue;
      sampled.add(post.postId);
      examples.push({ userId, postId: post.postId, atMs, labels: NO_LABELS });
      wanted -= 1;
    }
  }
  return examples;
}

/** How many posts (a prefix of `byCreation`) were created at or before `atMs`. */
function existingAt(byCreation: readonly PostFacts[], atMs: number): number {
  let lo = 0;
  let hi = byCreation.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((byCreation[mid] as PostFacts).createdAtMs <= atMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
