import type { NotificationCandidate } from './notification-candidate.js';
import { DELIVER, type NotificationPolicy, type PolicyVerdict } from './notification-policy.js';
import type { FatigueLimit, PerType } from './type-settings.js';

/**
 * Per type, at most `max` notifications per user in any `windowMs`, each at least `minGapMs`
 * after the previous one (the-algorithm's pushservice fatigue). Over the limit the candidate
 * is delayed until a slot frees, not dropped: a held ACTIVITY digest keeps merging, so the user
 * later gets one "40 people liked your post"; news that goes stale meanwhile is dropped by the
 * freshness policy. Types without a limit pass.
 */
export class FatiguePolicy implements NotificationPolicy {
  readonly name = 'fatigue';

  constructor(private readonly limits: PerType<FatigueLimit>) {}

  async decide(candidate: NotificationCandidate): Promise<PolicyVerdict> {
    const { type } = candidate.subject;
    const limit = this.limits.get(type);
    if (limit === undefined) return DELIVER;
    return {
      action: 'spend',
      claim: { counter: `type:${type}`, ...limit },
      reason: 'fatigue-limit',
    };
  }
}
