import { InMemoryArtifactStore, RedisArtifactStore, type ArtifactStore } from '@feedmesh/artifacts';
import type { Cluster, Redis } from 'ioredis';
import { decodeArtifact, encodeArtifact, type EmbeddingArtifact } from './embedding-artifact.js';

/** What the store knows about one published model, without its vectors. */
export interface EmbeddingsVersion {
  /** `v1`, `v2`, ...: increasing. */
  readonly version: string;
  readonly trainedAtMs: number;
  readonly publishedAtMs: number;
  readonly dim: number;
  readonly users: number;
  readonly items: number;
  readonly bytes: number;
  readonly metrics: Readonly<Record<string, number>>;
}

type EmbeddingsInfo = Omit<EmbeddingsVersion, 'version' | 'publishedAtMs' | 'bytes'>;

/**
 * Where the trainer publishes embeddings and candidate generation picks them up: the only
 * thing the two share (neither reads the other's keys). Publishing makes a version current
 * only once it is completely stored, so a reader never sees half a model.
 */
export interface EmbeddingStore {
  publish(artifact: EmbeddingArtifact, publishedAtMs?: number): Promise<EmbeddingsVersion>;
  current(): Promise<EmbeddingsVersion | undefined>;
  load(version: string): Promise<EmbeddingArtifact | undefined>;
}

/** Embeddings over an artifact store: encoded and described here, stored there. */
class ArtifactEmbeddingStore implements EmbeddingStore {
  constructor(private readonly artifacts: ArtifactStore<EmbeddingsInfo>) {}

  publish(artifact: EmbeddingArtifact, publishedAtMs?: number): Promise<EmbeddingsVersion> {
    return this.artifacts.publish(encodeArtifact(artifact), describe(artifact), publishedAtMs);
  }

  current(): Promise<EmbeddingsVersion | undefined> {
    return this.artifacts.current();
  }

  async load(version: string): Promise<EmbeddingArtifact | undefined> {
    const bytes = await this.artifacts.load(version);
    // A broken artifact is the artifact's fault (InvalidArgumentError), not Redis's.
    return bytes === undefined ? undefined : decodeArtifact(bytes);
  }
}

export class InMemoryEmbeddingStore extends ArtifactEmbeddingStore {
  constructor() {
    super(new InMemoryArtifactStore<EmbeddingsInfo>());
  }
}

export interface RedisEmbeddingStoreOptions {
  readonly redis: Redis | Cluster;
  /** e.g. `feedmesh:embeddings`. */
  readonly keyPrefix: string;
  /** Versions kept; older ones are deleted at publish. Default 3. */
  readonly keep?: number;
}

/**
 * The store in Redis (`RedisArtifactStore`, kind `embeddings`): under
 * `<prefix>:{embeddings}`, the artifact in 4 MiB chunks, current once complete.
 */
export class RedisEmbeddingStore extends ArtifactEmbeddingStore {
  constructor(options: RedisEmbeddingStoreOptions) {
    super(new RedisArtifactStore<EmbeddingsInfo>({ ...options, kind: 'embeddings' }));
  }
}

/**
 * The deployment's store: in Redis under `<prefix>:embeddings` when the runtime has Redis,
 * else private to this process (the playground passes one in-memory store to both sides).
 */
export function embeddingStoreFor(runtime: {
  readonly redis: Redis | Cluster | undefined;
  readonly prefix: string;
}): EmbeddingStore {
  return runtime.redis
    ? new RedisEmbeddingStore({ redis: runtime.redis, keyPrefix: `${runtime.prefix}:embeddings` })
    : new InMemoryEmbeddingStore();
}

function describe(artifact: EmbeddingArtifact): EmbeddingsInfo {
  return {
    trainedAtMs: artifact.trainedAtMs,
    dim: artifact.dim,
    users: artifact.users.ids.length,
    items: artifact.items.ids.length,
    metrics: { ...artifact.metrics },
  };
}
