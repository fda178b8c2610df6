import { notificationv1 } from '@feedmesh/contracts';

const { NotificationType, Channel } = notificationv1;

/** Every type a user can switch, in the order GetPreferences lists them. */
export const NOTIFICATION_TYPES: readonly notificationv1.NotificationType[] = [
  NotificationType.NOTIFICATION_TYPE_ACTIVITY,
  NotificationType.NOTIFICATION_TYPE_NEW_POST,
  NotificationType.NOTIFICATION_TYPE_TRENDING,
  NotificationType.NOTIFICATION_TYPE_REACTIVATION,
];

/** The contract's "empty means in-app only". */
const DEFAULT_CHANNELS: readonly notificationv1.Channel[] = [Channel.CHANNEL_IN_APP];

/**
 * What a user's preferences amount to, with every default spelled out: each type listed (in
 * NOTIFICATION_TYPES order) with its channels, the time zone named. The form GetPreferences
 * returns and the policies read. A user who never set any gets the defaults: everything
 * enabled, in-app, UTC, no quiet hours.
 */
export function effectivePreferences(
  stored: notificationv1.Preferences | undefined,
): notificationv1.Preferences {
  const listed = new Map((stored?.types ?? []).map((preference) => [preference.type, preference]));
  return {
    types: NOTIFICATION_TYPES.map((type) => {
      const preference = listed.get(type);
      const channels = preference?.channels.length ? preference.channels : DEFAULT_CHANNELS;
      return {
        type,
        enabled: preference?.enabled ?? true,
        channels: [...new Set(channels)].sort((a, b) => a - b),
      };
    }),
    timeZone: stored?.timeZone || 'UTC',
    quietStartMinute: stored?.quietStartMinute ?? 0,
    quietEndMinute: stored?.quietEndMinute ?? 0,
  };
}

export function typePreference(
  preferences: notificationv1.Preferences,
  type: notificationv1.NotificationType,
): notificationv1.TypePreference | undefined {
  return preferences.types.find((preference) => preference.type === type);
}
