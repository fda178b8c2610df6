export {
  averagePrecisionAt,
  binaryNdcgAt,
  mean,
  ndcgAt,
  precisionAt,
  recallAt,
} from './ranking-metrics.js';
