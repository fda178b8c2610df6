import { ByteBlockPool, StreamReader, type StreamState } from './byte-block-pool.js';
import { GrowableArray } from './growable-array.js';

/** Decoded postings of one term, in reused buffers (valid until the next `readPostings`). */
export class PostingsBuffer {
  docs = new Uint32Array(1024);
  freqs = new Uint32Array(1024);
  bytes = new Uint8Array(4096);

  ensure(size: number): void {
    if (this.docs.length >= size) return;
    const capacity = Math.max(size, this.docs.length * 2);
    this.docs = new Uint32Array(capacity);
    this.freqs = new Uint32Array(capacity);
  }
}

/** One stream's writing state, kept in typed-array columns indexed by term id. */
class StreamColumns {
  readonly starts = new GrowableArray(Uint32Array, 1024);
  readonly writes = new GrowableArray(Uint32Array, 1024);
  readonly sliceEnds = new GrowableArray(Uint32Array, 1024);
  readonly levels = new GrowableArray(Uint8Array, 1024);

  open(pool: ByteBlockPool): void {
    const { start, state } = pool.newStream();
    this.starts.push(start);
    this.writes.push(state.write);
    this.sliceEnds.push(state.sliceEnd);
    this.levels.push(state.level);
  }

  load(id: number, state: StreamState): StreamState {
    state.write = this.writes.get(id);
    state.sliceEnd = this.sliceEnds.get(id);
    state.level = this.levels.get(id);
    return state;
  }

  save(id: number, state: StreamState): void {
    this.writes.set(id, state.write);
    this.sliceEnds.set(id, state.sliceEnd);
    this.levels.set(id, state.level);
  }
}

/** The columns of a field, for a snapshot. */
export interface FieldIndexData {
  readonly terms: readonly string[];
  readonly columns: Readonly<Record<string, Uint8Array | Uint32Array | Int32Array>>;
}

/**
 * One field's inverted index: term → posting list in the shared byte pool.
 *
 * Each term has a document stream, `docDelta` (varint, from -1 for the first) and, for
 * positional fields, `freq`; and, for positional fields, a separate position stream of
 * `freq` position deltas per document. Scoring reads only the document stream (Lucene keeps
 * .doc and .pos apart for the same reason); phrases read both. Documents arrive in increasing
 * id order, so every list is sorted. Per-term state lives in typed-array columns.
 */
export class FieldIndex {
  private readonly termIds = new Map<string, number>();
  private readonly docStreams = new StreamColumns();
  private readonly posStreams = new StreamColumns();
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

  termId(term: string): number | undefined {
    return this.termIds.get(term);
  }

  /** Adds one posting. `positions` must be ascending; keyword fields ignore them. */
  add(doc: number, term: string, positions: readonly number[] = []): void {
    let id = this.termIds.get(term);
    if (id === undefined) {
      id = this.termIds.size;
      this.termIds.set(term, id);
      this.docStreams.open(this.pool);
      if (this.positional) this.posStreams.open(this.pool);
      this.counts.push(0);
      this.lastDocs.push(-1);
    }
    const lastDoc = this.lastDocs.get(id);
    if (doc <= lastDoc) throw new RangeError(`document ${doc} added out of order to "${term}"`);
    const pool = this.pool;
    const state = this.docStreams.load(id, this.state);
    pool.writeVarint(state, doc - lastDoc);
    if (this.positional) pool.writeVarint(state, positions.length);
    this.docStreams.save(id, state);
    if (this.positional) {
      const pos = this.posStreams.load(id, this.state);
      let previous = 0;
      for (const position of positions) {
        pool.writeVarint(pos, position - previous);
        previous = position;
      }
      this.posStreams.save(id, pos);
    }
    this.counts.set(id, this.counts.get(id) + 1);
    this.lastDocs.set(id, doc);
  }

  /** Postings including those of deleted documents (callers skip tombstones). */
  docFreq(term: string): number {
    const id = this.termIds.get(term);
    return id === undefined ? 0 : this.counts.get(id);
  }

