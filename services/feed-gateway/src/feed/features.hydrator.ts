import type { featuresv1 } from '@feedmesh/contracts';
import type { FeatureStoreClient } from '../downstream.js';
import type { FeedCandidate } from './feed-query.js';

export interface HydratedFeatures {
  readonly schema: string;
  readonly user: featuresv1.FeatureVector;
  /** One row per candidate, in the order of the candidates passed in. */
  readonly candidates: featuresv1.FeatureMatrix;
}

/** Candidate hydration: one GetFeatures call for every surviving candidate. */
export class FeaturesHydrator {
  readonly name = 'features';

  constructor(private readonly featureStore: FeatureStoreClient) {}

  async hydrate(
    userId: string,
    candidates: readonly FeedCandidate[],
    deadlineMs: number,
    signal: AbortSignal,
  ): Promise<HydratedFeatures> {
    const response = await this.featureStore.getFeatures(
      { userId, postIds: candidates.map((c) => c.postId) },
      { deadline: deadlineMs, signal },
    );
    return {
      schema: response.schema,
      user: response.user ?? { names: [], values: [], missing: Buffer.alloc(0) },
      candidates: response.candidates ?? {
        names: [],
        rows: 0,
        values: [],
        missing: Buffer.alloc(0),
      },
    };
  }
}

/** The value of a named column for row `row`, or undefined when the store has no such feature. */
export function column(
  matrix: featuresv1.FeatureMatrix,
  name: string,
): ((row: number) => number) | undefined {
  const index = matrix.names.indexOf(name);
  if (index < 0) return undefined;
  const width = matrix.names.length;
  return (row) => matrix.values[row * width + index] ?? 0;
}

/** The row's feature values as the ranker saw them: user features, then the candidate's. */
export function servedFeatureValues(features: HydratedFeatures, row: number): number[] {
  const width = features.candidates.names.length;
  return [
    ...features.user.values,
    ...features.candidates.values.slice(row * width, (row + 1) * width),
  ];
}
