import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import type { EventLog } from '@feedmesh/events';

export interface PostFacts {
  readonly postId: string;
  /** Empty when the post's PostCreated is no longer in the retained log. */
  readonly blogId: string;
  /** When it was created, or first seen when its PostCreated is not in the retained log. */
  readonly createdAtMs: number;
  /** When it was deleted (its first PostDeleted); undefined while it is not. */
  readonly deletedAtMs?: number;
}

/**
 * Whether the post was on the site at `atMs`, so the gateway could have served it then:
 * created at or before `atMs` and not deleted at or before it.
 */
export function aliveAt(post: PostFacts, atMs: number): boolean {
  return post.createdAtMs <= atMs && (post.deletedAtMs === undefined || post.deletedAtMs > atMs);
}

export interface EngagementFact {
  readonly userId: string;
  readonly postId: string;
  readonly kind: commonv1.EngagementKind;
  readonly atMs: number;
}

export interface ImpressionFact {
  readonly userId: string;
  readonly postId: string;
  readonly requestId: string;
  readonly atMs: number;
  /** The feature registry version of `featureValues`; empty when none were logged. */
  readonly featureSchema: string;
  /** The user's then the post's feature values the ranker saw, in `featureSchema` order. */
  readonly featureValues: readonly number[];
  /** Which of them were missing (a bitset over them); empty when none was. */
  readonly featureMissing: Uint8Array;
}

export interface FollowFact {
  readonly userId: string;
  readonly blogId: string;
  readonly atMs: number;
}

/**
 * What training needs from the event log, read in one pass over its history. Events are
 * de-duplicated by event_id (delivery is at least once, and history holds retried appends).
 */
export interface SiteHistory {
  readonly posts: ReadonlyMap<string, PostFacts>;
  /** Blog id -> the user who owns it. */
  readonly blogOwners: ReadonlyMap<string, string>;
  readonly engagements: readonly EngagementFact[];
  readonly impressions: readonly ImpressionFact[];
  readonly follows: readonly FollowFact[];
  /** The latest event time seen: "now" as far as the data knows. 0 for an empty log. */
  readonly horizonMs: number;
  readonly events: number;
}

export async function readSiteHistory(log: EventLog): Promise<SiteHistory> {
  const seen = new Set<string>();
  const posts = new Map<string, PostFacts>();
  const blogOwners = new Map<string, string>();
  const deletions = new Map<string, number>();
  const engagements: EngagementFact[] = [];
  const impressions: ImpressionFact[] = [];
  const follows: FollowFact[] = [];
  let horizonMs = 0;
  let events = 0;

  for await (const event of log.history()) {
    if (seen.has(event.eventId)) continue;
    seen.add(event.eventId);
    events += 1;
    const at = event.atMs;
    if (at > horizonMs) horizonMs = at;
    apply(event);
  }

  function apply(event: eventsv1.Event): void {
    const at = event.atMs;
    const payload = event.payload;
    switch (payload?.$case) {
      case 'postCreated': {
        const { postId, blogId } = payload.value;
        posts.set(postId, { postId, blogId, createdAtMs: at });
        return;
      }
      case 'postDeleted': {
        const { postId } = payload.value;
        const earlier = deletions.get(postId);
        if (earlier === undefined || at < earlier) deletions.set(postId, at);
        return;
      }
      case 'blogCreated':
        blogOwners.set(payload.value.blogId, payload.value.ownerUserId);
        return;
      case 'engagement': {
        const { userId, postId, kind } = payload.value;
        engagements.push({ userId, postId, kind, atMs: at });
        return;
      }
      case 'impression': {
        const { userId, postId, requestId, featureSchema, featureValues, featureMissing } =
          payload.value;
        impressions.push({
          userId,
          postId,
          requestId,
          atMs: at,
          featureSchema,
          featureValues,
          featureMissing,
        });
        return;
      }
      case 'follow':
        follows.push({ userId: payload.value.userId, blogId: payload.value.blogId, atMs: at });
        return;
      default:
        return;
    }
  }

  // A post whose PostCreated was trimmed from the log is still a post: known from when it
  // was first engaged with or served, without a blog.
  for (const fact of [...engagements, ...impressions]) {
    const known = posts.get(fact.postId);
    if (known === undefined || (known.blogId === '' && fact.atMs < known.createdAtMs)) {
      posts.set(fact.postId, { postId: fact.postId, blogId: '', createdAtMs: fact.atMs });
    }
  }

  // Deletion is final: the gateway never serves a deleted post again.
  for (const [postId, deletedAtMs] of deletions) {
    const known = posts.get(postId);
    if (known !== undefined) posts.set(postId, { ...known, deletedAtMs });
  }

  // History is ordered per partition only; joins below want time order.
  const byTime = <T extends { atMs: number }>(a: T, b: T) => a.atMs - b.atMs;
  engagements.sort(byTime);
  impressions.sort(byTime);
  follows.sort(byTime);
  return { posts, blogOwners, engagements, impressions, follows, horizonMs, events };
}

export const { EngagementKind } = commonv1;
