import type { NotificationCandidate } from './notification-candidate.js';
import { DELIVER, type NotificationPolicy, type PolicyVerdict } from './notification-policy.js';
import { quietHoursEnd } from './local-time.js';
import { effectivePreferences } from './preferences.js';
import type { PreferencesStore } from './preferences-store.js';

/**
 * No buzz at 2 AM (LinkedIn's Air Traffic Controller): a candidate due in the user's quiet
 * hours, in their time zone, is delayed to the end of them, never dropped. A held ACTIVITY
 * digest keeps merging meanwhile, so the morning brings one "12 people liked your post".
 */
export class QuietHoursPolicy implements NotificationPolicy {
  readonly name = 'quiet-hours';

  constructor(private readonly preferences: PreferencesStore) {}

  async decide(candidate: NotificationCandidate, nowMs: number): Promise<PolicyVerdict> {
    const preferences = effectivePreferences(await this.preferences.get(candidate.subject.userId));
    const untilMs = quietHoursEnd(nowMs, {
      timeZone: preferences.timeZone,
      startMinute: preferences.quietStartMinute,
      endMinute: preferences.quietEndMinute,
    });
    return untilMs === undefined ? DELIVER : { action: 'delay', untilMs, reason: 'quiet-hours' };
  }
}
