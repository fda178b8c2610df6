/**
 * A limit on what one user is sent, counted in a sliding window: a type's fatigue, the daily
 * budget across types.
 */
export interface QuotaClaim {
  /** Names the counter: `type:1` for ACTIVITY's fatigue, `daily` for the budget. */
  readonly counter: string;
  /** At most this many sends counted here... */
  readonly max: number;
  /** ...in any window this long, ms... */
  readonly windowMs: number;
  /** ...each at least this long after the previous one, ms (0: no gap). */
  readonly minGapMs: number;
}

export type QuotaDecision =
  | { readonly granted: true }
  /**
   * Claim `refused` (an index into the claims) is full; every refused claim has room again
   * at `retryAtMs`.
   */
  | { readonly granted: false; readonly refused: number; readonly retryAtMs: number };

/**
 * Sliding-window send counts per user. `acquire` grants a send only when every claim has
 * room, and then counts it in all of them, atomically: a send refused by the daily budget
 * does not use up a fatigue slot, and two replicas cannot both take the last one.
 */
export interface QuotaStore {
  acquire(userId: string, claims: readonly QuotaClaim[], nowMs: number): Promise<QuotaDecision>;
}

/**
 * When the claim has room again given its sends (ascending, none older than the longer of its
 * window and gap), or undefined if it has now.
 */
export function roomAt(
  sends: readonly number[],
  claim: QuotaClaim,
  nowMs: number,
): number | undefined {
  const recent = sends.filter((at) => at > nowMs - claim.windowMs);
  let at = nowMs;
  if (recent.length >= claim.max) {
    at = Math.max(at, (recent[recent.length - claim.max] ?? nowMs) + claim.windowMs);
  }
  // The newest of all kept sends: a gap may be longer than the window.
  const newest = sends[sends.length - 1];
  if (claim.minGapMs > 0 && newest !== undefined) at = Math.max(at, newest + claim.minGapMs);
  return at > nowMs ? at : undefined;
}

export class InMemoryQuotaStore implements QuotaStore {
  private readonly sends = new Map<string, number[]>();

  async acquire(
    userId: string,
    claims: readonly QuotaClaim[],
    nowMs: number,
  ): Promise<QuotaDecision> {
    let refused = -1;
    let retryAtMs = nowMs;
    claims.forEach((claim, i) => {
      const key = `${userId}|${claim.counter}`;
      const horizon = Math.max(claim.windowMs, claim.minGapMs);
      const kept = (this.sends.get(key) ?? []).filter((at) => at > nowMs - horizon);
      this.sends.set(key, kept);
      const at = roomAt(kept, claim, nowMs);
      if (at === undefined) return;
      if (refused < 0) refused = i;
      retryAtMs = Math.max(retryAtMs, at);
    });
    if (refused >= 0) return { granted: false, refused, retryAtMs };
    for (const claim of claims) this.sends.get(`${userId}|${claim.counter}`)?.push(nowMs);
    return { granted: true };
  }
}
