const MINUTE_MS = 60_000;
const MINUTES_PER_DAY = 24 * 60;

/** Formatters are costly to build and immutable: one per zone, for the process's lifetime. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      hour: '2-digit',
      minute: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Minutes after local midnight in `timeZone` at `atMs` (0-1439). */
export function localMinuteOfDay(atMs: number, timeZone: string): number {
  let hour = 0;
  let minute = 0;
  for (const part of formatterFor(timeZone).formatToParts(atMs)) {
    if (part.type === 'hour') hour = Number(part.value);
    if (part.type === 'minute') minute = Number(part.value);
  }
  return (hour % 24) * 60 + minute;
}

export interface QuietHours {
  readonly timeZone: string;
  /** Minutes after local midnight; equal start and end means none. */
  readonly startMinute: number;
  readonly endMinute: number;
}

/** Whether local minute `minute` falls in [start, end), wrapping past midnight when start > end. */
export function inQuietHours(minute: number, quiet: QuietHours): boolean {
  const { startMinute: start, endMinute: end } = quiet;
  if (start === end) return false;
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

/**
 * When the quiet hours around `atMs` end (the first minute after them, local time), or
 * undefined when `atMs` is not in quiet hours. Counted in local wall-clock minutes, then
 * corrected by what the clock reads at that moment: across a daylight-saving change the
 * count is an hour off (late when the clocks spring forward, early when they fall back), and
 * an end in the skipped hour is the first minute after the gap.
 */
export function quietHoursEnd(atMs: number, quiet: QuietHours): number | undefined {
  const minute = localMinuteOfDay(atMs, quiet.timeZone);
  if (!inQuietHours(minute, quiet)) return undefined;
  const minutesLeft = (quiet.endMinute - minute + MINUTES_PER_DAY) % MINUTES_PER_DAY;
  const startOfMinute = atMs - (atMs % MINUTE_MS);
  const counted = startOfMinute + minutesLeft * MINUTE_MS;
  // How far the local clock at `counted` is past the end, -12 h to +12 h: 0 but on a change.
  const halfDay = MINUTES_PER_DAY / 2;
  const off =
    ((localMinuteOfDay(counted, quiet.timeZone) - quiet.endMinute + MINUTES_PER_DAY + halfDay) %
      MINUTES_PER_DAY) -
    halfDay;
  if (off === 0) return counted;
  // The end lies between `counted` and `counted - off`: the first minute there out of them.
  const from = Math.max(startOfMinute + MINUTE_MS, Math.min(counted, counted - off * MINUTE_MS));
  const to = Math.max(counted, counted - off * MINUTE_MS);
  for (let t = from; t < to; t += MINUTE_MS) {
    if (!inQuietHours(localMinuteOfDay(t, quiet.timeZone), quiet)) return t;
  }
  return to;
}
