import type { Scored } from './candidate-store.js';

/**
 * A sorted set with the ordering rules of a Redis sorted set, so the in-memory store answers
 * exactly like the Redis one: descending reads order ties by member descending (ZREVRANGE),
 * trimming drops the lowest score first and, among ties, the smallest member (ZREMRANGEBYRANK).
 */
export class ScoredSet {
  private readonly scores = new Map<string, number>();
  /** Descending order, rebuilt on the first read after a write. */
  private sorted: Scored[] | undefined;

  get size(): number {
    return this.scores.size;
  }

  get(member: string): number | undefined {
    return this.scores.get(member);
  }

  set(member: string, score: number): void {
    this.scores.set(member, score);
    this.sorted = undefined;
  }

  /** ZADD GT: adds the member, or raises its score; never lowers it. */
  raise(member: string, score: number): void {
    const current = this.scores.get(member);
    if (current === undefined || score > current) this.set(member, score);
  }

  delete(member: string): void {
    if (this.scores.delete(member)) this.sorted = undefined;
  }

  /** Keeps the `cap` highest members. */
  trim(cap: number): void {
    while (this.scores.size > cap) {
      let lowest: [string, number] | undefined;
      for (const entry of this.scores) {
        if (lowest === undefined || isBelow(entry, lowest)) lowest = entry;
      }
      if (lowest === undefined) return;
      this.delete(lowest[0]);
    }
  }

  /** The highest `limit` members with a score of at least `minScore`, highest first. */
  top(limit: number, minScore = -Infinity): Scored[] {
    this.sorted ??= [...this.scores]
      .map(([id, score]) => ({ id, score }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const result: Scored[] = [];
    for (const entry of this.sorted) {
      if (result.length >= limit || entry.score < minScore) break;
      result.push(entry);
    }
    return result;
  }
}

function isBelow([member, score]: [string, number], [lowMember, lowScore]: [string, number]) {
  return score < lowScore || (score === lowScore && member < lowMember);
}
