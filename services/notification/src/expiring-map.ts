/**
 * Entries with a time to live, for the in-memory stores' markers (what Redis keeps with PX).
 * Time is whatever the caller passes, so fake clocks work. Expired entries are pruned from the
 * front on insert: with one TTL per map and time moving forward, insertion order is expiry
 * order.
 */
export class ExpiringMap<V> {
  private readonly entries = new Map<string, { readonly value: V; readonly expiresAt: number }>();

  get(key: string, nowMs: number): V | undefined {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.expiresAt > nowMs ? entry.value : undefined;
  }

  /** Sets `key` unless it holds an unexpired value; returns that value, or undefined if set. */
  setIfAbsent(key: string, value: V, nowMs: number, ttlMs: number): V | undefined {
    for (const [candidate, entry] of this.entries) {
      if (entry.expiresAt > nowMs) break;
      this.entries.delete(candidate);
    }
    const existing = this.get(key, nowMs);
    if (existing !== undefined) return existing;
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: nowMs + ttlMs });
    return undefined;
  }
}
