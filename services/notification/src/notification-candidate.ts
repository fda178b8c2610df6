import { notificationv1 } from '@feedmesh/contracts';
import type { DigestSubject } from './activity.js';
import type { PendingDigest } from './digest-store.js';

/** A notification that may be sent: what the policies judge and the renderer words. */
export interface NotificationCandidate {
  /** The digest it comes from (DigestStore.actorEntries). */
  readonly digestId: string;
  readonly subject: DigestSubject;
  /** Distinct actors (users; blogs for NEW_POST and REACTIVATION), most recent first, ≤ 20. */
  readonly actorIds: readonly string[];
  readonly actorCount: number;
  /** Posts it links to when the subject spans several, most recent first. */
  readonly postIds: readonly string[];
  /** Events it stands for. */
  readonly count: number;
  readonly firstAtMs: number;
  readonly lastAtMs: number;
  /** Delivering two candidates with one key delivers one notification. */
  readonly dedupeKey: string;
}

export function candidateOf(digest: PendingDigest): NotificationCandidate {
  return {
    digestId: digest.digestId,
    subject: digest.subject,
    actorIds: digest.actorIds,
    actorCount: digest.actorCount,
    postIds: digest.postIds,
    count: digest.count,
    firstAtMs: digest.firstAtMs,
    lastAtMs: digest.lastAtMs,
    // A digest's id is its first entry's: retried flushes of one digest share the key.
    dedupeKey: `digest:${digest.digestId}`,
  };
}

/** Every post a candidate links to: the subject's, or the ones it lists. */
export function linkedPostIds(candidate: NotificationCandidate): string[] {
  return candidate.subject.postId !== '' ? [candidate.subject.postId] : [...candidate.postIds];
}

/**
 * The candidate without some of its posts and actors (a policy left them out): `actors` maps
 * each actor left out to the candidate's entries that were theirs (DigestStore.actorEntries),
 * and holds only actors the candidate has, listed or not; `postIds` are posts left out with
 * their actors, `deletedPosts` posts that no longer exist, linked or not, each with its blog
 * ('' when unknown). Its counts go down by what was left out of what they count: its actors by
 * those left out; for ACTIVITY, whose entries are the actors' events, by their entries; for
 * NEW_POST, whose entries are the blogs' posts, by the entries of the blogs left out (at least
 * by the listed posts left out with them) and one for each deleted post of a blog not left out.
 * A REACTIVATION or TRENDING candidate is one entry, however many posts.
 */
export function leaveOut(
  candidate: NotificationCandidate,
  postIds: ReadonlySet<string>,
  actors: ReadonlyMap<string, number>,
  deletedPosts: ReadonlyMap<string, string> = new Map(),
): NotificationCandidate {
  if (postIds.size === 0 && actors.size === 0 && deletedPosts.size === 0) return candidate;
  const keptPosts = candidate.postIds.filter(
    (postId) => !postIds.has(postId) && !deletedPosts.has(postId),
  );
  const keptActors = candidate.actorIds.filter((actorId) => !actors.has(actorId));
  const lostWithActors = candidate.postIds.filter((postId) => postIds.has(postId)).length;
  // A deleted post of a blog left out is among that blog's entries already.
  let lostDeleted = 0;
  for (const [postId, blogId] of deletedPosts) {
    if (!postIds.has(postId) && !actors.has(blogId)) lostDeleted += 1;
  }
  let lostActorEntries = 0;
  for (const entries of actors.values()) lostActorEntries += entries;
  const lostEntries =
    candidate.subject.type === notificationv1.NotificationType.NOTIFICATION_TYPE_NEW_POST
      ? Math.max(lostWithActors, lostActorEntries) + lostDeleted
      : candidate.subject.type === notificationv1.NotificationType.NOTIFICATION_TYPE_ACTIVITY
        ? lostActorEntries
        : 0;
  return {
    ...candidate,
    postIds: keptPosts,
    actorIds: keptActors,
    actorCount: Math.max(keptActors.length, candidate.actorCount - actors.size),
    count: Math.max(0, candidate.count - lostEntries),
  };
}

/**
 * Whether `rest` (the candidate with what policies left out, leaveOut) has nothing left to
 * tell: every actor gone; for ACTIVITY and NEW_POST, which live by their count (a NEW_POST
 * counts posts it does not link to), the count down to 0; for TRENDING and REACTIVATION, which
 * are their posts, every post gone.
 */
export function nothingLeft(
  candidate: NotificationCandidate,
  rest: NotificationCandidate,
): boolean {
  const counted =
    candidate.subject.type === notificationv1.NotificationType.NOTIFICATION_TYPE_ACTIVITY ||
    candidate.subject.type === notificationv1.NotificationType.NOTIFICATION_TYPE_NEW_POST;
  return (
    (candidate.actorCount > 0 && rest.actorCount === 0) ||
    (!counted && candidate.postIds.length > 0 && rest.postIds.length === 0) ||
    (counted && candidate.count > 0 && rest.count === 0)
  );
}
