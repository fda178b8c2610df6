/** A completion and how many live posts carry it. */
export interface Completion<V> {
  readonly key: string;
  readonly value: V;
  readonly count: number;
}

/**
 * Completes prefixes from a sorted array of keys: a binary search finds the prefix's range,
 * one pass over it keeps the `limit` most popular. New keys are spliced in place (a memmove),
 * so reads never wait for a rebuild. Keys whose count fell to zero stay but are not offered.
 */
export class PrefixSuggester<V> {
  private readonly keys: string[] = [];
  private readonly entries = new Map<string, { value: V; count: number }>();

  get size(): number {
    return this.entries.size;
  }

  /** Adds `delta` to the key's count, creating it (with `value`) on first sight. */
  add(key: string, value: V, delta: number): void {
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      entry.count = Math.max(0, entry.count + delta);
      return;
    }
    this.entries.set(key, { value, count: Math.max(0, delta) });
    this.keys.splice(this.lowerBound(key), 0, key);
  }

  /** Adds many new keys at once: one sort instead of a splice per key (a snapshot's load). */
  addMany(items: Iterable<readonly [key: string, value: V, count: number]>): void {
    for (const [key, value, count] of items) {
      const entry = this.entries.get(key);
      if (entry !== undefined) entry.count = Math.max(0, entry.count + count);
      else this.entries.set(key, { value, count: Math.max(0, count) });
    }
    this.keys.length = 0;
    for (const key of this.entries.keys()) this.keys.push(key);
    this.keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Makes the key known even with no posts yet (a blog that has not posted). */
  ensure(key: string, value: V): void {
    if (!this.entries.has(key)) this.add(key, value, 0);
  }

  delete(key: string): void {
    if (!this.entries.delete(key)) return;
    const at = this.lowerBound(key);
    if (this.keys[at] === key) this.keys.splice(at, 1);
  }

  /** Every key with its count, in key order (for a snapshot). */
  entriesWithCounts(): [string, number][] {
    return this.keys.map((key) => [key, this.entries.get(key)?.count ?? 0]);
  }

  count(key: string): number {
    return this.entries.get(key)?.count ?? 0;
  }

  /** Most popular first; ties in key order. `includeEmpty` also offers keys with no posts. */
  complete(prefix: string, limit: number, includeEmpty = false): Completion<V>[] {
    const best: Completion<V>[] = [];
    for (let i = this.lowerBound(prefix); i < this.keys.length; i += 1) {
      const key = this.keys[i] ?? '';
      if (!key.startsWith(prefix)) break;
      const entry = this.entries.get(key);
      if (entry === undefined || (entry.count === 0 && !includeEmpty)) continue;
      if (best.length === limit && entry.count <= (best[limit - 1]?.count ?? 0)) continue;
      // Insertion into a list of at most `limit` (<= 50): cheaper than a heap at this size.
      let at = best.length;
      while (at > 0 && (best[at - 1]?.count ?? 0) < entry.count) at -= 1;
      best.splice(at, 0, { key, value: entry.value, count: entry.count });
      if (best.length > limit) best.pop();
    }
    return best;
  }

  private lowerBound(key: string): number {
    let low = 0;
    let high = this.keys.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.keys[mid] ?? '') < key) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
