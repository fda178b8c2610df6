export {
  artifactStoreFor,
  DanglingCurrentArtifactError,
  InMemoryArtifactStore,
  RedisArtifactStore,
  type ArtifactStore,
  type ArtifactVersion,
  type RedisArtifactStoreOptions,
} from './artifact-store.js';
