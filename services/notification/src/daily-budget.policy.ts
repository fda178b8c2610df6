import type { NotificationCandidate } from './notification-candidate.js';
import type { NotificationPolicy, PolicyVerdict } from './notification-policy.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * At most `max` notifications per user in any 24 hours, all types together (Pinterest's volume
 * budget): whatever the triggers find, a user's day holds a bounded number of interruptions.
 * Over budget the candidate waits for the oldest send of the day to age out, like fatigue.
 * A rolling day rather than a calendar one: no burst at local midnight.
 */
export class DailyBudgetPolicy implements NotificationPolicy {
  readonly name = 'daily-budget';

  constructor(private readonly max: number) {}

  async decide(_candidate: NotificationCandidate): Promise<PolicyVerdict> {
    return {
      action: 'spend',
      claim: { counter: 'daily', max: this.max, windowMs: DAY_MS, minGapMs: 0 },
      reason: 'daily-budget',
    };
  }
}
