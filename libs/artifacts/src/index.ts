export {
  artifactStoreFor,
  InMemoryArtifactStore,
  RedisArtifactStore,
  type ArtifactStore,
  type ArtifactVersion,
  type RedisArtifactStoreOptions,
} from './artifact-store.js';
