import { isMissing, type PackedMatrix, type PackedVector } from '@feedmesh/contracts';
import { InternalError } from '@feedmesh/errors';
import type { FeatureStoreClient } from '../downstream.js';
import type { FeedCandidate } from './feed-query.js';

export interface HydratedFeatures {
  readonly schema: string;
  readonly user: PackedVector;
  /** One row per candidate, in the order of the candidates passed in. */
  readonly candidates: PackedMatrix;
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
    const postIds = new Array<string>(candidates.length);
    for (let i = 0; i < candidates.length; i++) postIds[i] = candidates[i]!.postId;
    // The packed decoder gives a response without user or candidates empty ones.
    const features = await this.featureStore.getFeatures(
      { userId, postIds },
      { deadline: deadlineMs, signal },
    );
    // One row per post asked: another shape leaves no telling which row is whose, and the
    // ranker and the impressions (training data) would take one post's features for another's.
    const { rows, names, values } = features.candidates;
    if (rows !== postIds.length || values.length !== rows * names.length) {
      throw new InternalError(
        `the feature store answered ${rows} row(s) of ${values.length} values for ` +
          `${postIds.length} posts and ${names.length} columns`,
      );
    }
    return features;
  }
}

/** The value of a named column for row `row`, or undefined when the store has no such feature. */
export function column(matrix: PackedMatrix, name: string): ((row: number) => number) | undefined {
  const index = matrix.names.indexOf(name);
  if (index < 0) return undefined;
  const width = matrix.names.length;
  return (row) => matrix.values[row * width + index] ?? 0;
}

/** The row's feature values as the ranker saw them: user features, then the candidate's. */
export function servedFeatureValues(features: HydratedFeatures, row: number): number[] {
  const user = features.user.values;
  const width = features.candidates.names.length;
  const all = features.candidates.values;
  const start = Math.min(row * width, all.length);
  const end = Math.min(start + width, all.length);
  const values = new Array<number>(user.length + end - start);
  for (let i = 0; i < user.length; i++) values[i] = user[i]!;
  for (let i = start; i < end; i++) values[user.length + i - start] = all[i]!;
  return values;
}

/**
 * Which of the row's served values (`servedFeatureValues`) were missing, as a bitset over them;
 * empty when none was.
 */
export function servedFeatureMissing(features: HydratedFeatures, row: number): Uint8Array {
  const { user, candidates } = features;
  const width = candidates.names.length;
  const userWidth = user.values.length;
  const start = Math.min(row * width, candidates.values.length);
  const count = userWidth + Math.min(width, candidates.values.length - start);
  let missing: Uint8Array | undefined;
  const mark = (at: number) => {
    missing ??= new Uint8Array(Math.ceil(count / 8));
    missing[at >> 3]! |= 1 << (at & 7);
  };
  for (let i = 0; i < userWidth; i++) if (isMissing(user.missing, i)) mark(i);
  for (let i = 0; i < count - userWidth; i++) {
    if (isMissing(candidates.missing, start + i)) mark(userWidth + i);
  }
  return missing ?? NONE_MISSING;
}

const NONE_MISSING = new Uint8Array(0);
