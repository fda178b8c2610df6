/**
 * Offline evaluation of the recommendation pipeline on MovieLens (issue 6): `runRecsEval`
 * returns a JSON report the `feedmesh eval recs --data` command prints; `runRecommend` fits
 * on a training file, writes every user's top k, then measures on a test file (`feedmesh eval
 * recs --train --test --out`).
 */
export {
  runRecommend,
  runRecsEval,
  type RecommendOptions,
  type RecommendReport,
  type CalibrationReport,
  type MethodFigures,
  type RecsEvalOptions,
  type RecsEvalReport,
  type SplitReport,
} from './recs-eval.js';
export { easeRetriever, type EaseOptions } from './ease.retriever.js';
export { rp3BetaRetriever, type Rp3BetaOptions } from './rp3beta.retriever.js';
export { popularityRetriever } from './popularity.retriever.js';
export { userKnnRetriever, type UserKnnOptions } from './user-knn.retriever.js';
export { RANKING_FEATURES } from './ranking-features.js';
