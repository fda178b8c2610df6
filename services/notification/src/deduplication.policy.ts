import type { InboxStore } from './inbox-store.js';
import type { NotificationCandidate } from './notification-candidate.js';
import { DELIVER, type NotificationPolicy, type PolicyVerdict } from './notification-policy.js';

/**
 * Drops a candidate whose dedupe key was already delivered: a digest flushed again after a
 * crash or a lost lease. It saves the later steps (a fatigue slot, rendering); the inbox's
 * atomic append on the same key is what guarantees a single delivery under races. Events
 * delivered twice by the log never get this far: the digest ignores an event it has seen.
 */
export class DeduplicationPolicy implements NotificationPolicy {
  readonly name = 'deduplication';

  constructor(private readonly inbox: InboxStore) {}

  async decide(candidate: NotificationCandidate, nowMs: number): Promise<PolicyVerdict> {
    const delivered = await this.inbox.wasDelivered(
      candidate.subject.userId,
      candidate.dedupeKey,
      nowMs,
    );
    return delivered ? { action: 'drop', reason: 'already-delivered' } : DELIVER;
  }
}
