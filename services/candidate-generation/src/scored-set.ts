import type { Scored } from './candidate-store.js';

interface Entry {
  readonly id: string;
  score: number;
  /** Position in the min-heap; -1 once removed. */
  slot: number;
}

/**
 * A capped sorted set with the ordering rules of a Redis sorted set: descending reads order
 * ties by member descending (ZREVRANGE), trimming drops the lowest score first and, among
 * ties, the smallest member (ZREMRANGEBYRANK).
 *
 * Writes are O(log n): a min-heap finds what a cap trims. Reads keep a descending view that
 * is re-sorted only after writes; since most writes move few members (a popularity bump, a
 * new newest post), the previous order is nearly sorted and the re-sort (TimSort) is close
 * to linear. A full sort per read after every write was what made the index slow at scale.
 */
export class ScoredSet {
  private readonly entries = new Map<string, Entry>();
  private readonly heap: Entry[] = [];
  /** Descending by score; may hold removed entries and lack added ones until `sortView`. */
  private view: Entry[] = [];
  private added: Entry[] = [];
  private dirty = false;

  get size(): number {
    return this.entries.size;
  }

  get(member: string): number | undefined {
    return this.entries.get(member)?.score;
  }

  set(member: string, score: number): void {
    const entry = this.entries.get(member);
    if (entry) {
      if (entry.score === score) return;
      const up = below(score, member, entry.score, member);
      entry.score = score;
      if (up) this.siftUp(entry.slot);
      else this.siftDown(entry.slot);
    } else {
      const created: Entry = { id: member, score, slot: this.heap.length };
      this.entries.set(member, created);
      this.heap.push(created);
      this.siftUp(created.slot);
      this.added.push(created);
    }
    this.dirty = true;
  }

  /** ZADD GT: adds the member, or raises its score; never lowers it. */
  raise(member: string, score: number): void {
    const current = this.entries.get(member)?.score;
    if (current === undefined || score > current) this.set(member, score);
  }

  delete(member: string): void {
    const entry = this.entries.get(member);
    if (!entry) return;
    this.entries.delete(member);
    this.removeFromHeap(entry);
    this.dirty = true;
  }

  /** Keeps the `cap` highest members. */
  trim(cap: number): void {
    while (this.heap.length > cap) {
      const lowest = this.heap[0]!;
      this.entries.delete(lowest.id);
      this.removeFromHeap(lowest);
      this.dirty = true;
    }
  }

  /** The highest `limit` members with a score of at least `minScore`, highest first. */
  top(limit: number, minScore = -Infinity): Scored[] {
    if (this.dirty) this.sortView();
    const result: Scored[] = [];
    for (const entry of this.view) {
      if (result.length >= limit || entry.score < minScore) break;
      result.push({ id: entry.id, score: entry.score });
    }
    return result;
  }

  private sortView(): void {
    const view = this.view.filter((entry) => entry.slot >= 0);
    for (const entry of this.added) if (entry.slot >= 0) view.push(entry);
    view.sort((a, b) => b.score - a.score || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    this.view = view;
    this.added = [];
    this.dirty = false;
  }

  private removeFromHeap(entry: Entry): void {
    const slot = entry.slot;
    const last = this.heap.pop()!;
    entry.slot = -1;
    if (last !== entry) {
      this.heap[slot] = last;
      last.slot = slot;
      this.siftUp(slot);
      this.siftDown(last.slot);
    }
  }

  private siftUp(slot: number): void {
    const heap = this.heap;
    const entry = heap[slot]!;
    while (slot > 0) {
      const parentSlot = (slot - 1) >> 1;
      const parent = heap[parentSlot]!;
      if (!below(entry.score, entry.id, parent.score, parent.id)) break;
      heap[slot] = parent;
      parent.slot = slot;
      slot = parentSlot;
    }
    heap[slot] = entry;
    entry.slot = slot;
  }

  private siftDown(slot: number): void {
    const heap = this.heap;
    const entry = heap[slot]!;
    const n = heap.length;
    for (;;) {
      const left = 2 * slot + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (
        right < n &&
        below(heap[right]!.score, heap[right]!.id, heap[left]!.score, heap[left]!.id)
      ) {
        child = right;
      }
      const smallest = heap[child]!;
      if (!below(smallest.score, smallest.id, entry.score, entry.id)) break;
      heap[slot] = smallest;
      smallest.slot = slot;
      slot = child;
    }
    heap[slot] = entry;
    entry.slot = slot;
  }
}

/** Whether (score, member) is trimmed before (otherScore, otherMember). */
function below(score: number, member: string, otherScore: number, otherMember: string): boolean {
  return score < otherScore || (score === otherScore && member < otherMember);
}