  /**
   * Decodes a term's documents (and frequencies; 1 for keyword fields) into `into`; returns
   * how many. The hot loop of every query: one copy of the stream, then plain varint decoding.
   */
  readPostings(id: number, into: PostingsBuffer): number {
    const size = this.counts.get(id);
    into.ensure(size);
    const length = this.pool.copyStream(
      this.docStreams.starts.get(id),
      this.docStreams.writes.get(id),
      into,
    );
    const bytes = into.bytes;
    const docs = into.docs;
    const freqs = into.freqs;
    const positional = this.positional;
    let at = 0;
    let doc = -1;
    let n = 0;
    while (at < length) {
      let byte = bytes[at++] as number;
      let value = byte & 0x7f;
      for (let shift = 7; byte & 0x80; shift += 7) {
        byte = bytes[at++] as number;
        value += (byte & 0x7f) * 2 ** shift;
      }
      doc += value;
      docs[n] = doc;
      if (positional) {
        byte = bytes[at++] as number;
        let freq = byte & 0x7f;
        for (let shift = 7; byte & 0x80; shift += 7) {
          byte = bytes[at++] as number;
          freq += (byte & 0x7f) * 2 ** shift;
        }
        freqs[n] = freq;
      } else {
        freqs[n] = 1;
      }
      n += 1;
    }
    return n;
  }

  postings(term: string): PostingsCursor | undefined {
    const id = this.termIds.get(term);
    if (id === undefined) return undefined;
    const docs = new StreamReader(
      this.pool,
      this.docStreams.starts.get(id),
      this.docStreams.writes.get(id),
    );
    const positions = this.positional
      ? new StreamReader(this.pool, this.posStreams.starts.get(id), this.posStreams.writes.get(id))
      : undefined;
    return new PostingsCursor(docs, positions, this.counts.get(id));
  }

  /** Every document of a keyword (or any) term, ascending. */
  documents(term: string, buffer = new PostingsBuffer()): Uint32Array {
    const id = this.termIds.get(term);
    if (id === undefined) return new Uint32Array(0);
    const n = this.readPostings(id, buffer);
    return buffer.docs.slice(0, n);
  }

  /** Terms in id order and the per-term columns, for a snapshot. */
  exportData(): FieldIndexData {
    return {
      terms: [...this.termIds.keys()],
      columns: {
        docStarts: this.docStreams.starts.view(),
        docWrites: this.docStreams.writes.view(),
        docSliceEnds: this.docStreams.sliceEnds.view(),
        docLevels: this.docStreams.levels.view(),
        posStarts: this.posStreams.starts.view(),
        posWrites: this.posStreams.writes.view(),
        posSliceEnds: this.posStreams.sliceEnds.view(),
        posLevels: this.posStreams.levels.view(),
        counts: this.counts.view(),
        lastDocs: this.lastDocs.view(),
      },
    };
  }

  /** A field over a restored pool, from `exportData` of the same layout. */
  static restore(pool: ByteBlockPool, positional: boolean, data: FieldIndexData): FieldIndex {
    const field = new FieldIndex(pool, positional);
    data.terms.forEach((term, id) => field.termIds.set(term, id));
    const column = (name: string) => {
      const values = data.columns[name];
      if (values === undefined) throw new RangeError(`snapshot field column ${name} is missing`);
      if (values.length !== data.terms.length && !(values.length === 0 && !positional)) {
        throw new RangeError(`snapshot field column ${name} has ${values.length} values`);
      }
      return values;
    };
    const fill = (target: { push(value: number): void }, name: string) => {
      for (const value of column(name)) target.push(value);
    };
    fill(field.docStreams.starts, 'docStarts');
    fill(field.docStreams.writes, 'docWrites');
    fill(field.docStreams.sliceEnds, 'docSliceEnds');
    fill(field.docStreams.levels, 'docLevels');
    fill(field.posStreams.starts, 'posStarts');
    fill(field.posStreams.writes, 'posWrites');
    fill(field.posStreams.sliceEnds, 'posSliceEnds');
    fill(field.posStreams.levels, 'posLevels');
    fill(field.counts, 'counts');
    fill(field.lastDocs, 'lastDocs');
    return field;
  }
}

/** Walks one posting list in document order, with positions for positional fields. */
export class PostingsCursor {
  /** Current document; -1 before the first `next()`. */
  doc = -1;
  /** Occurrences in the current document (1 for keyword fields). */
  freq = 0;
  private left: number;
  private unreadPositions = 0;

  constructor(
    private readonly docReader: StreamReader,
    private readonly positionReader: StreamReader | undefined,
    /** Postings in the list. */
    readonly size: number,
  ) {
    this.left = size;
  }

  next(): boolean {
    if (this.left === 0) {
      this.doc = Number.MAX_SAFE_INTEGER;
      return false;
    }
    this.skipPositions();
    this.doc += this.docReader.readVarint();
    this.freq = this.positionReader === undefined ? 1 : this.docReader.readVarint();
    this.unreadPositions = this.positionReader === undefined ? 0 : this.freq;
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
      position += this.positionReader?.readVarint() ?? 0;
      into.push(position);
    }
    return into;
  }

  private skipPositions(): void {
    for (; this.unreadPositions > 0; this.unreadPositions -= 1) this.positionReader?.readVarint();
  }
}
