/**
 * Exponentially decayed sums kept as "forward decay" log-scores.
 *
 * An engagement of weight w at time t adds w * 2^((t - LANDMARK) / halfLife) to a sum; the sum's
 * value at a later time `now` is that sum times 2^(-(now - LANDMARK) / halfLife). Every
 * term is scaled by the same factor at read time, so a sorted set ordered by the stored sum is
 * ordered by the decayed value at any `now`, and no write ever rewrites old entries. Addition
 * commutes, so replaying the log in a different order builds the same scores: what an
 * at-least-once, reordering event log needs.
 *
 * The sum grows as 2^(t / halfLife) and would overflow a double within a few years of 24-hour
 * half-lives, so it is stored as its natural log and combined with log-sum-exp.
 */

/** 2020-01-01T00:00:00Z: keeps stored log-scores small for events from now on. */
export const LANDMARK_MS = Date.UTC(2020, 0, 1);

export interface HalfLife {
  readonly ms: number;
}

export function halfLifeOf(ms: number): HalfLife {
  if (!(ms > 0)) throw new RangeError(`half-life must be positive, got ${ms}`);
  return { ms };
}

/** The log-score one event of `weight` at `atMs` adds. */
export function logIncrement(weight: number, atMs: number, halfLife: HalfLife): number {
  if (!(weight > 0)) throw new RangeError(`weight must be positive, got ${weight}`);
  return Math.log(weight) + ((atMs - LANDMARK_MS) * Math.LN2) / halfLife.ms;
}

/** ln(e^a + e^b) without overflow; the same formula the Redis scripts use. */
export function logSumExp(a: number, b: number): number {
  return a >= b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** The decayed value at `nowMs` of a stored log-score. */
export function decayedValue(logScore: number, nowMs: number, halfLife: HalfLife): number {
  return Math.exp(logScore - ((nowMs - LANDMARK_MS) * Math.LN2) / halfLife.ms);
}

/** 1 for something that happened now, 0.5 one half-life ago: a bounded recency score. */
export function recency(atMs: number, nowMs: number, halfLife: HalfLife): number {
  return Math.pow(2, -Math.max(0, nowMs - atMs) / halfLife.ms);
}
