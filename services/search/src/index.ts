/**
 * @feedmesh/search: the search service (`startSearch`), its engine (`SearchIndex` and
 * friends, no gRPC), and the Cranfield evaluation and benchmark the `feedmesh` CLI runs.
 */
export {
  searchConfigShape,
  loadContentModels,
  snapshotPath,
  startSearch,
  type SearchConfig,
  type SearchOptions,
} from './start-search.js';
export { searchGroupName, GROUP_SLOTS } from './search-group.js';
export { IndexReplica, type SnapshotEvent, type SnapshotSettings } from './index-replica.js';
export { runCranfieldEval, CRANFIELD_FEEDBACK } from './eval/cranfield-eval.js';
export type { CranfieldEvalOptions, CranfieldEvalReport } from './eval/cranfield-eval.js';
export { runSearchBench } from './bench/search-bench.js';
export type {
  EngineReport,
  LatencyReport,
  SearchBenchOptions,
  SearchBenchReport,
} from './bench/search-bench.js';
export { PostIndexer } from './post-indexer.js';
export { PostTagger, type PostTaggerOptions } from './post-tagger.js';
export { SearchCursorCodec } from './search-cursor.js';
export { MAX_RESULT_WINDOW } from './search-service.js';
export * from './engine/index.js';
