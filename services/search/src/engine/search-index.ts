import { EnglishAnalyzer, normalizeKeyword, type Analyzer, type Token } from './analyzer.js';
import { BlogDirectory, nameLength, type Blog, type BlogRecord } from './blog-directory.js';
import { markAll, matchedSpans, MAX_SNIPPET_LENGTH, snippet } from './highlighter.js';
import { PrefixSuggester, type Completion } from './prefix-suggester.js';
import { QueryScratch } from './query-scratch.js';
import {
  idBefore,
  type Highlight,
  type PageRequest,
  type PhraseClause,
  type SearchHit,
  type SearchQuery,
  type SearchResult,
  type SortKey,
} from './search-query.js';
import { FieldIndex, PostingsBuffer } from './field-index.js';
import {
  expandQuery,
  type FeedbackParams,
  type FeedbackSource,
  type WeightedTerm,
} from './relevance-feedback.js';
import { DEFAULT_TOMBSTONE_RETENTION_MS, PostTombstones } from './post-tombstones.js';
import { ScoringStats } from './scoring-stats.js';
import { Segment, tagKeysOf, type SegmentData } from './segment.js';
import { TopDocs } from './top-k.js';

/** A field's BM25F weight and length normalization. */
export interface FieldWeight {
  readonly weight: number;
  readonly b: number;
}

export interface Bm25fParams {
  readonly k1: number;
  readonly text: FieldWeight;
  readonly tags: FieldWeight;
  readonly blog: FieldWeight;
}

/** Lucene's BM25 constants; tags and blog names are short and deliberate, so they weigh more. */
export const DEFAULT_BM25F: Bm25fParams = {
  k1: 1.2,
  text: { weight: 1, b: 0.75 },
  tags: { weight: 2, b: 0.75 },
  blog: { weight: 1.5, b: 0.75 },
};

/**
 * How matching more clauses counts. `tiered`: a post matching more distinct query terms and
 * phrases always ranks first, BM25F orders within a tier (what a search box user expects).
 * `none`: pure BM25F, as in IR evaluations with long queries.
 */
export type Coordination = 'tiered' | 'none';

export interface SearchIndexOptions {
  readonly analyzer?: Analyzer;
  readonly bm25f?: Bm25fParams;
  readonly coordination?: Coordination;
  /** Compact when deleted documents exceed this share of the ids handed out. Default 0.25. */
  readonly compactDeletedRatio?: number;
  /** ...and there are at least this many of them. Default 10,000. */
  readonly compactMinDeleted?: number;
  /**
   * RM3 pseudo-relevance feedback for relevance-ordered queries; off by default (it helps
   * long, descriptive queries such as Cranfield's, and costs a second pass).
   */
  readonly feedback?: FeedbackParams;
  /**
   * How long a deleted post id is remembered, so that its PostCreated delivered again (or
   * late) stays out, ms; afterwards the id is forgotten and such a PostCreated indexes the
   * post. Default 7 days (`DEFAULT_TOMBSTONE_RETENTION_MS`).
   */
  readonly tombstoneRetentionMs?: number;
  /** The clock deletions are timed by, ms. Default `Date.now`. */
  readonly now?: () => number;
}

/** Where one clause's scores may land. */
interface ClauseScope {
  readonly queryStamp: number;
  /** Non-zero when filters apply: allowed documents carry this stamp. */
  readonly allowStamp: number;
  readonly maxDoc: number;
  /** Documents created later are out (Infinity: none). */
  readonly createdAtBound: number;
}

export interface PostInput {
  readonly postId: string;
  readonly blogId: string;
  /** Plain text as readers see it (`PostIndexer` decodes character references first). */
  readonly text: string;
  readonly tags: readonly string[];
  /** Searched and filtered as tags, not shown or suggested: see `PostTagger`. */
  readonly derivedTags?: readonly string[];
  readonly createdAtMs: number;
}

export type AddOutcome = 'added' | 'duplicate' | 'deleted';

export interface TagSuggestion {
  readonly tag: string;
  readonly count: number;
}

export interface BlogSuggestion {
  readonly blogId: string;
  readonly name: string;
  readonly count: number;
}

export interface IndexStats {
  readonly documents: number;
  readonly deletedDocuments: number;
  /** Deleted post ids remembered (see `tombstoneRetentionMs`). */
  readonly tombstones: number;
  readonly textTerms: number;
  readonly tags: number;
  readonly blogs: number;
  readonly postingBytes: number;
  readonly generation: number;
}

const NO_DOCS = new Uint32Array(0);

