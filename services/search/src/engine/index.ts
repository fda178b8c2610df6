/**
 * The search engine, independent of gRPC: an evaluation tool or benchmark drives it in-process.
 *
 *   const index = new SearchIndex();
 *   index.addPost({ postId, blogId, text, tags, createdAtMs });
 *   const query = { ...parseQueryText('"red panda" #cute', index.analyzer), blogIds: [], order: 'relevance' };
 *   index.search(query, { offset: 0, limit: 10 });
 */
export {
  EnglishAnalyzer,
  foldCase,
  normalizeKeyword,
  type Analyzer,
  type Token,
} from './analyzer.js';
export {
  addTagAlternative,
  parseQueryText,
  type ParsedText,
  type ParseOptions,
} from './query-parser.js';
export {
  DEFAULT_BM25F,
  SearchIndex,
  type AddOutcome,
  type Bm25fParams,
  type BlogSuggestion,
  type Coordination,
  type FieldWeight,
  type IndexStats,
  type PostInput,
  type SearchIndexData,
  type SearchIndexOptions,
  type TagSuggestion,
} from './search-index.js';
export {
  idBefore,
  sortKeyOf,
  type CorpusStats,
  type Highlight,
  type PageRequest,
  type PhraseClause,
  type SearchHit,
  type SearchOrder,
  type SearchQuery,
  type SearchResult,
  type SortKey,
} from './search-query.js';
export { MAX_SNIPPET_LENGTH, OPEN_MARK, CLOSE_MARK } from './highlighter.js';
export { DEFAULT_TOMBSTONE_RETENTION_MS } from './post-tombstones.js';
export {
  readIndexSnapshot,
  SNAPSHOT_FORMAT,
  SnapshotFormatError,
  writeIndexSnapshot,
  type SnapshotMeta,
} from './index-snapshot.js';
export type { FeedbackParams } from './relevance-feedback.js';
