import {
  FailedPreconditionError,
  FeedmeshError,
  InvalidArgumentError,
  UnavailableError,
} from '@feedmesh/errors';
import type { Cluster, Redis } from 'ioredis';

/** What every stored version carries, besides what its kind describes (`Info`). */
export interface ArtifactVersion {
  /** `v1`, `v2`, ...: increasing. */
  readonly version: string;
  readonly publishedAtMs: number;
  /** Size of the stored bytes. */
  readonly bytes: number;
}

/**
 * The current pointer names a version the store no longer holds in full (its info or some of
 * its bytes are gone: evicted, deleted by hand): there is a current version, but nothing to
 * load. Repaired by publishing a new version (running the trainer job), which moves the
 * pointer on.
 */
export class DanglingCurrentArtifactError extends FailedPreconditionError {
  constructor(
    /** The artifact's kind (`embeddings`, `content-models`). */
    readonly artifact: string,
    readonly version: string,
    readonly missing: 'info' | 'bytes',
  ) {
    super(
      `${artifact}: the current pointer names ${version}, whose ${missing === 'info' ? 'info is' : 'bytes are'} no longer stored; publish a new version to repair it`,
    );
  }
}

/**
 * Where a trainer job publishes a model's bytes and the services that serve it pick them up.
 * Publishing makes a version current only once it is completely stored, so a reader never sees
 * half a model; `Info` is what readers may know of a version without loading it.
 */
export interface ArtifactStore<Info extends object> {
  publish(bytes: Buffer, info: Info, publishedAtMs?: number): Promise<Info & ArtifactVersion>;
  /**
   * The current version; undefined when none was ever published. Throws
   * DanglingCurrentArtifactError when the pointer names a version not stored in full: that is
   * not "nothing published yet", and a reader told so would go on without a model unseen.
   */
  current(): Promise<(Info & ArtifactVersion) | undefined>;
  /** A version's bytes; undefined once pruned (or pruned while being read: try again later). */
  load(version: string): Promise<Buffer | undefined>;
}

/**
 * Private to a process: the playground passes one store to the trainer and the services. It
 * deletes no version, so its current pointer cannot dangle.
 */
export class InMemoryArtifactStore<Info extends object> implements ArtifactStore<Info> {
  private readonly versions = new Map<string, { info: Info & ArtifactVersion; bytes: Buffer }>();
  private latest: string | undefined;
  private sequence = 0;

  async publish(bytes: Buffer, info: Info, publishedAtMs = Date.now()) {
    const stored = { ...info, version: `v${++this.sequence}`, publishedAtMs, bytes: bytes.length };
    this.versions.set(stored.version, { info: stored, bytes });
    this.latest = stored.version;
    return stored;
  }

  async current() {
    return this.latest === undefined ? undefined : this.versions.get(this.latest)?.info;
  }

  async load(version: string) {
    return this.versions.get(version)?.bytes;
  }
}

export interface RedisArtifactStoreOptions {
  readonly redis: Redis | Cluster;
  /** e.g. `feedmesh:embeddings`. */
  readonly keyPrefix: string;
  /** The artifact's kind: its hash tag, and its name in errors (`embeddings`, `content-models`). */
  readonly kind: string;
  /** Versions kept; older ones are deleted at publish. Default 3; at least 1. */
  readonly keep?: number;
  /** Size of the stored pieces. Default 4 MiB; at least 1. */
  readonly chunkBytes?: number;
}

const CHUNK_BYTES = 4 * 1024 * 1024;

/** Reads of the current version whose pointer may move on (a publish) before `current` gives up. */
const CURRENT_ATTEMPTS = 3;

/** KEYS[1] current, ARGV[1] the version number just stored: set `v<n>` unless a newer is current. */
const SET_CURRENT_IF_NEWER = `
local current = redis.call('GET', KEYS[1])
if current and tonumber(string.sub(current, 2)) > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], 'v' .. ARGV[1])
return 1
`;

function positiveInteger(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(field, `expected a positive integer, got ${value}`);
  }
  return value;
}

/**
 * The store in Redis, under one hash tag so a publish's keys share a slot:
 *
 *   <prefix>:{<kind>}:seq                 last version number
 *   <prefix>:{<kind>}:current             current version
 *   <prefix>:{<kind>}:pruned              last version number pruned
 *   <prefix>:{<kind>}:info:<version>      the version's info JSON, with its chunk count
 *   <prefix>:{<kind>}:chunk:<version>:<i> pieces of the bytes
 *
 * A large world's model is a few hundred MB: chunks keep each value and each reply small.
 * Versions become current in number order: a publish overtaken by a newer one (it started
 * first, finished last) is stored but not made current.
 */
export class RedisArtifactStore<Info extends object> implements ArtifactStore<Info> {
  private readonly base: string;
  private readonly keep: number;
  private readonly chunkBytes: number;

  constructor(private readonly options: RedisArtifactStoreOptions) {
    this.base = `${options.keyPrefix}:{${options.kind}}`;
    this.keep = positiveInteger('keep', options.keep ?? 3);
    this.chunkBytes = positiveInteger('chunkBytes', options.chunkBytes ?? CHUNK_BYTES);
  }

