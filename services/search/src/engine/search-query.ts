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

export interface PageRequest {
  readonly offset: number;
  readonly limit: number;
  /**
   * Only documents up to this id (the highest one when the first page was served), so later
   * pages are not shifted by posts created meanwhile. Ignored after a compaction (see
   * `SearchResult.generation`).
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
  /** The `maxDoc` to pass for the next page. */
  readonly maxDoc: number;
  readonly generation: number;
}
