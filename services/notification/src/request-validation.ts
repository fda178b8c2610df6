import { notificationv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import { requireEnum, requireItems, requireRange, requireText } from '@feedmesh/service-kit';
import { isNotificationId } from './notification-id.js';
import { NOTIFICATION_TYPES } from './preferences.js';

/** An id this service handed out, or empty. */
export function optionalNotificationId(value: string, field: string): string {
  if (value !== '' && !isNotificationId(value)) {
    throw new InvalidArgumentError(field, 'is not a notification id from this service');
  }
  return value;
}

const CURSOR_VERSION = 'n1:';

/** Opaque to clients; inside, the last id of the page it follows. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(`${CURSOR_VERSION}${lastId}`, 'utf8').toString('base64url');
}

/** The id to continue before, or undefined for the first page. */
export function decodeCursor(cursor: string, field: string): string | undefined {
  if (cursor === '') return undefined;
  const decoded = /^[A-Za-z0-9_-]{1,64}$/.test(cursor)
    ? Buffer.from(cursor, 'base64url').toString('utf8')
    : '';
  const id = decoded.startsWith(CURSOR_VERSION) ? decoded.slice(CURSOR_VERSION.length) : '';
  if (!isNotificationId(id)) {
    throw new InvalidArgumentError(field, 'is not a cursor from a previous ListInbox response');
  }
  return id;
}

const MINUTES_PER_DAY = 24 * 60;

/**
 * Checks preferences as SetPreferences receives them and returns them normalized: each type
 * once, channels deduplicated and sorted, the time zone in its canonical IANA spelling.
 */
export function validatePreferences(
  preferences: notificationv1.Preferences | undefined,
  field: string,
): notificationv1.Preferences {
  if (preferences === undefined) throw new InvalidArgumentError(field, 'is required');
  requireItems(preferences.types, `${field}.types`, 0, NOTIFICATION_TYPES.length);
  const seen = new Set<number>();
  const types = preferences.types.map((preference, i) => {
    const at = `${field}.types[${i}]`;
    const type = requireEnum(preference.type, notificationv1.NotificationType, `${at}.type`);
    if (seen.has(type)) throw new InvalidArgumentError(`${at}.type`, 'is listed twice');
    seen.add(type);
    requireItems(preference.channels, `${at}.channels`, 0, 3);
    const channels = preference.channels.map((channel, j) =>
      requireEnum(channel, notificationv1.Channel, `${at}.channels[${j}]`),
    );
    return {
      type,
      enabled: preference.enabled,
      channels: [...new Set(channels)].sort((a, b) => a - b),
    };
  });
  return {
    types,
    timeZone: canonicalTimeZone(preferences.timeZone, `${field}.time_zone`),
    quietStartMinute: requireRange(
      preferences.quietStartMinute,
      `${field}.quiet_start_minute`,
      0,
      MINUTES_PER_DAY - 1,
    ),
    quietEndMinute: requireRange(
      preferences.quietEndMinute,
      `${field}.quiet_end_minute`,
      0,
      MINUTES_PER_DAY - 1,
    ),
  };
}

/** Empty means UTC; anything else must be an IANA zone the runtime knows. */
function canonicalTimeZone(value: string, field: string): string {
  if (value === '') return 'UTC';
  requireText(value, field, { max: 64 });
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    throw new InvalidArgumentError(field, `is not an IANA time zone: ${JSON.stringify(value)}`);
  }
}
