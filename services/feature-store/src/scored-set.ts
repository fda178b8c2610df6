/**
 * A sorted set with Redis ZSET order (score, then member bytes), so the in-memory store
 * returns, trims and ties exactly like the Redis store.
 */
export class ScoredSet {
  private readonly scores = new Map<string, number>();

  get size(): number {
    return this.scores.size;
  }

  score(member: string): number | undefined {
    return this.scores.get(member);
  }

  /** ZCOUNT key (above +inf: the members scored above `above`. */
  countAbove(above: number): number {
    let count = 0;
    for (const score of this.scores.values()) if (score > above) count += 1;
    return count;
  }

  /** ZADD. */
  set(member: string, score: number): void {
    this.scores.set(member, score);
  }

  /** ZADD GT: adds a new member, or raises an existing one's score. */
  raise(member: string, score: number): void {
    const current = this.scores.get(member);
    if (current === undefined || score > current) this.scores.set(member, score);
  }

  /** ZREMRANGEBYSCORE with exclusive bounds. */
  removeBetween(lowExclusive: number, highExclusive: number): void {
    for (const [member, score] of this.scores) {
      if (score > lowExclusive && score < highExclusive) this.scores.delete(member);
    }
  }

  /** ZREMRANGEBYRANK 0 -(cap+1): keeps the `cap` highest; returns the members removed. */
  trim(cap: number): string[] {
    if (this.scores.size <= cap) return [];
    if (this.scores.size === cap + 1) {
      // The common case, one over after one touch: a scan, not a sort.
      let lowest: [string, number] | undefined;
      for (const entry of this.scores) {
        if (lowest === undefined || compare(entry, lowest) < 0) lowest = entry;
      }
      this.scores.delete(lowest![0]);
      return [lowest![0]];
    }
    const removed = [...this.scores]
      .sort(compare)
      .slice(0, this.scores.size - cap)
      .map(([member]) => member);
    for (const member of removed) this.scores.delete(member);
    return removed;
  }

  /** ZREVRANGEBYSCORE +inf (min LIMIT 0 limit: highest first. */
  highest(limit: number, above = Number.NEGATIVE_INFINITY): string[] {
    return [...this.scores]
      .filter(([, score]) => score > above)
      .sort((a, b) => compare(b, a))
      .slice(0, limit)
      .map(([member]) => member);
  }
}

function compare(a: readonly [string, number], b: readonly [string, number]): number {
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0]));
}