/** Everything an index holds, as plain strings and typed arrays (see `index-snapshot.ts`). */
export interface SearchIndexData {
  readonly generation: number;
  readonly segment: SegmentData;
  readonly blogs: readonly BlogRecord[];
  /** Deleted post ids remembered, oldest deletion first. */
  readonly removed: readonly string[];
  /**
   * When each of `removed` was deleted, ms on the index's clock. Absent (a snapshot from
   * before they were kept): each counts as deleted when restored.
   */
  readonly removedAtMs?: Float64Array;
  readonly tagKeys: readonly string[];
  readonly tagCounts: Uint32Array;
}

/**
 * The full-text index of posts: body text, tags and blog name as separate BM25F fields,
 * phrase queries over positions, tag and blog filters, relevance or recency order, highlight
 * snippets, and tag / blog-name completion. Synchronous and independent of gRPC, so services,
 * evaluations and benchmarks drive the same code.
 *
 * Scoring (Robertson & Zaragoza's BM25F with Lucene's BM25 idf): per query term t and post d,
 *   tf~ = Σ_field weight · tf_field / (1 − b + b · length_field(d) / avgLength_field)
 *   score += idf(t) · tf~ / (k1 + tf~),   idf = ln(1 + (N − df + 0.5) / (df + 0.5))
 * where N counts live posts and df the live posts with t in any field (a later page: the
 * first page's N, df and field length sums, `PageRequest.stats`). A phrase is scored the same
 * way with its occurrences as tf.
 */
export class SearchIndex {
  readonly analyzer: Analyzer;
  private readonly params: Bm25fParams;
  private readonly coordination: Coordination;
  private readonly compactRatio: number;
  private readonly compactMin: number;
  private segment: Segment;
  private generationNumber = 0;
  private readonly blogs: BlogDirectory;
  private readonly tagSuggester = new PrefixSuggester<string>();
  private readonly blogSuggester = new PrefixSuggester<number>();
  /** Deleted post ids, so a PostCreated arriving after its PostDeleted stays out. */
  private readonly tombstones: PostTombstones;
  private blogLengthSum = 0;
  private readonly scratch = new QueryScratch();
  private readonly postings = new PostingsBuffer();
  private readonly top = new TopDocs();
  private readonly feedback: FeedbackParams | undefined;
  /** The statistics the current search scores with (set by `search`). */
  private scoring = ScoringStats.of(undefined, {
    docs: 0,
    textLengthSum: 0,
    tagsLengthSum: 0,
    blogLengthSum: 0,
  });

  constructor(options: SearchIndexOptions = {}) {
    this.analyzer = options.analyzer ?? new EnglishAnalyzer();
    this.params = options.bm25f ?? DEFAULT_BM25F;
    this.coordination = options.coordination ?? 'tiered';
    this.compactRatio = options.compactDeletedRatio ?? 0.25;
    this.compactMin = options.compactMinDeleted ?? 10_000;
    this.feedback = options.feedback;
    this.tombstones = new PostTombstones(
      options.tombstoneRetentionMs ?? DEFAULT_TOMBSTONE_RETENTION_MS,
      options.now ?? Date.now,
    );
    this.segment = new Segment(this.analyzer);
    this.blogs = new BlogDirectory(this.analyzer);
  }

  /**
   * The index's state for a snapshot. Shares the live arrays: encode it before the next
   * change (the snapshot writer does, synchronously).
   */
  exportData(): SearchIndexData {
    const tags = this.tagSuggester.entriesWithCounts();
    const tombstones = this.tombstones.exportData();
    return {
      generation: this.generationNumber,
      segment: this.segment.exportData(),
      blogs: this.blogs.records(),
      removed: tombstones.postIds,
      removedAtMs: tombstones.deletedAtMs,
      tagKeys: tags.map(([key]) => key),
      tagCounts: Uint32Array.from(tags, ([, count]) => count),
    };
  }

  /** An index in the state `exportData` captured, with these (current) settings. */
  static restore(data: SearchIndexData, options: SearchIndexOptions = {}): SearchIndex {
    const index = new SearchIndex(options);
    index.segment = Segment.restore(index.analyzer, data.segment);
    index.generationNumber = data.generation;
    index.tombstones.restore(data.removed, data.removedAtMs);
    index.tagSuggester.addMany(
      data.tagKeys.map((key, i) => [key, key, data.tagCounts[i] ?? 0] as const),
    );
    const named: [string, number, number][] = [];
    for (const record of data.blogs) {
      const blog = index.blogs.restore(record);
      index.blogLengthSum += nameLength(blog) * blog.livePosts;
      if (blog.name !== '') named.push([blogKey(blog), blog.ordinal, blog.livePosts]);
    }
    index.blogSuggester.addMany(named);
    return index;
  }

