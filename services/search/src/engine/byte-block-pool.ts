/**
 * Compact storage for many growable byte streams (one per posting list), after Lucene's
 * ByteBlockPool: streams live in chained slices carved from large shared pages, so a term
 * seen once costs a few bytes, not a typed array object of its own.
 *
 * A stream starts with a small slice; each following slice is larger (up to 1 KiB). The last
 * 4 bytes of a full slice hold the address of the next one. Slice sizes follow from the slice's
 * position in the chain, so a reader needs only the stream's start and end addresses.
 */

const PAGE_BITS = 16;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;
const LINK_BYTES = 4;
/** Slice sizes by level, link included: the first holds 4 bytes of data. */
export const SLICE_SIZES = [8, 16, 32, 64, 128, 256, 512, 1024] as const;
const MAX_LEVEL = SLICE_SIZES.length - 1;
/** Addresses are unsigned 32-bit: the pool holds at most 4 GiB. */
const MAX_ADDRESS = 2 ** 32;

function sliceSize(level: number): number {
  return SLICE_SIZES[Math.min(level, MAX_LEVEL)] ?? 1024;
}

/** Where a stream is being written. Owners keep these in typed-array columns. */
export interface StreamState {
  /** Next byte to write. */
  write: number;
  /** Address of the current slice's link (the end of its data). */
  sliceEnd: number;
  level: number;
}

export class ByteBlockPool {
  private readonly pages: Uint8Array[] = [];
  /** Address of the next free byte. Starts at 1: address 0 never names a stream. */
  private next = 1;

  /** A pool over pages written before (a snapshot): `next` is the next free address. */
  static restore(pages: readonly Uint8Array[], next: number): ByteBlockPool {
    const pool = new ByteBlockPool();
    for (const page of pages) {
      if (page.length !== PAGE_SIZE) throw new RangeError('byte pool page of the wrong size');
      pool.pages.push(page);
    }
    pool.next = next;
    return pool;
  }

  /** The pages and next free address, for a snapshot (the pages are shared, not copied). */
  exportPages(): { pages: readonly Uint8Array[]; next: number } {
    return { pages: this.pages, next: this.next };
  }

  /** Bytes held by the pool's pages (allocated capacity). */
  get allocatedBytes(): number {
    return this.pages.length * PAGE_SIZE;
  }

  /** Starts a new stream; returns its start address and writing state. */
  newStream(): { start: number; state: StreamState } {
    const start = this.allocate(sliceSize(0));
    return {
      start,
      state: { write: start, sliceEnd: start + sliceSize(0) - LINK_BYTES, level: 0 },
    };
  }

  writeByte(state: StreamState, byte: number): void {
    if (state.write === state.sliceEnd) {
      const level = Math.min(state.level + 1, MAX_LEVEL);
      const size = sliceSize(level);
      const slice = this.allocate(size);
      this.writeLink(state.sliceEnd, slice);
      state.write = slice;
      state.sliceEnd = slice + size - LINK_BYTES;
      state.level = level;
    }
    this.pageOf(state.write)[state.write & PAGE_MASK] = byte;
    state.write += 1;
  }

  /** Unsigned LEB128. */
  writeVarint(state: StreamState, value: number): void {
    let rest = value;
    while (rest >= 0x80) {
      this.writeByte(state, (rest & 0x7f) | 0x80);
      rest = Math.floor(rest / 128);
    }
    this.writeByte(state, rest);
  }

  /**
   * Copies one stream's bytes (from `start` to its writer's `end`) into `into.bytes`, growing
   * it as needed, and returns their count: slices become one contiguous run, so a reader
   * decodes varints in a tight loop instead of following links byte by byte.
   */
  copyStream(start: number, end: number, into: { bytes: Uint8Array }): number {
    let length = 0;
    let address = start;
    let level = 0;
    for (;;) {
      const sliceEnd = address + sliceSize(level) - LINK_BYTES;
      const last = end >= address && end <= sliceEnd;
      const stop = last ? end : sliceEnd;
      const count = stop - address;
      if (length + count > into.bytes.length) {
        const grown = new Uint8Array(Math.max(into.bytes.length * 2, length + count, 1024));
        grown.set(into.bytes.subarray(0, length));
        into.bytes = grown;
      }
      const page = this.pageOf(address);
      const offset = address & PAGE_MASK;
      into.bytes.set(page.subarray(offset, offset + count), length);
      length += count;
      if (last) return length;
      address = this.readLink(sliceEnd);
      level = Math.min(level + 1, MAX_LEVEL);
    }
  }

  readByteAt(address: number): number {
    return this.pageOf(address)[address & PAGE_MASK] ?? 0;
  }

  readLink(address: number): number {
    const page = this.pageOf(address);
    const offset = address & PAGE_MASK;
    return (
      ((page[offset] ?? 0) |
        ((page[offset + 1] ?? 0) << 8) |
        ((page[offset + 2] ?? 0) << 16) |
        ((page[offset + 3] ?? 0) << 24)) >>>
      0
    );
  }

  private writeLink(address: number, target: number): void {
    const page = this.pageOf(address);
    const offset = address & PAGE_MASK;
    page[offset] = target & 0xff;
    page[offset + 1] = (target >>> 8) & 0xff;
    page[offset + 2] = (target >>> 16) & 0xff;
    page[offset + 3] = (target >>> 24) & 0xff;
  }

  /** A slice never crosses a page: the rest of a page too small for it is left unused. */
  private allocate(size: number): number {
    const pageIndex = Math.floor(this.next / PAGE_SIZE);
    if (pageIndex >= this.pages.length || (this.next & PAGE_MASK) + size > PAGE_SIZE) {
      const fresh = this.pages.length;
      if ((fresh + 1) * PAGE_SIZE > MAX_ADDRESS) {
        throw new RangeError('search index byte pool is full (4 GiB)');
      }
      this.pages.push(new Uint8Array(PAGE_SIZE));
      this.next = fresh === 0 ? 1 : fresh * PAGE_SIZE;
    }
    const address = this.next;
    this.next += size;
    return address;
  }

  private pageOf(address: number): Uint8Array {
    const page = this.pages[Math.floor(address / PAGE_SIZE)];
    if (page === undefined) throw new RangeError(`byte pool address ${address} out of range`);
    return page;
  }
}

/** Reads one stream from its start to `end` (its writer's `write` address), following links. */
export class StreamReader {
  private position: number;
  private sliceEnd: number;
  private level = 0;

  constructor(
    private readonly pool: ByteBlockPool,
    start: number,
    private readonly end: number,
  ) {
    this.position = start;
    this.sliceEnd = start + sliceSize(0) - LINK_BYTES;
  }

  get done(): boolean {
    return this.position === this.end;
  }

  readByte(): number {
    if (this.position === this.sliceEnd) {
      const next = this.pool.readLink(this.sliceEnd);
      this.level = Math.min(this.level + 1, MAX_LEVEL);
      this.position = next;
      this.sliceEnd = next + sliceSize(this.level) - LINK_BYTES;
    }
    const byte = this.pool.readByteAt(this.position);
    this.position += 1;
    return byte;
  }

  readVarint(): number {
    let byte = this.readByte();
    let value = byte & 0x7f;
    let scale = 128;
    while (byte & 0x80) {
      byte = this.readByte();
      value += (byte & 0x7f) * scale;
      scale *= 128;
    }
    return value;
  }
}
