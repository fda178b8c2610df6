import type { NamedMatrix, NamedVector } from '@feedmesh/models';

/** What the feature store answers for one user and a batch of posts (GetFeatures). */
export interface FeatureRows {
  readonly user: NamedVector;
  /** One row per requested post, in request order. */
  readonly candidates: NamedMatrix;
}

/**
 * Where the trainer gets the features of (user, post) pairs. In production the feature
 * store over gRPC (`FeatureStoreFeatureSource`); tests and the playground can compute them
 * another way.
 */
export interface FeatureSource {
  /** At most `maxPostsPerCall` posts per call. */
  getFeatures(userId: string, postIds: readonly string[]): Promise<FeatureRows>;
  readonly maxPostsPerCall: number;
}
