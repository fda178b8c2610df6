import type { FatigueStore } from './fatigue-store.js';
import type { NotificationCandidate } from './notification-candidate.js';
import { DELIVER, type NotificationPolicy, type PolicyVerdict } from './notification-policy.js';

export interface FatigueLimit {
  /** At most this many notifications of the type... */
  readonly max: number;
  /** ...in any window this long, ms. */
  readonly windowMs: number;
}

/**
 * At most `max` notifications of a type per user in any `windowMs`. Over the limit the
 * candidate is delayed until a slot frees, not dropped: a held digest keeps merging activity,
 * so the user later gets one "40 people liked your post" instead of losing it. Types without a
 * limit pass. Last in the pipeline, because passing it takes the slot.
 */
export class FatiguePolicy implements NotificationPolicy {
  readonly name = 'fatigue';

  constructor(
    private readonly fatigue: FatigueStore,
    private readonly limits: ReadonlyMap<number, FatigueLimit>,
  ) {}

  async decide(candidate: NotificationCandidate, nowMs: number): Promise<PolicyVerdict> {
    const { userId, type } = candidate.subject;
    const limit = this.limits.get(type);
    if (limit === undefined) return DELIVER;
    const decision = await this.fatigue.acquire(userId, type, nowMs, limit);
    if (decision.granted) return DELIVER;
    return { action: 'delay', untilMs: decision.retryAtMs, reason: 'fatigue-limit' };
  }
}