  /** Bumped by each compaction, which renumbers documents. */
  get generation(): number {
    return this.generationNumber;
  }

  stats(): IndexStats {
    const segment = this.segment;
    return {
      documents: segment.liveDocs,
      deletedDocuments: segment.docCount - segment.liveDocs,
      tombstones: this.tombstones.size,
      textTerms: segment.text.termCount,
      tags: this.tagSuggester.size,
      blogs: this.blogs.size,
      postingBytes: segment.pool.allocatedBytes,
      generation: this.generationNumber,
    };
  }

  has(postId: string): boolean {
    return this.segment.docOf.has(postId);
  }

  /**
   * Indexes a post. A post id seen before, live or deleted (within `tombstoneRetentionMs`), is
   * left as it is.
   */
  addPost(post: PostInput): AddOutcome {
    if (this.tombstones.has(post.postId)) return 'deleted';
    if (this.segment.docOf.has(post.postId)) return 'duplicate';
    const blog = this.blogs.ensure(post.blogId);
    const tagKeys = tagKeysOf(post.tags);
    this.segment.add({
      postId: post.postId,
      blogOrdinal: blog.ordinal,
      text: post.text,
      tags: post.tags,
      ...(post.derivedTags?.length ? { derivedTags: post.derivedTags } : {}),
      createdAtMs: post.createdAtMs,
    });
    for (const key of tagKeys) this.tagSuggester.add(key, key, 1);
    blog.livePosts += 1;
    this.blogLengthSum += nameLength(blog);
    if (blog.name !== '') this.blogSuggester.add(blogKey(blog), blog.ordinal, 1);
    return 'added';
  }

  /**
   * Removes a post, and keeps its id out for `tombstoneRetentionMs`; true when it was indexed.
   * Idempotent.
   */
  deletePost(postId: string): boolean {
    this.tombstones.add(postId);
    const doc = this.segment.docOf.get(postId);
    if (doc === undefined) return false;
    const stored = this.segment.stored(doc);
    this.segment.delete(doc);
    for (const key of tagKeysOf(stored.tags)) this.tagSuggester.add(key, key, -1);
    const blog = this.blogs.get(stored.blogOrdinal);
    if (blog !== undefined) {
      blog.livePosts -= 1;
      this.blogLengthSum -= nameLength(blog);
      if (blog.name !== '') this.blogSuggester.add(blogKey(blog), blog.ordinal, -1);
    }
    const deleted = this.segment.docCount - this.segment.liveDocs;
    if (deleted >= this.compactMin && deleted > this.segment.docCount * this.compactRatio) {
      this.compact();
    }
    return true;
  }

  /** Names a blog (its BlogCreated); a later `atMs` wins. Posts already indexed follow. */
  nameBlog(blogId: string, name: string, atMs: number): boolean {
    const blog = this.blogs.ensure(blogId);
    const previousKey = blog.name === '' ? undefined : blogKey(blog);
    const previousLength = nameLength(blog);
    if (!this.blogs.rename(blog, name, atMs)) return false;
    this.blogLengthSum += (nameLength(blog) - previousLength) * blog.livePosts;
    if (previousKey !== undefined) this.blogSuggester.delete(previousKey);
    this.blogSuggester.add(blogKey(blog), blog.ordinal, blog.livePosts);
    return true;
  }

  /**
   * Rebuilds the postings from the live documents, dropping deleted ones for good. Blocks
   * for as long as indexing them takes; document ids change (see `generation`).
   */
  compact(): void {
    const old = this.segment;
    const fresh = new Segment(this.analyzer);
    for (let doc = 0; doc < old.docCount; doc += 1) {
      if (old.isLive(doc)) fresh.add(old.stored(doc));
    }
    this.segment = fresh;
    this.generationNumber += 1;
  }

  /** Tags by prefix (normalized), most used first. */
  suggestTags(prefix: string, limit: number): TagSuggestion[] {
    return this.tagSuggester
      .complete(normalizeKeyword(prefix), limit)
      .map((c: Completion<string>) => ({ tag: c.value, count: c.count }));
  }

  /** Blogs by name prefix, most posts first; blogs that have not posted yet come last. */
  suggestBlogs(prefix: string, limit: number): BlogSuggestion[] {
    const key = normalizeKeyword(prefix);
    if (key === '') return [];
    return this.blogSuggester.complete(key, limit, true).flatMap((c) => {
      const blog = this.blogs.get(c.value);
      return blog === undefined ? [] : [{ blogId: blog.id, name: blog.name, count: c.count }];
    });
  }

