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
 * Sliding-window send counts per user, each send held under an id (the notification's dedupe
 * key), so that only a delivered notification keeps counting, and counts once:
 *
 * - `acquire` grants a send only when every claim has room, and then counts it in all of them,
 *   atomically: a send refused by the daily budget does not use up a fatigue slot, and two
 *   replicas cannot both take the last one. A claim that already holds `sendId` (an earlier
 *   attempt of the same notification that was never released: its process died before it
 *   could deliver or release) is granted without a second slot.
 * - `release` gives the send's slots back: its delivery failed (the flush is retried later, and
 *   its retry claims again) or it was never delivered. Releasing what is not held does nothing.
 */
export interface QuotaStore {
  acquire(
    userId: string,
    sendId: string,
    claims: readonly QuotaClaim[],
    nowMs: number,
  ): Promise<QuotaDecision>;
  release(userId: string, sendId: string, claims: readonly QuotaClaim[]): Promise<void>;
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
  /** Per user and counter: send id -> when it was granted. */
  private readonly sends = new Map<string, Map<string, number>>();

  async acquire(
    userId: string,
    sendId: string,
    claims: readonly QuotaClaim[],
    nowMs: number,
  ): Promise<QuotaDecision> {
    let refused = -1;
    let retryAtMs = nowMs;
    const counters = claims.map((claim, i) => {
      const horizon = Math.max(claim.windowMs, claim.minGapMs);
      const held = this.counter(userId, claim);
      for (const [id, at] of held) if (at <= nowMs - horizon) held.delete(id);
      if (held.has(sendId)) return held;
      const at = roomAt(
        [...held.values()].sort((a, b) => a - b),
        claim,
        nowMs,
      );
      if (at !== undefined) {
        if (refused < 0) refused = i;
        retryAtMs = Math.max(retryAtMs, at);
      }
      return held;
    });
    if (refused >= 0) return { granted: false, refused, retryAtMs };
    for (const held of counters) if (!held.has(sendId)) held.set(sendId, nowMs);
    return { granted: true };
  }

  async release(userId: string, sendId: string, claims: readonly QuotaClaim[]): Promise<void> {
    for (const claim of claims) this.sends.get(keyOf(userId, claim))?.delete(sendId);
  }

  private counter(userId: string, claim: QuotaClaim): Map<string, number> {
    const key = keyOf(userId, claim);
    let held = this.sends.get(key);
    if (held === undefined) this.sends.set(key, (held = new Map()));
    return held;
  }
}

function keyOf(userId: string, claim: QuotaClaim): string {
  return `${userId}|${claim.counter}`;
}
