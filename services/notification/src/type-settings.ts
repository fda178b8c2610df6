import { notificationv1 } from '@feedmesh/contracts';
import { z } from 'zod';

const { NotificationType } = notificationv1;

/** Settings that differ per notification type, keyed by the type's number. */
export type PerType<T> = ReadonlyMap<notificationv1.NotificationType, T>;

const TYPE_NAMES: Readonly<Record<string, notificationv1.NotificationType>> = {
  ACTIVITY: NotificationType.NOTIFICATION_TYPE_ACTIVITY,
  NEW_POST: NotificationType.NOTIFICATION_TYPE_NEW_POST,
  TRENDING: NotificationType.NOTIFICATION_TYPE_TRENDING,
  REACTIVATION: NotificationType.NOTIFICATION_TYPE_REACTIVATION,
};

const UNITS_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** `0`, `500ms`, `30s`, `15m`, `6h`, `3d` → milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (match === null) return undefined;
  return Number(match[1]) * (UNITS_MS[match[2] ?? ''] ?? NaN);
}

export interface FatigueLimit {
  /** At most this many notifications of the type... */
  readonly max: number;
  /** ...in any window this long, ms... */
  readonly windowMs: number;
  /** ...and each at least this long after the previous one, ms. */
  readonly minGapMs: number;
}

/**
 * A per-type setting as one environment variable, `TYPE=value,TYPE=value` (types by their
 * proto name without the prefix: ACTIVITY, NEW_POST, TRENDING, REACTIVATION). Types left out
 * keep their default; a type or value that does not parse fails the config at start, naming
 * the variable (loadConfig) and the entry.
 */
function perType<T>(
  defaults: string,
  parseValue: (text: string) => T | undefined,
  expected: string,
): z.ZodType<PerType<T>> {
  const parseSpec = (
    spec: string,
    ctx: z.RefinementCtx,
  ): Map<notificationv1.NotificationType, T> => {
    const parsed = new Map<notificationv1.NotificationType, T>();
    for (const entry of spec.split(',').map((part) => part.trim())) {
      if (entry === '') continue;
      const [name = '', text = ''] = entry.split('=', 2).map((part) => part.trim());
      const type = TYPE_NAMES[name];
      const value = parseValue(text);
      if (type === undefined || value === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `"${entry}" is not TYPE=${expected} (types: ${Object.keys(TYPE_NAMES).join(', ')})`,
        });
        return parsed;
      }
      parsed.set(type, value);
    }
    return parsed;
  };
  return z
    .string()
    .default(defaults)
    .transform((spec, ctx) => {
      const base = parseSpec(defaults, ctx);
      for (const [type, value] of parseSpec(spec, ctx)) base.set(type, value);
      return base as PerType<T>;
    });
}

/** `max/window/gap`, e.g. `30/1h/0`: at most 30 per hour, no minimum gap. */
function parseFatigue(text: string): FatigueLimit | undefined {
  const [max, window, gap = '0'] = text.split('/');
  const windowMs = parseDuration(window ?? '');
  const minGapMs = parseDuration(gap);
  const count = Number(max);
  if (!Number.isInteger(count) || count < 1 || count > 10_000) return undefined;
  if (windowMs === undefined || windowMs < 1_000 || minGapMs === undefined) return undefined;
  return { max: count, windowMs, minGapMs };
}

function parseProbability(text: string): number | undefined {
  const value = Number(text);
  return text !== '' && Number.isFinite(value) && value >= 0 && value <= 1 ? value : undefined;
}

function parseMaxAge(text: string): number | undefined {
  const ms = parseDuration(text);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

export const typeSettings = {
  fatigue: (defaults: string) => perType(defaults, parseFatigue, 'max/window/gap (e.g. 30/1h/5m)'),
  probability: (defaults: string) => perType(defaults, parseProbability, 'a probability in [0, 1]'),
  maxAge: (defaults: string) => perType(defaults, parseMaxAge, 'a duration (e.g. 12h)'),
};
