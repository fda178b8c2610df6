import type { NamedMatrix, NamedVector } from '@feedmesh/models';

/** What the feature store answers for one user and a batch of posts (GetFeatures). */
export interface FeatureRows {
  /** The registry version that laid out the columns (GetFeaturesResponse.schema), if known. */
  readonly schema?: string;
  readonly user: NamedVector;
  /** One row per requested post, in request order. */
  readonly candidates: NamedMatrix;
}

/** Features wanted as they were at an instant (a point-in-time read). */
export interface FeatureRequestAt {
  readonly userId: string;
  readonly postIds: readonly string[];
  readonly atMs: number;
}

/**
 * Where the trainer gets the features of (user, post) pairs. In production the feature
 * store over gRPC (`FeatureStoreFeatureSource`); tests and the playground can compute them
 * another way.
 */
export interface FeatureSource {
  /** Today's features. At most `maxPostsPerCall` posts per call. */
  getFeatures(userId: string, postIds: readonly string[]): Promise<FeatureRows>;
  readonly maxPostsPerCall: number;
  /**
   * Features as they were at each request's instant, one answer per request, in order: no
   * leakage of what happened after. Optional: a source that can rebuild the past (the
   * feature store's `PointInTimeFeatureSource`, which replays the log) offers it; without
   * it the trainer falls back to today's features.
   */
  getFeaturesAsOf?(requests: readonly FeatureRequestAt[]): Promise<FeatureRows[]>;
}
