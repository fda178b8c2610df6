import { gunzipSync, gzipSync } from 'node:zlib';
import { InMemoryArtifactStore, RedisArtifactStore, type ArtifactStore } from '@feedmesh/artifacts';
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

type ContentModelsInfo = Omit<ContentModelsVersion, 'version' | 'publishedAtMs' | 'bytes'>;

/** Content models over an artifact store: gzipped JSON, described here, stored there. */
class ArtifactContentModelStore implements ContentModelStore {
  constructor(private readonly artifacts: ArtifactStore<ContentModelsInfo>) {}

  publish(
    models: ContentModelsJson,
    publishedAtMs?: number,
    notes: Readonly<Record<string, string>> = {},
  ): Promise<ContentModelsVersion> {
    return this.artifacts.publish(encode(models), describe(models, notes), publishedAtMs);
  }

  current(): Promise<ContentModelsVersion | undefined> {
    return this.artifacts.current();
  }

  async load(version: string): Promise<TrainedContentModels | undefined> {
    const bytes = await this.artifacts.load(version);
    // A broken artifact is the artifact's fault, not Redis's.
    return bytes === undefined ? undefined : decode(bytes);
  }
}

export class InMemoryContentModelStore extends ArtifactContentModelStore {
  constructor() {
    super(new InMemoryArtifactStore<ContentModelsInfo>());
  }
}

export interface RedisContentModelStoreOptions {
  readonly redis: Redis | Cluster;
  /** e.g. `feedmesh:content`. */
  readonly keyPrefix: string;
  /** Versions kept; older ones are deleted at publish. Default 3. */
  readonly keep?: number;
}

/**
 * The store in Redis (`RedisArtifactStore`, kind `content-models`): under
 * `<prefix>:{content-models}`, the gzipped models JSON in 4 MiB chunks (the tag inferrer keeps
 * its training examples, so a large world's models are tens of MB), current once complete.
 */
export class RedisContentModelStore extends ArtifactContentModelStore {
  constructor(options: RedisContentModelStoreOptions) {
    super(new RedisArtifactStore<ContentModelsInfo>({ ...options, kind: 'content-models' }));
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
  models: ContentModelsJson,
  notes: Readonly<Record<string, string>>,
): ContentModelsInfo {
  return {
    trainedAtMs: models.trainedAtMs,
    examples: models.tagInferrer.examples.length,
    dim: models.encoder.dim,
    notes: { ...notes },
  };
}
