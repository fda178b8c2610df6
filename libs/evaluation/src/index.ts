export {
  averagePrecisionAt,
  binaryNdcgAt,
  mean,
  ndcgAt,
  precisionAt,
  recallAt,
} from './ranking-metrics.js';
export * from './cranfield.js';
export * from './movielens-exports.js';
