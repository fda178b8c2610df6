import { ByteBlockPool, StreamReader, type StreamState } from './byte-block-pool.js';
import { GrowableArray } from './growable-array.js';

/**
 * One field's inverted index: term → posting list, each list a byte stream in the shared pool.
 *
 * A posting is `docDelta` (varint), then for positional fields `freq` and `freq` position
 * deltas. Documents are added in increasing id order, so deltas are never negative and a list
 * is sorted. Per-term state lives in typed-array columns indexed by a dense term id.
 */
export class FieldIndex {
  private readonly termIds = new Map<string, number>();
  private readonly starts = new GrowableArray(Uint32Array, 1024);
  private readonly writes = new GrowableArray(Uint32Array, 1024);
  private readonly sliceEnds = new GrowableArray(Uint32Array, 1024);
  private readonly levels = new GrowableArray(Uint8Array, 1024);
  private readonly counts = new GrowableArray(Uint32Array, 1024);
  private readonly lastDocs = new GrowableArray(Int32Array, 1024);
  private readonly state: StreamState = { write: 0, sliceEnd: 0, level: 0 };

  constructor(
    private readonly pool: ByteBlockPool,
    /** Whether postings carry term frequencies and positions (text) or only documents (keywords). */
    readonly positional: boolean,
  ) {}

  get termCount(): number {
    return this.termIds.size;
  }

  /** Adds one posting. `positions` must be ascending; keyword fields ignore them. */
  add(doc: number, term: string, positions: readonly number[] = []): void {
    let id = this.termIds.get(term);
    if (id === undefined) {
      id = this.termIds.size;
      this.termIds.set(term, id);
      const { start, state } = this.pool.newStream();
      this.starts.push(start);
      this.writes.push(state.write);
      this.sliceEnds.push(state.sliceEnd);
      this.levels.push(state.level);
      this.counts.push(0);
      this.lastDocs.push(-1);
    }
    const lastDoc = this.lastDocs.get(id);
    if (doc <= lastDoc) throw new RangeError(`document ${doc} added out of order to "${term}"`);
    const state = this.state;
    state.write = this.writes.get(id);
    state.sliceEnd = this.sliceEnds.get(id);
    state.level = this.levels.get(id);
    this.pool.writeVarint(state, lastDoc < 0 ? doc : doc - lastDoc);
    if (this.positional) {
      this.pool.writeVarint(state, positions.length);
      let previous = 0;
      for (const position of positions) {
        this.pool.writeVarint(state, position - previous);
        previous = position;
      }
    }
    this.writes.set(id, state.write);
    this.sliceEnds.set(id, state.sliceEnd);
    this.levels.set(id, state.level);
    this.counts.set(id, this.counts.get(id) + 1);
    this.lastDocs.set(id, doc);
  }

  /** Postings including those of deleted documents (callers skip tombstones). */
  docFreq(term: string): number {
    const id = this.termIds.get(term);
    return id === undefined ? 0 : this.counts.get(id);
  }

  postings(term: string): PostingsCursor | undefined {
    const id = this.termIds.get(term);
    if (id === undefined) return undefined;
    const reader = new StreamReader(this.pool, this.starts.get(id), this.writes.get(id));
    return new PostingsCursor(reader, this.counts.get(id), this.positional);
  }

  /** Every document of a keyword (or any) term, ascending. */
  documents(term: string): Uint32Array {
    const cursor = this.postings(term);
    if (cursor === undefined) return new Uint32Array(0);
    const docs = new Uint32Array(cursor.size);
    let i = 0;
    while (cursor.next()) docs[i++] = cursor.doc;
    return docs;
  }
}

/** Walks one posting list in document order. */
export class PostingsCursor {
  /** Current document; -1 before the first `next()`. */
  doc = -1;
  /** Occurrences in the current document (1 for keyword fields). */
  freq = 0;
  private left: number;
  private unreadPositions = 0;

  constructor(
    private readonly reader: StreamReader,
    /** Postings in the list. */
    readonly size: number,
    private readonly positional: boolean,
  ) {
    this.left = size;
  }

  next(): boolean {
    if (this.left === 0) {
      this.doc = Number.MAX_SAFE_INTEGER;
      return false;
    }
    this.skipPositions();
    const delta = this.reader.readVarint();
    this.doc = this.doc < 0 ? delta : this.doc + delta;
    this.freq = this.positional ? this.reader.readVarint() : 1;
    this.unreadPositions = this.positional ? this.freq : 0;
    this.left -= 1;
    return true;
  }

  /** Moves to the first document >= target; false when the list ends first. */
  advance(target: number): boolean {
    while (this.doc < target) if (!this.next()) return false;
    return true;
  }

  /** The current document's positions, ascending. Call at most once per document. */
  positions(into: number[] = []): number[] {
    into.length = 0;
    let position = 0;
    for (; this.unreadPositions > 0; this.unreadPositions -= 1) {
      position += this.reader.readVarint();
      into.push(position);
    }
    return into;
  }

  private skipPositions(): void {
    for (; this.unreadPositions > 0; this.unreadPositions -= 1) this.reader.readVarint();
  }
}
