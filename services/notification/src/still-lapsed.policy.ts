import { notificationv1 } from '@feedmesh/contracts';
import type { NotificationCandidate } from './notification-candidate.js';
import { DELIVER, type NotificationPolicy, type PolicyVerdict } from './notification-policy.js';
import type { SessionStore } from './session-store.js';

/**
 * "Here's what you missed" is only for users still lapsed: a REACTIVATION candidate is dropped
 * once the user has had a session after the one its lapse followed (they came back while it
 * waited for quiet hours, a fatigue slot or the budget). Its subject's `topic` is that last
 * session's time (ReactivationJob).
 */
export class StillLapsedPolicy implements NotificationPolicy {
  readonly name = 'still-lapsed';

  constructor(private readonly sessions: SessionStore) {}

  async decide(candidate: NotificationCandidate): Promise<PolicyVerdict> {
    const { type, userId } = candidate.subject;
    if (type !== notificationv1.NotificationType.NOTIFICATION_TYPE_REACTIVATION) return DELIVER;
    const session = await this.sessions.get(userId);
    return session !== undefined && session.lastAtMs > lapseStartOf(candidate)
      ? { action: 'drop', reason: 'came-back' }
      : DELIVER;
  }
}

/**
 * When the lapse a REACTIVATION candidate answers began: its topic. A digest queued before the
 * topic carried it (topic '') uses when it was queued: the user was lapsed then.
 */
function lapseStartOf(candidate: NotificationCandidate): number {
  const { topic } = candidate.subject;
  return topic === '' ? candidate.firstAtMs : Number(topic);
}
