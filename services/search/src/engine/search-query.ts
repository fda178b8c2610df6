/** Words that must appear in this order, with these gaps (stop words keep their place). */
export interface PhraseClause {
  readonly terms: readonly string[];
  /** Each term's position relative to the first term's. */
  readonly offsets: readonly number[];
}

export type SearchOrder = 'relevance' | 'recency';

/**
 * A query in the engine's terms, already analyzed. Scoring clauses: `terms` are OR-ed (a
 * document needs one, and ranks higher the more it has), `phrases` are required. Filters:
 * every one of `tags` (each one or one of its `tagAlternatives`), one of `blogs` (names or
 * ids), one of `blogIds`. A query with filters
 * and no clauses lists the filtered posts, newest first.
 */
export interface SearchQuery {
  readonly terms: readonly string[];
  readonly phrases: readonly PhraseClause[];
  /** Normalized tags (see `normalizeKeyword`), as typed. */
  readonly tags: readonly string[];
  /**
   * More keys that satisfy a tag filter: the filter of each tag of `tags` admits a post
   * carrying that tag or any of its keys here (the service puts the tag's canonical form under
   * its current content models). Normalized; not part of a cursor's query fingerprint.
   */
  readonly tagAlternatives?: ReadonlyMap<string, readonly string[]>;
  /** `blog:` filters: a blog's name or id. */
  readonly blogs: readonly string[];
  readonly blogIds: readonly string[];
  readonly order: SearchOrder;
}

/**
 * The corpus statistics a search scores with (BM25F's N, field length sums and document
 * frequencies). Order-independent: replicas holding the same posts have the same.
 */
export interface CorpusStats {
  /** Live posts (N). */
  readonly docs: number;
  readonly textLengthSum: number;
  readonly tagsLengthSum: number;
  /** Blog-name length summed over live posts. */
  readonly blogLengthSum: number;
  /** Live posts with each scored term (df), before filters. */
  readonly termDocs: ReadonlyMap<string, number>;
  /** Live posts with each of the query's phrases, in the query's order. */
  readonly phraseDocs: readonly number[];
}

/**
 * Where a hit stands in a page order; the same on every replica holding the post. The order
 * is: more matched clauses (tiered relevance), higher score (relevance), newer, then the
 * post id (longer, then greater, first).
 */
export interface SortKey {
  readonly matchedClauses: number;
  readonly score: number;
  readonly createdAtMs: number;
  readonly postId: string;
}

export interface PageRequest {
  /** Ranked hits to skip (after `after`, when given). */
  readonly offset: number;
  readonly limit: number;
  /**
   * Only posts created at or before this time, ms (the first page's `createdAtBound`), so
   * later pages are not shifted by posts created meanwhile. The same set on every replica.
   */
  readonly createdAtBound?: number;
  /**
   * Score with these (the first page's `stats`) rather than the moment's, so posts created
   * or deleted meanwhile do not reorder the rest.
   */
  readonly stats?: CorpusStats;
  /** Only hits ranked after this one (the previous page's last hit). */
  readonly after?: SortKey;
  /**
   * Only documents up to this id (the highest one when the first page was served): the
   * bound of cursors issued before `createdAtBound`, local to one replica. Ignored after a
   * compaction (see `SearchResult.generation`).
   */
  readonly maxDoc?: number;
  readonly generation?: number;
  /** Build highlight snippets (default true); evaluations that only need ids turn it off. */
  readonly highlight?: boolean;
}

export interface Highlight {
  readonly field: 'text' | 'tags' | 'blog';
  readonly snippet: string;
}

export interface SearchHit {
  readonly postId: string;
  readonly blogId: string;
  readonly score: number;
  /** Distinct query clauses (terms and phrases) the post matched. */
  readonly matchedClauses: number;
  readonly tags: readonly string[];
  readonly createdAtMs: number;
  readonly highlights: readonly Highlight[];
}

export interface SearchResult {
  readonly hits: readonly SearchHit[];
  readonly totalHits: number;
  /** Whether more ranked hits follow the last one returned. */
  readonly more: boolean;
  /** The `createdAtBound` to pass for later pages: the one given, or the newest post's time. */
  readonly createdAtBound: number;
  /** The `stats` to pass for later pages: the ones this page was scored with. */
  readonly stats: CorpusStats;
  /** The `maxDoc` to pass for the next page (cursors from before `createdAtBound`). */
  readonly maxDoc: number;
  readonly generation: number;
}

/** A hit's place in the page order, for `PageRequest.after`. */
export function sortKeyOf(hit: SearchHit): SortKey {
  return {
    matchedClauses: hit.matchedClauses,
    score: hit.score,
    createdAtMs: hit.createdAtMs,
    postId: hit.postId,
  };
}

/**
 * The order of post ids among posts tied on everything else: true when `a` comes first
 * (longer, then greater by code unit: "p10" before "p9", as numbered ids go newest first).
 */
export function idBefore(a: string, b: string): boolean {
  return a.length !== b.length ? a.length > b.length : a > b;
}
