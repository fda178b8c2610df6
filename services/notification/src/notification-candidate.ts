import type { DigestSubject } from './activity.js';
import type { PendingDigest } from './digest-store.js';

/** A notification that may be sent: what the policies judge and the renderer words. */
export interface NotificationCandidate {
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
