import { featuresv1 } from '@feedmesh/contracts';
import {
  bindService,
  optionalId,
  requireId,
  requireIds,
  requireRange,
  type ServiceBinding,
} from '@feedmesh/service-kit';
import { withSpan } from '@feedmesh/telemetry';
import { candidateMatrix, interestsOf, lastSessionOf, userVector } from './feature-responses.js';
import { featureSchema } from './feature-schema.js';
import type { FeatureStore } from './feature-store.js';

/** GetFeatures' post_ids limit, from the proto. */
export const MAX_POST_IDS = 5_000;
/** GetUserFeatures' max_list_size: 0 means this default; at most MAX_LIST_SIZE. */
export const DEFAULT_LIST_SIZE = 500;
export const MAX_LIST_SIZE = 5_000;

export interface FeatureStoreServiceOptions {
  readonly store: FeatureStore;
  /** The request clock decayed counters and ages are computed at, ms since the epoch. */
  readonly clock: () => number;
}

/** feedmesh.features.v1.FeatureStoreService: batch reads for the feed's hot path. */
export function featureStoreService({ store, clock }: FeatureStoreServiceOptions): ServiceBinding {
  return bindService(featuresv1.FeatureStoreServiceDefinition, {
    async getFeatures(request): Promise<featuresv1.GetFeaturesResponse> {
      const userId = optionalId(request.userId, 'user_id') || undefined;
      const postIds = requireIds(request.postIds, 'post_ids', MAX_POST_IDS);
      const distinct = [...new Set(postIds)];
      const states = await withSpan(
        'feature-store.read-candidates',
        { 'feedmesh.user': userId ?? '', 'feedmesh.posts': distinct.length },
        () => store.readCandidates(userId, distinct),
      );
      const nowMs = clock();
      return {
        schema: featureSchema.version,
        user: userVector(states.user, nowMs),
        candidates: candidateMatrix(userId, states, postIds, nowMs),
      };
    },

    async getUserFeatures(request): Promise<featuresv1.GetUserFeaturesResponse> {
      const userId = requireId(request.userId, 'user_id');
      const limit =
        requireRange(request.maxListSize, 'max_list_size', 0, MAX_LIST_SIZE) || DEFAULT_LIST_SIZE;
      const user = await withSpan('feature-store.read-user', { 'feedmesh.user': userId }, () =>
        store.readUser(userId, limit),
      );
      const nowMs = clock();
      return {
        schema: featureSchema.version,
        features: userVector(user.state, nowMs),
        interests: interestsOf(user, nowMs, limit),
        servedPostIds: [...user.sets.served],
        engagedPostIds: [...user.sets.engaged],
        hiddenPostIds: [...user.sets.hidden],
        blockedBlogIds: [...user.sets.blocked],
        followedBlogIds: [...user.sets.following],
        ownBlogIds: [...user.sets.owned_blogs],
        lastSessionAtMs: lastSessionOf(user.state),
        // A user whose state expired may still own blogs or follow some: still known.
        known: user.state !== undefined || Object.values(user.sets).some((ids) => ids.length > 0),
      };
    },
  });
}
