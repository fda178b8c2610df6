// The public face of the generated contracts: one namespace per proto package, so the
// gateway's SearchRequest and the search service's SearchRequest never collide.
export * as commonv1 from './gen/feedmesh/common/v1/common.js';
export * as eventsv1 from './gen/feedmesh/events/v1/events.js';
export * as gatewayv1 from './gen/feedmesh/gateway/v1/gateway.js';
export * as candidatesv1 from './gen/feedmesh/candidates/v1/candidate_generation.js';
export * as featuresv1 from './gen/feedmesh/features/v1/feature_store.js';
export * as rankerv1 from './gen/feedmesh/ranker/v1/ranker.js';
export * as searchv1 from './gen/feedmesh/search/v1/search.js';
export * as notificationv1 from './gen/feedmesh/notification/v1/notification.js';
export * as echov1 from './gen/feedmesh/echo/v1/echo.js';

// Hand-written codecs for the float matrices on the feed's hot path: the same wire format as
// the generated messages, read and written as typed arrays in one copy.
export {
  decodeFeaturesResponse,
  encodeFeaturesResponse,
  PackedGetFeaturesResponse,
  packedFeatureStoreDefinition,
  type PackedFeaturesResponse,
  type PackedMatrix,
  type PackedVector,
} from './packed-features.js';
export {
  decodeRankRequest,
  decodeRankResponse,
  encodeRankRequest,
  encodeRankResponse,
  PackedRankRequest,
  PackedRankResponse,
  packedRankerDefinition,
} from './packed-ranker.js';

export { CANDIDATE_SOURCES, type CandidateSourceName } from './candidate-sources.js';

export { feedmeshDescriptorSet } from './descriptor-set.js';
export { unsafeIntegerFields, type UnsafeIntegerField } from './unsafe-integers.js';
export { isMissing, setMissing } from './missing-bits.js';