  search(query: SearchQuery, page: PageRequest): SearchResult {
    const segment = this.segment;
    const bounded = page.maxDoc !== undefined && page.generation === this.generationNumber;
    const maxDoc = Math.min(bounded ? (page.maxDoc ?? 0) : Infinity, segment.docCount - 1);
    const createdAtBound = page.createdAtBound ?? segment.newestCreatedAtMs;
    const scoring = ScoringStats.of(page.stats, {
      docs: segment.liveDocs,
      textLengthSum: segment.textLengthSum,
      tagsLengthSum: segment.tagsLengthSum,
      blogLengthSum: this.blogLengthSum,
    });
    this.scoring = scoring;
    const result = (hits: readonly SearchHit[], totalHits: number, more: boolean) => ({
      hits,
      totalHits,
      more,
      createdAtBound,
      stats: scoring.export(),
      maxDoc,
      generation: this.generationNumber,
    });
    const hasClauses = query.terms.length + query.phrases.length > 0;
    const filtered = this.filteredDocs(query);
    if (filtered?.length === 0 || (!hasClauses && filtered === undefined)) {
      return result([], 0, false);
    }

    const scope = {
      maxDoc,
      createdAtBound: page.createdAtBound ?? Infinity,
    };
    const clauses = query.terms.map((term) => ({ term, weight: 1, counts: true }));
    let queryStamp = this.scoreQuery(clauses, query.phrases, filtered, scope);
    const feedback = this.feedback;
    if (feedback !== undefined && query.order === 'relevance' && clauses.length > 0) {
      const expanded = expandQuery(
        this.feedbackSource(),
        clauses,
        this.topDocs(feedback.docs, query.phrases.length),
        feedback,
      );
      if (expanded !== undefined) {
        queryStamp = this.scoreQuery(expanded, query.phrases, filtered, scope);
      }
    }

    const relevance = hasClauses && query.order === 'relevance';
    const order = relevance ? this.byRelevance() : this.byRecency();
    const after = page.after === undefined ? undefined : this.ranksAfter(page.after, relevance);
    const top = this.top;
    top.reset(page.offset + page.limit, order);
    const scratch = this.scratch;
    const docs = scratch.docs;
    const phrasesMatched = scratch.phrasesMatched;
    const phrases = hasClauses ? query.phrases.length : 0;
    let totalHits = 0;
    let ranked = 0;
    for (let i = 0; i < scratch.docCount; i += 1) {
      const doc = docs[i] as number;
      if ((phrasesMatched[doc] as number) < phrases) continue;
      totalHits += 1;
      if (after !== undefined && !after(doc)) continue;
      ranked += 1;
      top.offer(doc);
    }
    const wanted = new Set([...query.terms, ...query.phrases.flatMap((p) => p.terms)]);
    const tagKeys = new Set(query.tags);
    for (const keys of query.tagAlternatives?.values() ?? []) for (const k of keys) tagKeys.add(k);
    const hits = top
      .drain()
      .slice(page.offset)
      .map((doc) => this.hit(doc, wanted, tagKeys, queryStamp, page.highlight !== false));
    return result(hits, totalHits, page.offset + hits.length < ranked);
  }

  /**
   * Scores every clause into the scratch accumulators, term at a time, and returns the
   * query's stamp. Without clauses, the filtered documents are the candidates.
   */
  private scoreQuery(
    clauses: readonly WeightedTerm[],
    phrases: readonly PhraseClause[],
    filtered: Uint32Array | undefined,
    bounds: Pick<ClauseScope, 'maxDoc' | 'createdAtBound'>,
  ): number {
    const segment = this.segment;
    const scratch = this.scratch;
    const queryStamp = scratch.begin(segment.docCount);
    let allowStamp = 0;
    if (filtered !== undefined) {
      allowStamp = scratch.nextStamp();
      for (const doc of filtered) scratch.allowedStamp[doc] = allowStamp;
    }
    if (clauses.length + phrases.length === 0) {
      const docs = scratch.docs;
      const createdAt = segment.createdAt.view();
      let n = 0;
      for (const doc of filtered ?? []) {
        if (
          doc <= bounds.maxDoc &&
          (createdAt[doc] as number) <= bounds.createdAtBound &&
          segment.isLive(doc)
        ) {
          scratch.phrasesMatched[doc] = 0;
          docs[n++] = doc;
        }
      }
      scratch.docCount = n;
      return queryStamp;
    }
    const scope: ClauseScope = { queryStamp, allowStamp, ...bounds };
    const scoring = this.scoring;
    for (const clause of clauses) {
      const n = this.stageTerm(clause.term);
      const df = scoring.termFrequency(clause.term, n);
      this.accumulate(n, df, clause.weight, clause.counts, false, scope);
    }
    phrases.forEach((phrase, i) => {
      const n = this.stagePhrase(phrase);
      this.accumulate(n, scoring.phraseFrequency(i, n), 1, true, true, scope);
    });
    return queryStamp;
  }

