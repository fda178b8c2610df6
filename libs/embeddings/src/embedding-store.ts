import { UnavailableError } from '@feedmesh/errors';
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

export class InMemoryEmbeddingStore implements EmbeddingStore {
  private readonly versions = new Map<string, { info: EmbeddingsVersion; bytes: Buffer }>();
  private latest: string | undefined;
  private sequence = 0;

  async publish(artifact: EmbeddingArtifact, publishedAtMs = Date.now()) {
    const bytes = encodeArtifact(artifact);
    const info = describe(`v${++this.sequence}`, artifact, bytes.length, publishedAtMs);
    this.versions.set(info.version, { info, bytes });
    this.latest = info.version;
    return info;
  }

  async current() {
    return this.latest === undefined ? undefined : this.versions.get(this.latest)?.info;
  }

  async load(version: string) {
    const stored = this.versions.get(version);
    return stored ? decodeArtifact(stored.bytes) : undefined;
  }
}

export interface RedisEmbeddingStoreOptions {
  readonly redis: Redis | Cluster;
  /** e.g. `feedmesh:embeddings`. */
  readonly keyPrefix: string;
  /** Versions kept; older ones are deleted at publish. Default 3. */
  readonly keep?: number;
}

const CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * The store in Redis, under one hash tag so a publish's keys share a slot:
 *
 *   <prefix>:{embeddings}:seq                 last version number
 *   <prefix>:{embeddings}:current             current version
 *   <prefix>:{embeddings}:info:<version>      EmbeddingsVersion JSON
 *   <prefix>:{embeddings}:chunk:<version>:<i> 4 MiB pieces of the encoded artifact
 *
 * A large world's model is a few hundred MB: chunks keep each value and each reply small.
 */
export class RedisEmbeddingStore implements EmbeddingStore {
  private readonly base: string;
  private readonly keep: number;

  constructor(private readonly options: RedisEmbeddingStoreOptions) {
    this.base = `${options.keyPrefix}:{embeddings}`;
    this.keep = options.keep ?? 3;
  }

  async publish(artifact: EmbeddingArtifact, publishedAtMs = Date.now()) {
    const bytes = encodeArtifact(artifact);
    return this.guard('publish', async () => {
      const { redis } = this.options;
      const n = await redis.incr(`${this.base}:seq`);
      const info = describe(`v${n}`, artifact, bytes.length, publishedAtMs);
      const chunks = Math.ceil(bytes.length / CHUNK_BYTES);
      for (let i = 0; i < chunks; i += 8) {
        const pipeline = redis.pipeline();
        for (let j = i; j < Math.min(chunks, i + 8); j++) {
          pipeline.set(
            `${this.base}:chunk:${info.version}:${j}`,
            bytes.subarray(j * CHUNK_BYTES, (j + 1) * CHUNK_BYTES),
          );
        }
        await exec(pipeline);
      }
      await redis.set(`${this.base}:info:${info.version}`, JSON.stringify({ ...info, chunks }));
      await redis.set(`${this.base}:current`, info.version);
      await this.prune(n);
      return info;
    });
  }

  async current() {
    return this.guard('current', async () => {
      const version = await this.options.redis.get(`${this.base}:current`);
      if (version === null) return undefined;
      const info = await this.options.redis.get(`${this.base}:info:${version}`);
      return info === null ? undefined : strip(JSON.parse(info) as EmbeddingsVersion);
    });
  }

  async load(version: string) {
    return this.guard('load', async () => {
      const { redis } = this.options;
      const infoJson = await redis.get(`${this.base}:info:${version}`);
      if (infoJson === null) return undefined;
      const { chunks, bytes } = JSON.parse(infoJson) as EmbeddingsVersion & { chunks: number };
      const parts: Buffer[] = [];
      for (let i = 0; i < chunks; i++) {
        const part = await redis.getBuffer(`${this.base}:chunk:${version}:${i}`);
        if (part === null) return undefined; // pruned while we read: the caller retries later
        parts.push(part);
      }
      const all = Buffer.concat(parts);
      if (all.length !== bytes) return undefined;
      return decodeArtifact(all);
    });
  }

  private async prune(latest: number): Promise<void> {
    const { redis } = this.options;
    for (let n = latest - this.keep; n >= 1; n--) {
      const version = `v${n}`;
      const info = await redis.get(`${this.base}:info:${version}`);
      if (info === null) break;
      const { chunks } = JSON.parse(info) as { chunks: number };
      const keys = [`${this.base}:info:${version}`];
      for (let i = 0; i < chunks; i++) keys.push(`${this.base}:chunk:${version}:${i}`);
      await redis.del(...keys);
    }
  }

  private async guard<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof Error && error.name === 'InvalidArgumentError') throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new UnavailableError('redis', `embeddings ${operation} failed: ${message}`, {
        cause: error,
      });
    }
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

function describe(
  version: string,
  artifact: EmbeddingArtifact,
  bytes: number,
  publishedAtMs: number,
): EmbeddingsVersion {
  return {
    version,
    trainedAtMs: artifact.trainedAtMs,
    publishedAtMs,
    dim: artifact.dim,
    users: artifact.users.ids.length,
    items: artifact.items.ids.length,
    bytes,
    metrics: { ...artifact.metrics },
  };
}

function strip(info: EmbeddingsVersion & { chunks?: number }): EmbeddingsVersion {
  const { chunks: _chunks, ...rest } = info;
  return rest;
}

async function exec(pipeline: ReturnType<Redis['pipeline']>): Promise<void> {
  const results = await pipeline.exec();
  for (const [error] of results ?? []) if (error) throw error;
}
