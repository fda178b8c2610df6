import { gunzipSync, gzipSync } from 'node:zlib';
import { UnavailableError } from '@feedmesh/errors';
import type { Cluster, Redis } from 'ioredis';
import {
  decodeContentModels,
  type ContentModelsJson,
  type TrainedContentModels,
} from './content-models.js';

/** What the store knows about one published set of content models, without the models. */
export interface ContentModelsVersion {
  /** `v1`, `v2`, ...: increasing. */
  readonly version: string;
  readonly trainedAtMs: number;
  readonly publishedAtMs: number;
  /** Tagged posts the tag inferrer votes with. */
  readonly examples: number;
  /** Length of the content vectors. */
  readonly dim: number;
  /** Size of the stored (gzipped JSON) models. */
  readonly bytes: number;
  readonly notes: Readonly<Record<string, string>>;
}

/**
 * Where the trainer publishes content models and the services that understand posts
 * (candidate generation, search) pick them up. Publishing makes a version current only once it
 * is completely stored, so a reader never sees half a model.
 */
export interface ContentModelStore {
  publish(
    models: ContentModelsJson,
    publishedAtMs?: number,
    notes?: Readonly<Record<string, string>>,
  ): Promise<ContentModelsVersion>;
  current(): Promise<ContentModelsVersion | undefined>;
  /** The decoded models of a version; undefined once pruned. */
  load(version: string): Promise<TrainedContentModels | undefined>;
}

export class InMemoryContentModelStore implements ContentModelStore {
  private readonly versions = new Map<string, { info: ContentModelsVersion; bytes: Buffer }>();
  private latest: string | undefined;
  private sequence = 0;

  async publish(
    models: ContentModelsJson,
    publishedAtMs = Date.now(),
    notes: Readonly<Record<string, string>> = {},
  ) {
    const bytes = encode(models);
    const info = describe(`v${++this.sequence}`, models, bytes.length, publishedAtMs, notes);
    this.versions.set(info.version, { info, bytes });
    this.latest = info.version;
    return info;
  }

  async current() {
    return this.latest === undefined ? undefined : this.versions.get(this.latest)?.info;
  }

  async load(version: string) {
    const stored = this.versions.get(version);
    return stored ? decode(stored.bytes) : undefined;
  }
}

export interface RedisContentModelStoreOptions {
  readonly redis: Redis | Cluster;
  /** e.g. `feedmesh:content`. */
  readonly keyPrefix: string;
  /** Versions kept; older ones are deleted at publish. Default 3. */
  readonly keep?: number;
}

const CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * The store in Redis, under one hash tag so a publish's keys share a slot (the layout of the
 * embeddings store, which the two share no keys with):
 *
 *   <prefix>:{content-models}:seq                 last version number
 *   <prefix>:{content-models}:current             current version
 *   <prefix>:{content-models}:info:<version>      ContentModelsVersion JSON, with its chunks
 *   <prefix>:{content-models}:chunk:<version>:<i> 4 MiB pieces of the gzipped models JSON
 *
 * The tag inferrer keeps its training examples, so a large world's models are tens of MB:
 * chunks keep each value and each reply small.
 */
export class RedisContentModelStore implements ContentModelStore {
  private readonly base: string;
  private readonly keep: number;

  constructor(private readonly options: RedisContentModelStoreOptions) {
    this.base = `${options.keyPrefix}:{content-models}`;
    this.keep = options.keep ?? 3;
  }

  async publish(
    models: ContentModelsJson,
    publishedAtMs = Date.now(),
    notes: Readonly<Record<string, string>> = {},
  ) {
    const bytes = encode(models);
    return this.guard('publish', async () => {
      const { redis } = this.options;
      const n = await redis.incr(`${this.base}:seq`);
      const info = describe(`v${n}`, models, bytes.length, publishedAtMs, notes);
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
      return info === null ? undefined : strip(JSON.parse(info) as ContentModelsVersion);
    });
  }

  async load(version: string) {
    const bytes = await this.guard('load', async () => {
      const { redis } = this.options;
      const infoJson = await redis.get(`${this.base}:info:${version}`);
      if (infoJson === null) return undefined;
      const info = JSON.parse(infoJson) as ContentModelsVersion & { chunks: number };
      const parts: Buffer[] = [];
      for (let i = 0; i < info.chunks; i++) {
        const part = await redis.getBuffer(`${this.base}:chunk:${version}:${i}`);
        if (part === null) return undefined; // pruned while we read: the caller retries later
        parts.push(part);
      }
      const all = Buffer.concat(parts);
      return all.length === info.bytes ? all : undefined;
    });
    // Outside the guard: a broken artifact is the artifact's fault, not Redis's.
    return bytes === undefined ? undefined : decode(bytes);
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
      const message = error instanceof Error ? error.message : String(error);
      throw new UnavailableError('redis', `content models ${operation} failed: ${message}`, {
        cause: error,
      });
    }
  }
}

/**
 * The deployment's store: in Redis under `<prefix>:content` when the runtime has Redis, else
 * private to this process (the playground passes one in-memory store to every side).
 */
export function contentModelStoreFor(runtime: {
  readonly redis: Redis | Cluster | undefined;
  readonly prefix: string;
}): ContentModelStore {
  return runtime.redis
    ? new RedisContentModelStore({ redis: runtime.redis, keyPrefix: `${runtime.prefix}:content` })
    : new InMemoryContentModelStore();
}

function encode(models: ContentModelsJson): Buffer {
  return gzipSync(JSON.stringify(models));
}

function decode(bytes: Buffer): TrainedContentModels {
  return decodeContentModels(JSON.parse(gunzipSync(bytes).toString('utf8')) as ContentModelsJson);
}

function describe(
  version: string,
  models: ContentModelsJson,
  bytes: number,
  publishedAtMs: number,
  notes: Readonly<Record<string, string>>,
): ContentModelsVersion {
  return {
    version,
    trainedAtMs: models.trainedAtMs,
    publishedAtMs,
    examples: models.tagInferrer.examples.length,
    dim: models.encoder.dim,
    bytes,
    notes: { ...notes },
  };
}

function strip(info: ContentModelsVersion & { chunks?: number }): ContentModelsVersion {
  const { chunks: _chunks, ...rest } = info;
  return rest;
}

async function exec(pipeline: ReturnType<Redis['pipeline']>): Promise<void> {
  const results = await pipeline.exec();
  for (const [error] of results ?? []) if (error) throw error;
}
