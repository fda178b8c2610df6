import type { SeededRandom } from '@feedmesh/models';
import { Attribution, objectiveOfKind } from './attribution.js';
import { aliveAt, type PostFacts, type SiteHistory } from './site-history.js';
import { NO_LABELS, type TrainingExample } from './training-example.js';

export interface EngagementExampleOptions {
  readonly attributionWindowMs: number;
  readonly negativesPerPositive: number;
  readonly random: SeededRandom;
}

export interface EngagementExamples {
  readonly examples: TrainingExample[];
  /**
   * Engaged (user, post) pairs too recent to label: the attribution window after their first
   * engagement has not closed by the newest event. Left, with their negatives, for a later run.
   */
  readonly immature: number;
}

/**
 * Training data before any impression was logged: each (user, post) the user liked,
 * reblogged, replied to, hid or reported is a positive example when the user met the post,
 * labelled by everything they did within the attribution window after: at its first such
 * engagement, or at the click or share that led to it (their first engagement of any kind
 * within the window before), since features as of the like would count that click or share, which a sampled
 * negative never has. Negatives are posts sampled
 * uniformly among those the gateway could have served the user at that time: created at or
 * before it, not deleted by then, not on a blog the user owns, and never engaged with by the
 * user in any way: "could have been shown, was not chosen". That is a weaker negative than
 * a served impression the user ignored, which is why impressions win once they exist.
 *
 * Positives obey the same serving rules, or the model would learn them as shortcuts: an
 * engagement with the user's own post, or with a post already deleted, is no example. Pairs
 * whose attribution window is still open at the newest event are left for a later run, as
 * for impressions, or their labels would miss what the user has not had time to do yet.
 */
export function examplesFromEngagements(
  history: SiteHistory,
  options: EngagementExampleOptions,
): EngagementExamples {
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
  // The gateway's own-post filter: a post on one of the reader's blogs is never served.
  const servable = (userId: string, post: PostFacts | undefined, atMs: number) =>
    post !== undefined && aliveAt(post, atMs) && !ownedBy.get(userId)?.has(post.blogId);

  const examples: TrainingExample[] = [];
  const positives = new Set<string>();
  const sampledFor = new Map<string, Set<string>>();
  let immature = 0;
  for (const engagement of history.engagements) {
    if (objectiveOfKind(engagement.kind) === undefined) continue;
    const key = `${engagement.userId}\u0000${engagement.postId}`;
    if (positives.has(key)) continue;
    positives.add(key);
    const { userId, postId } = engagement;
    const atMs = attribution.metAt(userId, postId, engagement.atMs);
    if (!servable(userId, history.posts.get(postId), atMs)) continue;
    if (atMs + options.attributionWindowMs > history.horizonMs) {
      immature += 1;
      continue;
    }
    examples.push({ userId, postId, atMs, labels: attribution.labels(userId, postId, atMs) });

    let sampled = sampledFor.get(userId);
    if (sampled === undefined) sampledFor.set(userId, (sampled = new Set()));
    const eligible = existingAt(byCreation, atMs);
    let wanted = options.negativesPerPositive;
    // Bounded: a user who engaged with nearly everything, or a site whose posts are mostly
    // deleted, simply gets fewer negatives.
    for (let attempt = 0; wanted > 0 && attempt < options.negativesPerPositive * 10; attempt += 1) {
      if (eligible === 0) break;
      const post = byCreation[options.random.int(0, eligible - 1)] as PostFacts;
      if (sampled.has(post.postId) || attribution.engaged(userId, post.postId)) continue;
      if (!servable(userId, post, atMs)) continue;
      sampled.add(post.postId);
      examples.push({ userId, postId: post.postId, atMs, labels: NO_LABELS });
      wanted -= 1;
    }
  }
  return { examples, immature };
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
