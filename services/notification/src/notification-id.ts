/**
 * Notification ids: 16 decimal digits, so that ids of equal length compare as strings in the
 * order they were assigned (the proto's promise), and Redis can range over them by lex order.
 *
 * An id is the delivery time in microseconds-since-epoch resolution, or the user's previous id
 * plus one when that is larger: ids stay increasing for a user even when two replicas' clocks
 * disagree or many notifications land in one millisecond, and stay increasing after a user's
 * inbox (and its last id) expired, because time moves on. Fits 2^53 until the year 2255.
 */
export const NOTIFICATION_ID_LENGTH = 16;

const PATTERN = /^\d{16}$/;

export function isNotificationId(value: string): boolean {
  return PATTERN.test(value);
}

export function nextNotificationId(lastId: string | undefined, nowMs: number): string {
  const last = lastId === undefined ? 0 : Number(lastId);
  const next = Math.max(last + 1, Math.floor(nowMs) * 1000);
  return String(next).padStart(NOTIFICATION_ID_LENGTH, '0');
}
