import type { NotificationCandidate } from './notification-candidate.js';
import { DELIVER, type NotificationPolicy, type PolicyVerdict } from './notification-policy.js';
import { effectivePreferences, typePreference } from './preferences.js';
import type { PreferencesStore } from './preferences-store.js';

/**
 * Drops what the user switched off (SetPreferences). Channels do not filter here: the inbox
 * and Subscribe are the in-app record of every enabled type; push and email (the other
 * channels) are not delivered yet.
 */
export class PreferencesPolicy implements NotificationPolicy {
  readonly name = 'preferences';

  constructor(private readonly preferences: PreferencesStore) {}

  async decide(candidate: NotificationCandidate): Promise<PolicyVerdict> {
    const stored = await this.preferences.get(candidate.subject.userId);
    const preference = typePreference(effectivePreferences(stored), candidate.subject.type);
    return preference?.enabled === false ? { action: 'drop', reason: 'type-disabled' } : DELIVER;
  }
}
