type NumericArray = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;

/**
 * A typed array that grows by doubling: per-document columns and scratch buffers stay one
 * contiguous allocation instead of a JS array of boxed numbers.
 */
export class GrowableArray<T extends NumericArray> {
  private data: T;
  private size = 0;

  constructor(
    private readonly make: new (length: number) => T,
    initialCapacity = 16,
  ) {
    this.data = new make(Math.max(1, initialCapacity));
  }

  /** A column holding a copy of `values` (a snapshot's). */
  static from<A extends NumericArray>(
    make: new (length: number) => A,
    values: ArrayLike<number>,
  ): GrowableArray<A> {
    const column = new GrowableArray(make, Math.max(16, values.length));
    column.data.set(values as never);
    column.size = values.length;
    return column;
  }

  get length(): number {
    return this.size;
  }

  push(value: number): void {
    if (this.size === this.data.length) this.reserve(this.size + 1);
    this.data[this.size] = value;
    this.size += 1;
  }

  get(index: number): number {
    return this.data[index] ?? 0;
  }

  set(index: number, value: number): void {
    if (index >= this.size) {
      this.reserve(index + 1);
      this.size = index + 1;
    }
    this.data[index] = value;
  }

  /** The live prefix as a view (no copy): valid until the next push. */
  view(): T {
    return this.data.subarray(0, this.size) as T;
  }

  clear(): void {
    this.size = 0;
  }

  private reserve(capacity: number): void {
    if (capacity <= this.data.length) return;
    let next = this.data.length * 2;
    while (next < capacity) next *= 2;
    const grown = new this.make(next);
    grown.set(this.data as never);
    this.data = grown;
  }
}

/** One bit per document: the tombstones of deleted documents. */
export class BitSet {
  private words = new Uint32Array(64);

  static from(words: Uint32Array): BitSet {
    const set = new BitSet();
    set.words = Uint32Array.from(words.length === 0 ? new Uint32Array(64) : words);
    return set;
  }

  /** The bits, 32 per word: hot loops test `words[doc >>> 5] & (1 << (doc & 31))` inline. */
  get raw(): Uint32Array {
    return this.words;
  }

  has(index: number): boolean {
    return ((this.words[index >>> 5] ?? 0) & (1 << (index & 31))) !== 0;
  }

  add(index: number): void {
    const word = index >>> 5;
    if (word >= this.words.length) {
      const grown = new Uint32Array(Math.max(this.words.length * 2, word + 1));
      grown.set(this.words);
      this.words = grown;
    }
    this.words[word] = (this.words[word] ?? 0) | (1 << (index & 31));
  }
}
