import { normalizeKeyword, type Analyzer } from './analyzer.js';
import { ByteBlockPool } from './byte-block-pool.js';
import { FieldIndex, type FieldIndexData } from './field-index.js';
import { BitSet, GrowableArray } from './growable-array.js';

/** Positions between two tags of a post, so a phrase never spans them. */
const TAG_POSITION_GAP = 100;
const MAX_STORED_LENGTH = 0xffff;
/** Joins a post's tags into one stored string: one string per post instead of an array. */
const TAG_SEPARATOR = '\u001f';
/**
 * Parts the stored tag string: the author's tags, then the derived ones when there are any.
 * A snapshot from before derived tags reads as author tags only, so the format stands.
 */
const DERIVED_SEPARATOR = '\u001e';

/** What the index stores of a post, enough to re-index it on compaction and to answer hits. */
export interface StoredPost {
  readonly postId: string;
  readonly blogOrdinal: number;
  readonly text: string;
  readonly tags: readonly string[];
  /**
   * Tags the index derived (canonical forms of the author's, inferred ones): searched and
   * filtered like tags, never shown as the post's own.
   */
  readonly derivedTags?: readonly string[];
  readonly createdAtMs: number;
}

/** A segment's state as plain strings and typed arrays, for a snapshot. */
export interface SegmentData {
  readonly pages: readonly Uint8Array[];
  readonly poolNext: number;
  readonly fields: Readonly<Record<'text' | 'tags' | 'tagKeys' | 'blogPosts', FieldIndexData>>;
  readonly postIds: readonly string[];
  readonly texts: readonly string[];
  readonly tags: readonly string[];
  readonly deleted: Uint32Array;
  readonly blogOrdinals: Uint32Array;
  readonly createdAt: Float64Array;
  readonly textLengths: Uint16Array;
  readonly tagsLengths: Uint16Array;
}

/** Distinct normalized tags of a post: its tag-filter keys and typeahead entries. */
export function tagKeysOf(tags: readonly string[]): string[] {
  return [...new Set(tags.map(normalizeKeyword))].filter((key) => key !== '');
}

/**
 * The documents and inverted fields of the index: dense document ids in arrival order,
 * columns of per-document values, tombstones for deleted documents. Append-only; a compaction
 * builds a new segment from the live documents.
 */
export class Segment {
  readonly pool: ByteBlockPool;
  /** Analyzed body text, positional. */
  readonly text: FieldIndex;
  /** Analyzed tags, positional. */
  readonly tags: FieldIndex;
  /** Exact tags (normalized) → documents: the tag filter. */
  readonly tagKeys: FieldIndex;
  /** Blog ordinal → documents: blog filters and the blog-name field. */
  readonly blogPosts: FieldIndex;

  readonly postIds: string[] = [];
  readonly docOf = new Map<string, number>();
  deleted = new BitSet();
  blogOrdinals = new GrowableArray(Uint32Array, 1024);
  createdAt = new GrowableArray(Float64Array, 1024);
  textLengths = new GrowableArray(Uint16Array, 1024);
  tagsLengths = new GrowableArray(Uint16Array, 1024);
  private readonly texts: string[] = [];
  private readonly tagStrings: string[] = [];

  liveDocs = 0;
  /** The latest `createdAtMs` added (deleted documents included); -Infinity when empty. */
  newestCreatedAtMs = -Infinity;
  textLengthSum = 0;
  tagsLengthSum = 0;

  constructor(
    private readonly analyzer: Analyzer,
    restored?: { pool: ByteBlockPool; fields: SegmentData['fields'] },
  ) {
    this.pool = restored?.pool ?? new ByteBlockPool();
    const field = (name: keyof SegmentData['fields'], positional: boolean) =>
      restored === undefined
        ? new FieldIndex(this.pool, positional)
        : FieldIndex.restore(this.pool, positional, restored.fields[name]);
    this.text = field('text', true);
    this.tags = field('tags', true);
    this.tagKeys = field('tagKeys', false);
    this.blogPosts = field('blogPosts', false);
  }

  /** Document ids handed out so far (live and deleted). */
  get docCount(): number {
    return this.postIds.length;
  }

  add(post: StoredPost): number {
    const doc = this.postIds.length;
    this.postIds.push(post.postId);
    this.docOf.set(post.postId, doc);
    this.texts.push(post.text);
    const derived = post.derivedTags ?? [];
    this.tagStrings.push(
      derived.length === 0
        ? joinTags(post.tags)
        : `${joinTags(post.tags)}${DERIVED_SEPARATOR}${joinTags(derived)}`,
    );
    this.blogOrdinals.push(post.blogOrdinal);
    this.createdAt.push(post.createdAtMs);
    if (post.createdAtMs > this.newestCreatedAtMs) this.newestCreatedAtMs = post.createdAtMs;

    const textLength = this.invert(doc, this.text, [post.text]);
    const tagsLength = this.invert(doc, this.tags, [
      ...post.tags,
      ...this.newTerms(post.tags, derived),
    ]);
    for (const key of tagKeysOf([...post.tags, ...derived])) this.tagKeys.add(doc, key);
    this.blogPosts.add(doc, String(post.blogOrdinal));

    this.textLengths.push(Math.min(textLength, MAX_STORED_LENGTH));
    this.tagsLengths.push(Math.min(tagsLength, MAX_STORED_LENGTH));
    this.liveDocs += 1;
    this.textLengthSum += this.textLengths.get(doc);
    this.tagsLengthSum += this.tagsLengths.get(doc);
    return doc;
  }

