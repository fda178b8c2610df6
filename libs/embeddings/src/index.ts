/**
 * Learned user and post vectors for the embeddings candidate source.
 *
 *   const artifact = trainEmbeddings(engagements, posts, { trainedAtMs, factors: 64 }); // trainer
 *   await embeddingStoreFor(runtime).publish(artifact);
 *   const index = new VectorIndex(artifact.dim, { centroids: artifact.ivf?.centroids });    // serving
 *   index.search(userVector, 500, (postId) => seen.has(postId));
 *   foldIn(d, { gram, regularization, alpha, vectors, weights, prior }); // a new post or user
 */
export { buildInteractions, type Interactions } from './interactions.js';
export {
  trainImplicitAls,
  type ImplicitAlsModel,
  type ImplicitAlsOptions,
} from './implicit-als.js';
export { foldIn, meanVector, type FoldInOptions } from './fold-in.js';
export { trainIvf, type IvfLayout, type IvfTrainingOptions } from './ivf-training.js';
export { VectorIndex, type Neighbour, type VectorIndexOptions } from './vector-index.js';
export {
  EMBEDDINGS_FORMAT,
  checkArtifact,
  decodeArtifact,
  encodeArtifact,
  type EmbeddingArtifact,
  type VectorTable,
} from './embedding-artifact.js';
export {
  InMemoryEmbeddingStore,
  RedisEmbeddingStore,
  embeddingStoreFor,
  type EmbeddingStore,
  type EmbeddingsVersion,
  type RedisEmbeddingStoreOptions,
} from './embedding-store.js';
export {
  trainEmbeddings,
  type EmbeddingTrainingOptions,
  type PostContent,
  type WeightedEngagement,
} from './train-embeddings.js';
export {
  DEFAULT_SESSION_EASE,
  checkNeighbours,
  trainSessionEase,
  type ItemNeighbours,
  type SessionEaseOptions,
  type TimedEngagement,
} from './item-neighbours.js';
export { invertSymmetricPositiveDefinite } from './spd-inverse.js';
export { dot, gram } from './dense.js';
export { normalizeTag, normalizeTags } from './post-tags.js';
export { TopK } from './top-k.js';
