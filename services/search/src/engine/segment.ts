import type { Analyzer } from './analyzer.js';
import { ByteBlockPool } from './byte-block-pool.js';
import { FieldIndex } from './field-index.js';
import { BitSet, GrowableArray } from './growable-array.js';

/** Positions between two tags of a post, so a phrase never spans them. */
const TAG_POSITION_GAP = 100;
const MAX_STORED_LENGTH = 0xffff;

/** What the index stores of a post, enough to re-index it on compaction and to answer hits. */
export interface StoredPost {
  readonly postId: string;
  readonly blogOrdinal: number;
  readonly text: string;
  readonly tags: readonly string[];
  /** Normalized, distinct. */
  readonly tagKeys: readonly string[];
  readonly createdAtMs: number;
}

/**
 * The documents and inverted fields of the index: dense document ids in arrival order,
 * columns of per-document values, tombstones for deleted documents. Append-only; a compaction
 * builds a new segment from the live documents.
 */
export class Segment {
  readonly pool = new ByteBlockPool();
  /** Analyzed body text, positional. */
  readonly text = new FieldIndex(this.pool, true);
  /** Analyzed tags, positional. */
  readonly tags = new FieldIndex(this.pool, true);
  /** Exact tags (normalized) → documents: the tag filter. */
  readonly tagKeys = new FieldIndex(this.pool, false);
  /** Blog ordinal → documents: blog filters and the blog-name field. */
  readonly blogPosts = new FieldIndex(this.pool, false);

  readonly postIds: string[] = [];
  readonly docOf = new Map<string, number>();
  readonly deleted = new BitSet();
  readonly blogOrdinals = new GrowableArray(Uint32Array, 1024);
  readonly createdAt = new GrowableArray(Float64Array, 1024);
  readonly textLengths = new GrowableArray(Uint16Array, 1024);
  readonly tagsLengths = new GrowableArray(Uint16Array, 1024);
  private readonly texts: string[] = [];
  private readonly tagLists: (readonly string[])[] = [];
  private readonly tagKeyLists: (readonly string[])[] = [];

  liveDocs = 0;
  textLengthSum = 0;
  tagsLengthSum = 0;

  constructor(private readonly analyzer: Analyzer) {}

  /** Document ids handed out so far (live and deleted). */
  get docCount(): number {
    return this.postIds.length;
  }

  add(post: StoredPost): number {
    const doc = this.postIds.length;
    this.postIds.push(post.postId);
    this.docOf.set(post.postId, doc);
    this.texts.push(post.text);
    this.tagLists.push(post.tags);
    this.tagKeyLists.push(post.tagKeys);
    this.blogOrdinals.push(post.blogOrdinal);
    this.createdAt.push(post.createdAtMs);

    const textLength = this.invert(doc, this.text, [post.text]);
    const tagsLength = this.invert(doc, this.tags, post.tags);
    for (const key of post.tagKeys) this.tagKeys.add(doc, key);
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
      tags: this.tagLists[doc] ?? [],
      tagKeys: this.tagKeyLists[doc] ?? [],
      createdAtMs: this.createdAt.get(doc),
    };
  }

  bodyOf(doc: number): string {
    return this.texts[doc] ?? '';
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
