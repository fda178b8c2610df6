/**
 * Many small lists of (key, value) pairs (int32 key, float64 value) stored in two pooled typed
 * arrays, one list per owner (a user, a post, a blog, a tag, by interned number).
 *
 * Why: the large world has about a million posts and a hundred thousand users, each with a
 * few short lists (engagers, recent engagements, follows, trend buckets). As JS arrays or maps
 * they are millions of heap objects, and the garbage collector's pauses became the p99 of
 * Generate. Here they are a handful of typed arrays the collector never looks inside.
 *
 * A list lives in a block of a power-of-two capacity; a list that outgrows its block moves to
 * a block twice the size and its old block goes to a free list of its size class.
 */
export class SlabLists {
  private keys = new Int32Array(1 << 16);
  private values = new Float64Array(1 << 16);
  private used = 0;
  private offsets = new Int32Array(1024).fill(-1);
  private lengths = new Int32Array(1024);
  private classes = new Uint8Array(1024);
  private readonly free: number[][] = [];

  /** Entries in use and slots reserved, for state-size reports. */
  stats(): { entries: number; slots: number; bytes: number } {
    let entries = 0;
    for (let i = 0; i < this.lengths.length; i++) entries += this.lengths[i]!;
    return { entries, slots: this.used, bytes: this.used * 12 + this.offsets.length * 9 };
  }

  length(owner: number): number {
    return owner < this.lengths.length ? this.lengths[owner]! : 0;
  }

  key(owner: number, index: number): number {
    return this.keys[this.offsets[owner]! + index]!;
  }

  value(owner: number, index: number): number {
    return this.values[this.offsets[owner]! + index]!;
  }

  setValue(owner: number, index: number, value: number): void {
    this.values[this.offsets[owner]! + index] = value;
  }

  /** Position of `key` in the owner's list, or -1. */
  indexOf(owner: number, key: number): number {
    const n = this.length(owner);
    if (n === 0) return -1;
    const base = this.offsets[owner]!;
    for (let i = 0; i < n; i++) if (this.keys[base + i] === key) return i;
    return -1;
  }

  push(owner: number, key: number, value: number): void {
    this.insertAt(owner, this.length(owner), key, value);
  }

  insertAt(owner: number, index: number, key: number, value: number): void {
    this.ensureOwner(owner);
    const n = this.lengths[owner]!;
    this.reserve(owner, n + 1);
    const base = this.offsets[owner]!;
    if (index < n) {
      this.keys.copyWithin(base + index + 1, base + index, base + n);
      this.values.copyWithin(base + index + 1, base + index, base + n);
    }
    this.keys[base + index] = key;
    this.values[base + index] = value;
    this.lengths[owner] = n + 1;
  }

  removeAt(owner: number, index: number): void {
    const n = this.lengths[owner]!;
    const base = this.offsets[owner]!;
    this.keys.copyWithin(base + index, base + index + 1, base + n);
    this.values.copyWithin(base + index, base + index + 1, base + n);
    this.lengths[owner] = n - 1;
    if (n === 1) this.clear(owner);
  }

  /** Drops the first `count` entries. */
  removeFirst(owner: number, count: number): void {
    const n = this.lengths[owner]!;
    if (count >= n) return this.clear(owner);
    const base = this.offsets[owner]!;
    this.keys.copyWithin(base, base + count, base + n);
    this.values.copyWithin(base, base + count, base + n);
    this.lengths[owner] = n - count;
  }

  clear(owner: number): void {
    if (owner >= this.offsets.length || this.offsets[owner] === -1) return;
    (this.free[this.classes[owner]!] ??= []).push(this.offsets[owner]!);
    this.offsets[owner] = -1;
    this.lengths[owner] = 0;
  }

  private ensureOwner(owner: number): void {
    if (owner < this.offsets.length) return;
    let size = this.offsets.length;
    while (size <= owner) size *= 2;
    const offsets = new Int32Array(size).fill(-1);
    offsets.set(this.offsets);
    this.offsets = offsets;
    this.lengths = grow(this.lengths, size);
    this.classes = grow(this.classes, size);
  }

  private reserve(owner: number, needed: number): void {
    const offset = this.offsets[owner]!;
    if (offset !== -1 && needed <= 1 << this.classes[owner]!) return;
    let sizeClass = offset === -1 ? 1 : this.classes[owner]! + 1;
    while (1 << sizeClass < needed) sizeClass++;
    const block = this.allocate(sizeClass);
    if (offset !== -1) {
      const n = this.lengths[owner]!;
      this.keys.copyWithin(block, offset, offset + n);
      this.values.copyWithin(block, offset, offset + n);
      (this.free[this.classes[owner]!] ??= []).push(offset);
    }
    this.offsets[owner] = block;
    this.classes[owner] = sizeClass;
  }

  private allocate(sizeClass: number): number {
    const reused = this.free[sizeClass]?.pop();
    if (reused !== undefined) return reused;
    const size = 1 << sizeClass;
    if (this.used + size > this.keys.length) {
      let capacity = this.keys.length;
      while (this.used + size > capacity) capacity *= 2;
      this.keys = grow(this.keys, capacity);
      this.values = grow(this.values, capacity);
    }
    const block = this.used;
    this.used += size;
    return block;
  }
}

function grow<T extends Int32Array | Float64Array | Uint8Array>(array: T, size: number): T {
  const grown = new (array.constructor as new (n: number) => T)(size);
  grown.set(array);
  return grown;
}