  /**
   * Stages one term's field-weighted, length-normalized frequency per live document
   * (BM25F's tf~) in `termWeight`, listing the documents in `termDocs`; returns how many.
   */
  private stageTerm(term: string): number {
    const segment = this.segment;
    const stamp = this.scratch.nextStamp();
    let n = 0;
    const textId = segment.text.termId(term);
    if (textId !== undefined) {
      n = this.stageField(
        segment.text,
        textId,
        this.params.text,
        segment.textLengths.view(),
        this.scoring.textLengthSum,
        stamp,
        n,
      );
    }
    const tagsId = segment.tags.termId(term);
    if (tagsId !== undefined) {
      n = this.stageField(
        segment.tags,
        tagsId,
        this.params.tags,
        segment.tagsLengths.view(),
        this.scoring.tagsLengthSum,
        stamp,
        n,
      );
    }
    for (const [ordinal, freq] of this.blogs.withTerm(term)) {
      n = this.stageBlog(ordinal, freq, stamp, n);
    }
    return n;
  }

  private stageField(
    field: FieldIndex,
    termId: number,
    weight: FieldWeight,
    lengths: Uint16Array,
    lengthSum: number,
    stamp: number,
    first: number,
  ): number {
    const buffer = this.postings;
    const size = field.readPostings(termId, buffer);
    const docs = buffer.docs;
    const freqs = buffer.freqs;
    const deleted = this.segment.deleted.raw;
    const { termStamp, termWeight, termDocs } = this.scratch;
    const base = 1 - weight.b;
    const slope = weight.b / this.scoring.average(lengthSum);
    const w = weight.weight;
    let n = first;
    for (let i = 0; i < size; i += 1) {
      const doc = docs[i] as number;
      if (((deleted[doc >>> 5] ?? 0) & (1 << (doc & 31))) !== 0) continue;
      const tf = (w * (freqs[i] as number)) / (base + slope * (lengths[doc] as number));
      if (termStamp[doc] !== stamp) {
        termStamp[doc] = stamp;
        termWeight[doc] = tf;
        termDocs[n++] = doc;
      } else {
        termWeight[doc] = (termWeight[doc] as number) + tf;
      }
    }
    return n;
  }

  /** A blog-name match counts for every live post of the blog (the name is stored once). */
  private stageBlog(ordinal: number, freq: number, stamp: number, first: number): number {
    const blog = this.blogs.get(ordinal);
    const termId = this.segment.blogPosts.termId(String(ordinal));
    if (blog === undefined || blog.livePosts === 0 || termId === undefined) return first;
    const { blog: field } = this.params;
    const scoring = this.scoring;
    const norm =
      1 - field.b + (field.b * nameLength(blog)) / scoring.average(scoring.blogLengthSum);
    const tf = (field.weight * freq) / norm;
    const buffer = this.postings;
    const size = this.segment.blogPosts.readPostings(termId, buffer);
    const deleted = this.segment.deleted.raw;
    const { termStamp, termWeight, termDocs } = this.scratch;
    let n = first;
    for (let i = 0; i < size; i += 1) {
      const doc = buffer.docs[i] as number;
      if (((deleted[doc >>> 5] ?? 0) & (1 << (doc & 31))) !== 0) continue;
      if (termStamp[doc] !== stamp) {
        termStamp[doc] = stamp;
        termWeight[doc] = tf;
        termDocs[n++] = doc;
      } else {
        termWeight[doc] = (termWeight[doc] as number) + tf;
      }
    }
    return n;
  }

