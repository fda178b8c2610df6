import type { NotificationCandidate } from './notification-candidate.js';
import { DELIVER, type NotificationPolicy, type PolicyVerdict } from './notification-policy.js';
import type { PerType } from './type-settings.js';

/**
 * Drops news that went stale while it waited (quiet hours, fatigue, the budget): a new post
 * from yesterday or a trend of last night is no longer worth an interruption. The age is
 * counted from the newest thing the candidate digests. ACTIVITY has no limit by default: it
 * is about the user's own posts and stays true; the trigger already ignores old events.
 */
export class FreshnessPolicy implements NotificationPolicy {
  readonly name = 'freshness';

  constructor(private readonly maxAgeMs: PerType<number>) {}

  async decide(candidate: NotificationCandidate, nowMs: number): Promise<PolicyVerdict> {
    const maxAge = this.maxAgeMs.get(candidate.subject.type);
    if (maxAge === undefined || nowMs - candidate.lastAtMs <= maxAge) return DELIVER;
    return { action: 'drop', reason: 'stale' };
  }
}
