/** The MovieLens loader and split protocols (../shared/data/README.md). */
export {
  formatRatings,
  parseMovies,
  parseRatings,
  readMovies,
  readRatings,
  releaseYearOf,
  splitCsvLine,
  type Movie,
  type Rating,
} from './movielens.js';
export {
  splitRatingRows,
  splitRatings,
  type SplitProtocol,
  type SplitRatingsOptions,
  type SplitRatingsReport,
  type SplitResult,
} from './movielens-split.js';