  /** Stages a phrase like a term, with its in-order occurrences as the frequency. */
  private stagePhrase(phrase: PhraseClause): number {
    const segment = this.segment;
    const stamp = this.scratch.nextStamp();
    const { termStamp, termWeight, termDocs } = this.scratch;
    const { text, tags } = this.params;
    let n = 0;
    const add = (doc: number, tf: number) => {
      if (termStamp[doc] !== stamp) {
        termStamp[doc] = stamp;
        termWeight[doc] = tf;
        termDocs[n++] = doc;
      } else {
        termWeight[doc] = (termWeight[doc] as number) + tf;
      }
    };
    const avgText = this.scoring.average(this.scoring.textLengthSum);
    const avgTags = this.scoring.average(this.scoring.tagsLengthSum);
    this.phraseOccurrences(segment, 'text', phrase, (doc, freq) => {
      const norm = 1 - text.b + (text.b * segment.textLengths.get(doc)) / avgText;
      add(doc, (text.weight * freq) / norm);
    });
    this.phraseOccurrences(segment, 'tags', phrase, (doc, freq) => {
      const norm = 1 - tags.b + (tags.b * segment.tagsLengths.get(doc)) / avgTags;
      add(doc, (tags.weight * freq) / norm);
    });
    const first = phrase.terms[0] ?? '';
    for (const ordinal of this.blogs.withTerm(first).keys()) {
      const blog = this.blogs.get(ordinal);
      const freq = blog === undefined ? 0 : phraseFreq(blog.nameTokens, phrase);
      if (freq > 0) n = this.stageBlog(ordinal, freq, stamp, n);
    }
    return n;
  }

  /**
   * Adds the `n` staged documents of a clause to the documents' scores: BM25 saturation times
   * idf (`df`: the clause's live documents before filters, or the first page's), times the
   * clause's weight.
   */
  private accumulate(
    n: number,
    df: number,
    weight: number,
    counts: boolean,
    isPhrase: boolean,
    scope: ClauseScope,
  ): void {
    if (n === 0) return;
    const scratch = this.scratch;
    const { termDocs, termWeight, allowedStamp, docStamp, score, matched, phrasesMatched, docs } =
      scratch;
    const { queryStamp, allowStamp, maxDoc, createdAtBound } = scope;
    const createdAt = this.segment.createdAt.view();
    const live = this.scoring.docs;
    const idf = weight * Math.log(1 + (live - df + 0.5) / (df + 0.5));
    const k1 = this.params.k1;
    const countsOne = counts ? 1 : 0;
    const phraseOne = isPhrase ? 1 : 0;
    let docCount = scratch.docCount;
    for (let i = 0; i < n; i += 1) {
      const doc = termDocs[i] as number;
      if (doc > maxDoc || (allowStamp !== 0 && allowedStamp[doc] !== allowStamp)) continue;
      if ((createdAt[doc] as number) > createdAtBound) continue;
      if (docStamp[doc] !== queryStamp) {
        docStamp[doc] = queryStamp;
        score[doc] = 0;
        matched[doc] = 0;
        phrasesMatched[doc] = 0;
        docs[docCount++] = doc;
      }
      const tf = termWeight[doc] as number;
      score[doc] = (score[doc] as number) + (idf * tf) / (k1 + tf);
      matched[doc] = (matched[doc] as number) + countsOne;
      phrasesMatched[doc] = (phrasesMatched[doc] as number) + phraseOne;
    }
    scratch.docCount = docCount;
  }

  /** The best `k` scored documents that match every phrase, best first (for feedback). */
  private topDocs(k: number, phrases: number): number[] {
    const top = this.top;
    const scratch = this.scratch;
    top.reset(k, this.byRelevance());
    for (let i = 0; i < scratch.docCount; i += 1) {
      const doc = scratch.docs[i] as number;
      if ((scratch.phrasesMatched[doc] as number) >= phrases) top.offer(doc);
    }
    return top.drain();
  }

  private feedbackSource(): FeedbackSource {
    return {
      analyzer: this.analyzer,
      score: (doc) => this.scratch.score[doc] ?? 0,
      fields: (doc) => [this.segment.bodyOf(doc), ...this.segment.tagsOf(doc)],
    };
  }

  /** Documents every filter admits (ascending), or undefined when the query has no filter. */
  private filteredDocs(query: SearchQuery): Uint32Array | undefined {
    const sets: Uint32Array[] = [];
    for (const tag of query.tags)
      sets.push(this.tagFilterDocs(tag, query.tagAlternatives?.get(tag)));
    if (query.blogs.length > 0) {
      sets.push(this.postsOfBlogs(query.blogs.flatMap((b) => this.blogs.matching(b))));
    }
    if (query.blogIds.length > 0) {
      const blogs = query.blogIds.flatMap((id) => this.blogs.byBlogId(id) ?? []);
      sets.push(this.postsOfBlogs(blogs));
    }
    if (sets.length === 0) return undefined;
    sets.sort((a, b) => a.length - b.length);
    return sets.reduce(intersect);
  }

