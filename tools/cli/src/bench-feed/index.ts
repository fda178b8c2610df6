export {
  runFeedBench,
  activeUsers,
  type FeedBenchOptions,
  type FeedBenchReport,
  type FeedBenchLevel,
} from './feed-bench.js';
export { renderFeedBench } from './feed-bench-table.js';
export { runLoad, type LoadRun, type LoadShape, type Call, type CallOutcome } from './load-loop.js';
export { runLoadInWorker, type LoadJob, type LoadTarget } from './load-generator.js';
export { summarizeLatencies, type LatencySummary } from './latency-summary.js';