  /** Tombstones the document; its postings stay until the next compaction. */
  delete(doc: number): void {
    if (this.deleted.has(doc)) return;
    this.deleted.add(doc);
    this.liveDocs -= 1;
    this.textLengthSum -= this.textLengths.get(doc);
    this.tagsLengthSum -= this.tagsLengths.get(doc);
    this.docOf.delete(this.postIds[doc] ?? '');
    // The text is the bulk of a document; the rest is needed until compaction.
    this.texts[doc] = '';
  }

  isLive(doc: number): boolean {
    return doc < this.postIds.length && !this.deleted.has(doc);
  }

  stored(doc: number): StoredPost {
    return {
      postId: this.postIds[doc] ?? '',
      blogOrdinal: this.blogOrdinals.get(doc),
      text: this.texts[doc] ?? '',
      tags: this.tagsOf(doc),
      derivedTags: this.derivedTagsOf(doc),
      createdAtMs: this.createdAt.get(doc),
    };
  }

  /** The author's tags. */
  tagsOf(doc: number): string[] {
    return splitTags((this.tagStrings[doc] ?? '').split(DERIVED_SEPARATOR, 1)[0]!);
  }

  derivedTagsOf(doc: number): string[] {
    const joined = this.tagStrings[doc] ?? '';
    const at = joined.indexOf(DERIVED_SEPARATOR);
    return at < 0 ? [] : splitTags(joined.slice(at + 1));
  }

  bodyOf(doc: number): string {
    return this.texts[doc] ?? '';
  }

  /** The segment's state for a snapshot: shares the arrays, so write it before the next add. */
  exportData(): SegmentData {
    const { pages, next } = this.pool.exportPages();
    return {
      pages,
      poolNext: next,
      fields: {
        text: this.text.exportData(),
        tags: this.tags.exportData(),
        tagKeys: this.tagKeys.exportData(),
        blogPosts: this.blogPosts.exportData(),
      },
      postIds: this.postIds,
      texts: this.texts,
      tags: this.tagStrings,
      deleted: this.deleted.raw,
      blogOrdinals: this.blogOrdinals.view(),
      createdAt: this.createdAt.view(),
      textLengths: this.textLengths.view(),
      tagsLengths: this.tagsLengths.view(),
    };
  }

  static restore(analyzer: Analyzer, data: SegmentData): Segment {
    const n = data.postIds.length;
    const columns = [data.texts, data.tags, data.blogOrdinals, data.createdAt];
    if (columns.some((column) => column.length !== n)) {
      throw new RangeError('snapshot segment columns disagree on the document count');
    }
    if (data.textLengths.length !== n || data.tagsLengths.length !== n) {
      throw new RangeError('snapshot segment lengths disagree on the document count');
    }
    const pool = ByteBlockPool.restore(data.pages, data.poolNext);
    const segment = new Segment(analyzer, { pool, fields: data.fields });
    // Loops, not push(...spread): a million arguments would overflow the stack.
    for (let doc = 0; doc < n; doc += 1) {
      segment.postIds.push(data.postIds[doc] ?? '');
      segment.texts.push(data.texts[doc] ?? '');
      segment.tagStrings.push(data.tags[doc] ?? '');
    }
    segment.deleted = BitSet.from(data.deleted);
    segment.blogOrdinals = GrowableArray.from(Uint32Array, data.blogOrdinals);
    segment.createdAt = GrowableArray.from(Float64Array, data.createdAt);
    segment.textLengths = GrowableArray.from(Uint16Array, data.textLengths);
    segment.tagsLengths = GrowableArray.from(Uint16Array, data.tagsLengths);
    for (let doc = 0; doc < n; doc += 1) {
      const createdAtMs = segment.createdAt.get(doc);
      if (createdAtMs > segment.newestCreatedAtMs) segment.newestCreatedAtMs = createdAtMs;
      if (segment.deleted.has(doc)) continue;
      segment.docOf.set(data.postIds[doc] ?? '', doc);
      segment.liveDocs += 1;
      segment.textLengthSum += segment.textLengths.get(doc);
      segment.tagsLengthSum += segment.tagsLengths.get(doc);
    }
    return segment;
  }

  /**
   * The derived tags that add a term to the author's: "cat" beside "Cats" is the same stem, and
   * counting it again would only inflate the tag field's term frequency. The filter still
   * gets every derived tag's key.
   */
  private newTerms(tags: readonly string[], derived: readonly string[]): readonly string[] {
    if (derived.length === 0) return derived;
    const known = new Set(tags.flatMap((tag) => this.analyzer.analyze(tag, 0).map((t) => t.term)));
    return derived.filter((tag) => this.analyzer.analyze(tag, 0).some((t) => !known.has(t.term)));
  }

  /** Indexes the values of one field; returns the field's length in positions. */
  private invert(doc: number, field: FieldIndex, values: readonly string[]): number {
    const positions = new Map<string, number[]>();
    const used = new Set<number>();
    let next = 0;
    for (const value of values) {
      const tokens = this.analyzer.analyze(value, next);
      for (const token of tokens) {
        let list = positions.get(token.term);
        if (list === undefined) positions.set(token.term, (list = []));
        if (list[list.length - 1] !== token.position) list.push(token.position);
        used.add(token.position);
      }
      const last = tokens[tokens.length - 1];
      if (last !== undefined) next = last.position + 1 + TAG_POSITION_GAP;
    }
    for (const [term, list] of positions) field.add(doc, term, list);
    return used.size;
  }
}

function joinTags(tags: readonly string[]): string {
  return tags
    .map((tag) => tag.replaceAll(TAG_SEPARATOR, ' ').replaceAll(DERIVED_SEPARATOR, ' '))
    .join(TAG_SEPARATOR);
}

function splitTags(joined: string): string[] {
  return joined === '' ? [] : joined.split(TAG_SEPARATOR);
}
