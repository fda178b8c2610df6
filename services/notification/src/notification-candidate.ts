import type { DigestSubject } from './activity.js';
import type { PendingDigest } from './digest-store.js';

/** A notification that may be sent: what the policies judge and the renderer words. */
export interface NotificationCandidate {
  readonly subject: DigestSubject;
  /** Distinct actors, most recent first, at most 20. */
  readonly actorIds: readonly string[];
  readonly actorCount: number;
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
    count: digest.count,
    firstAtMs: digest.firstAtMs,
    lastAtMs: digest.lastAtMs,
    // A digest's id is its first event's: retried flushes of one digest share the key.
    dedupeKey: `digest:${digest.digestId}`,
  };
}