  /** Documents filed under the tag or any of its alternatives (ascending, each once). */
  private tagFilterDocs(tag: string, alternatives: readonly string[] | undefined): Uint32Array {
    const tagKeys = this.segment.tagKeys;
    let docs = tagKeys.documents(tag, this.postings);
    for (const key of alternatives ?? []) {
      if (key === tag) continue;
      const more = tagKeys.documents(key, this.postings);
      if (more.length > 0) docs = docs.length === 0 ? more : union(docs, more);
    }
    return docs;
  }

  private postsOfBlogs(blogs: readonly Blog[]): Uint32Array {
    if (blogs.length === 0) return NO_DOCS;
    const lists = blogs.map((blog) =>
      this.segment.blogPosts.documents(String(blog.ordinal), this.postings),
    );
    if (lists.length === 1) return lists[0] ?? NO_DOCS;
    const merged = new Uint32Array(lists.reduce((n, list) => n + list.length, 0));
    let at = 0;
    for (const list of lists) {
      merged.set(list, at);
      at += list.length;
    }
    return merged.sort();
  }

  /** Documents where the phrase's terms all occur at their offsets, with the count. */
  private phraseOccurrences(
    segment: Segment,
    field: 'text' | 'tags',
    phrase: PhraseClause,
    found: (doc: number, freq: number) => void,
  ): void {
    const index = segment[field];
    const cursors = phrase.terms.map((term) => index.postings(term));
    if (cursors.some((c) => c === undefined) || cursors.length === 0) return;
    const lists = cursors as NonNullable<(typeof cursors)[number]>[];
    for (const cursor of lists) if (!cursor.next()) return;
    const scratchPositions = lists.map(() => [] as number[]);
    for (;;) {
      let target = 0;
      for (const cursor of lists) target = Math.max(target, cursor.doc);
      let aligned = true;
      for (const cursor of lists) {
        if (!cursor.advance(target)) return;
        if (cursor.doc !== target) aligned = false;
      }
      if (!aligned) continue;
      if (!segment.deleted.has(target)) {
        const positions = lists.map((cursor, i) => cursor.positions(scratchPositions[i]));
        const freq = countPhrase(positions, phrase.offsets);
        if (freq > 0) found(target, freq);
      }
      for (const cursor of lists) if (!cursor.next()) return;
    }
  }

  private byRelevance(): (a: number, b: number) => boolean {
    const { score, matched } = this.scratch;
    const createdAt = this.segment.createdAt.view();
    const postIds = this.segment.postIds;
    const tiered = this.coordination === 'tiered';
    return (a, b) => {
      if (tiered) {
        const ma = matched[a] as number;
        const mb = matched[b] as number;
        if (ma !== mb) return ma > mb;
      }
      const sa = score[a] as number;
      const sb = score[b] as number;
      if (sa !== sb) return sa > sb;
      const ta = createdAt[a] as number;
      const tb = createdAt[b] as number;
      return ta !== tb ? ta > tb : idBefore(postIds[a] ?? '', postIds[b] ?? '');
    };
  }

  /** Newest first; posts of one millisecond by id, so every replica lists them alike. */
  private byRecency(): (a: number, b: number) => boolean {
    const createdAt = this.segment.createdAt.view();
    const postIds = this.segment.postIds;
    return (a, b) => {
      const ta = createdAt[a] as number;
      const tb = createdAt[b] as number;
      return ta !== tb ? ta > tb : idBefore(postIds[a] ?? '', postIds[b] ?? '');
    };
  }

  /** Whether a scored document ranks after `key` in the order `byRelevance` / `byRecency` give. */
  private ranksAfter(key: SortKey, relevance: boolean): (doc: number) => boolean {
    const { score, matched } = this.scratch;
    const createdAt = this.segment.createdAt.view();
    const postIds = this.segment.postIds;
    const tiered = relevance && this.coordination === 'tiered';
    return (doc) => {
      if (tiered) {
        const m = matched[doc] as number;
        if (m !== key.matchedClauses) return m < key.matchedClauses;
      }
      if (relevance) {
        const s = score[doc] as number;
        if (s !== key.score) return s < key.score;
      }
      const t = createdAt[doc] as number;
      if (t !== key.createdAtMs) return t < key.createdAtMs;
      return idBefore(key.postId, postIds[doc] ?? '');
    };
  }

