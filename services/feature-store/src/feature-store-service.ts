import { packedFeatureStoreDefinition, type PackedFeaturesResponse } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import {
  bindService,
  ID_PATTERN,
  optionalId,
  requireId,
  requireMaxItems,
  requireRange,
  type ServiceBinding,
} from '@feedmesh/service-kit';
import { withSpan } from '@feedmesh/telemetry';
import {
  candidateMatrix,
  interestsOf,
  lastSessionOf,
  toFeatureVector,
  userVector,
} from './feature-responses.js';
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
  return bindService(packedFeatureStoreDefinition, {
    async getFeatures(request): Promise<PackedFeaturesResponse> {
      const userId = optionalId(request.userId, 'user_id') || undefined;
      const postIds = requirePostIds(request.postIds);
      const { distinct, rows } = distinctPosts(postIds);
      const states = await withSpan(
        'feature-store.read-candidates',
        { 'feedmesh.user': userId ?? '', 'feedmesh.posts': distinct.length },
        () => store.readCandidates(userId, distinct),
      );
      const nowMs = clock();
      return {
        schema: featureSchema.version,
        user: userVector(states.user, nowMs),
        candidates: candidateMatrix(userId, states, postIds, nowMs, rows),
      };
    },

    async getUserFeatures(request) {
      const userId = requireId(request.userId, 'user_id');
      const limit =
        requireRange(request.maxListSize, 'max_list_size', 0, MAX_LIST_SIZE) || DEFAULT_LIST_SIZE;
      const user = await withSpan('feature-store.read-user', { 'feedmesh.user': userId }, () =>
        store.readUser(userId, limit),
      );
      const nowMs = clock();
      return {
        schema: featureSchema.version,
        features: toFeatureVector(userVector(user.state, nowMs)),
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

/** The distinct posts to read, and each requested row's index among them. */
function distinctPosts(postIds: readonly string[]): { distinct: string[]; rows: Int32Array } {
  const at = new Map<string, number>();
  const distinct: string[] = [];
  const rows = new Int32Array(postIds.length);
  for (let i = 0; i < postIds.length; i++) {
    const postId = postIds[i]!;
    let index = at.get(postId);
    if (index === undefined) {
      index = distinct.length;
      at.set(postId, index);
      distinct.push(postId);
    }
    rows[i] = index;
  }
  return { distinct, rows };
}

/**
 * `requireIds` for the hot path: the same checks and messages, without building each id's
 * field name unless it is at fault.
 */
function requirePostIds(postIds: readonly string[]): readonly string[] {
  requireMaxItems(postIds, 'post_ids', MAX_POST_IDS);
  for (let i = 0; i < postIds.length; i++) {
    const id = postIds[i]!;
    if (id.length === 0 || id.length > 64 || !ID_PATTERN.test(id)) {
      requireId(id, `post_ids[${i}]`);
      throw new InvalidArgumentError(`post_ids[${i}]`, 'is not a valid id');
    }
  }
  return postIds;
}