  async publish(bytes: Buffer, info: Info, publishedAtMs = Date.now()) {
    return this.guard('publish', async () => {
      const { redis } = this.options;
      const n = await redis.incr(`${this.base}:seq`);
      const stored = { ...info, version: `v${n}`, publishedAtMs, bytes: bytes.length };
      const chunks = Math.ceil(bytes.length / this.chunkBytes);
      for (let i = 0; i < chunks; i += 8) {
        const pipeline = redis.pipeline();
        for (let j = i; j < Math.min(chunks, i + 8); j++) {
          pipeline.set(
            `${this.base}:chunk:${stored.version}:${j}`,
            bytes.subarray(j * this.chunkBytes, (j + 1) * this.chunkBytes),
          );
        }
        await exec(pipeline);
      }
      await redis.set(`${this.base}:info:${stored.version}`, JSON.stringify({ ...stored, chunks }));
      // Only forward: a publish that started earlier (a lower number) and finished later must not
      // take current back, to a version the newer publish's pruning may have torn.
      await redis.eval(SET_CURRENT_IF_NEWER, 1, `${this.base}:current`, n);
      // The version is live: a prune that fails now is made up by the next publish's, which
      // starts from the pruned watermark, so it must not turn this publish into a failure.
      await this.prune(n).catch(() => undefined);
      return stored;
    });
  }

  async current() {
    return this.guard('current', async () => {
      const { redis } = this.options;
      const pointerKey = `${this.base}:current`;
      let version = await redis.get(pointerKey);
      // Each read of the version's keys re-reads the pointer in the same transaction: read
      // apart, a version the pointer moved away from and that was pruned in between would
      // look dangling. A moved pointer means reading again, at the version it names now.
      for (let attempt = 1; version !== null; attempt++) {
        const seen: string = version;
        const [pointer, infoJson] = await replies<[string | null, string | null]>(
          redis.multi().get(pointerKey).get(`${this.base}:info:${seen}`),
        );
        if (pointer === seen) {
          if (infoJson === null) {
            throw new DanglingCurrentArtifactError(this.options.kind, seen, 'info');
          }
          const { chunks, ...info } = JSON.parse(infoJson) as Info &
            ArtifactVersion & { chunks: number };
          const chunkKeys = Array.from(
            { length: chunks },
            (_, i) => `${this.base}:chunk:${seen}:${i}`,
          );
          const [again, present] =
            chunks === 0
              ? [seen, 0]
              : await replies<[string | null, number]>(
                  redis
                    .multi()
                    .get(pointerKey)
                    .exists(...chunkKeys),
                );
          if (again === seen) {
            if (present < chunks) {
              throw new DanglingCurrentArtifactError(this.options.kind, seen, 'bytes');
            }
            return info as Info & ArtifactVersion;
          }
          version = again;
        } else {
          version = pointer;
        }
        if (version !== null && attempt >= CURRENT_ATTEMPTS) {
          throw new UnavailableError(
            'redis',
            `the current ${this.options.kind} pointer moved on each of ${CURRENT_ATTEMPTS} reads`,
          );
        }
      }
      return undefined;
    });
  }

  async load(version: string) {
    return this.guard('load', async () => {
      const { redis } = this.options;
      const infoJson = await redis.get(`${this.base}:info:${version}`);
      if (infoJson === null) return undefined;
      const { chunks, bytes } = JSON.parse(infoJson) as { chunks: number; bytes: number };
      const parts: Buffer[] = [];
      for (let i = 0; i < chunks; i++) {
        const part = await redis.getBuffer(`${this.base}:chunk:${version}:${i}`);
        if (part === null) return undefined; // pruned while we read: the caller retries later
        parts.push(part);
      }
      const all = Buffer.concat(parts);
      return all.length === bytes ? all : undefined;
    });
  }

  /**
   * Deletes every version older than the `keep` newest, from the one after the last version
   * pruned (`<base>:pruned`) on. A version whose publish failed before its info was written
   * has chunks and no info: its chunks, written in order, are found by probing them.
   */
  private async prune(latest: number): Promise<void> {
    const { redis } = this.options;
    const pruned = Number((await redis.get(`${this.base}:pruned`)) ?? 0);
    for (let n = pruned + 1; n <= latest - this.keep; n++) {
      const version = `v${n}`;
      const chunk = (i: number) => `${this.base}:chunk:${version}:${i}`;
      const info = await redis.get(`${this.base}:info:${version}`);
      const keys = [`${this.base}:info:${version}`];
      if (info !== null) {
        const { chunks } = JSON.parse(info) as { chunks: number };
        for (let i = 0; i < chunks; i++) keys.push(chunk(i));
      } else {
        for (let i = 0; (await redis.exists(chunk(i))) === 1; i++) keys.push(chunk(i));
      }
      await redis.del(...keys);
      await redis.set(`${this.base}:pruned`, String(n));
    }
  }

  private async guard<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      // The store's own verdicts (a dangling pointer, a pointer that would not hold still).
      if (error instanceof FeedmeshError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new UnavailableError('redis', `${this.options.kind} ${operation} failed: ${message}`, {
        cause: error,
      });
    }
  }
}

/**
 * The deployment's store of one kind: in Redis under `<prefix>:<kind>` when the runtime has
 * Redis, else private to this process.
 */
export function artifactStoreFor<Info extends object>(
  runtime: { readonly redis: Redis | Cluster | undefined; readonly prefix: string },
  kind: string,
  keyPrefix = `${runtime.prefix}:${kind}`,
): ArtifactStore<Info> {
  return runtime.redis
    ? new RedisArtifactStore<Info>({ redis: runtime.redis, keyPrefix, kind })
    : new InMemoryArtifactStore<Info>();
}

/** The replies of a transaction, in order; the first failed command's error is thrown. */
async function replies<T extends unknown[]>(multi: ReturnType<Redis['multi']>): Promise<T> {
  const results = await multi.exec();
  if (results === null) throw new Error('transaction aborted');
  for (const [error] of results) if (error) throw error;
  return results.map(([, reply]) => reply) as T;
}

async function exec(pipeline: ReturnType<Redis['pipeline']>): Promise<void> {
  const results = await pipeline.exec();
  for (const [error] of results ?? []) if (error) throw error;
}