  private hit(
    doc: number,
    wanted: ReadonlySet<string>,
    /** Every key of the query's tag filters: the author's tags carrying one are marked. */
    tagFilters: ReadonlySet<string>,
    queryStamp: number,
    highlight: boolean,
  ): SearchHit {
    const segment = this.segment;
    const scratch = this.scratch;
    const blog = this.blogs.get(segment.blogOrdinals.get(doc));
    const scored = scratch.docStamp[doc] === queryStamp;
    const score = scored ? (scratch.score[doc] ?? 0) : 0;
    const matchedClauses = scored ? (scratch.matched[doc] ?? 0) : 0;
    if (!highlight) {
      return {
        postId: segment.postIds[doc] ?? '',
        blogId: blog?.id ?? '',
        score,
        matchedClauses,
        tags: segment.tagsOf(doc),
        createdAtMs: segment.createdAt.get(doc),
        highlights: [],
      };
    }
    const stored = segment.stored(doc);
    const highlights: Highlight[] = [];
    const textSnippet = snippet(
      stored.text,
      matchedSpans(this.analyzer.analyze(stored.text), wanted),
    );
    if (textSnippet !== undefined) highlights.push({ field: 'text', snippet: textSnippet });
    const tagSnippet = this.tagsSnippet(stored.tags, wanted, tagFilters);
    if (tagSnippet !== undefined) highlights.push({ field: 'tags', snippet: tagSnippet });
    if (blog !== undefined && blog.name !== '') {
      const spans = matchedSpans(blog.nameTokens, wanted);
      if (spans.length > 0) highlights.push({ field: 'blog', snippet: markAll(blog.name, spans) });
    }
    return {
      postId: stored.postId,
      blogId: blog?.id ?? '',
      score,
      matchedClauses,
      tags: stored.tags,
      createdAtMs: stored.createdAtMs,
      highlights,
    };
  }

  private tagsSnippet(
    tags: readonly string[],
    wanted: ReadonlySet<string>,
    filters: ReadonlySet<string>,
  ): string | undefined {
    let any = false;
    const parts = tags.map((tag) => {
      if (filters.has(normalizeKeyword(tag))) {
        any = true;
        return markAll(tag, [{ start: 0, end: tag.length, term: '' }]);
      }
      const spans = matchedSpans(this.analyzer.analyze(tag), wanted);
      if (spans.length === 0) return tag;
      any = true;
      return markAll(tag, spans);
    });
    if (!any) return undefined;
    let out = '';
    for (const part of parts) {
      const next = out === '' ? part : `${out}, ${part}`;
      if (next.length > MAX_SNIPPET_LENGTH) break;
      out = next;
    }
    return out === '' ? undefined : out;
  }
}

function blogKey(blog: Blog): string {
  return `${normalizeKeyword(blog.name)}\u0000${blog.id}`;
}

/** The documents of two ascending lists, ascending and each once. */
function union(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] ?? 0;
    const y = b[j] ?? 0;
    if (x <= y) {
      out[n++] = x;
      i += 1;
      if (x === y) j += 1;
    } else {
      out[n++] = y;
      j += 1;
    }
  }
  while (i < a.length) out[n++] = a[i++] ?? 0;
  while (j < b.length) out[n++] = b[j++] ?? 0;
  return out.subarray(0, n);
}

function intersect(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(Math.min(a.length, b.length));
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] ?? 0;
    const y = b[j] ?? 0;
    if (x === y) {
      out[n++] = x;
      i += 1;
      j += 1;
    } else if (x < y) i += 1;
    else j += 1;
  }
  return out.subarray(0, n);
}

/** Start positions of the first term from which every term sits at its offset. */
function countPhrase(positions: readonly number[][], offsets: readonly number[]): number {
  const first = positions[0] ?? [];
  let count = 0;
  for (const start of first) {
    let all = true;
    for (let i = 1; i < positions.length && all; i += 1) {
      all = binaryHas(positions[i] ?? [], start + (offsets[i] ?? 0));
    }
    if (all) count += 1;
  }
  return count;
}

function phraseFreq(tokens: readonly Token[], phrase: PhraseClause): number {
  const byTerm = new Map<string, number[]>();
  for (const token of tokens) {
    let list = byTerm.get(token.term);
    if (list === undefined) byTerm.set(token.term, (list = []));
    list.push(token.position);
  }
  return countPhrase(
    phrase.terms.map((term) => byTerm.get(term) ?? []),
    phrase.offsets,
  );
}

function binaryHas(sorted: readonly number[], value: number): boolean {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const v = sorted[mid] ?? 0;
    if (v === value) return true;
    if (v < value) low = mid + 1;
    else high = mid - 1;
  }
  return false;
}
