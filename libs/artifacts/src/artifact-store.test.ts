import assert from 'node:assert/strict';
import { InvalidArgumentError, UnavailableError } from '@feedmesh/errors';
import { testRedisUrl, uniquePrefix } from '@feedmesh/testing';
import { Redis } from 'ioredis';
import {
  artifactStoreFor,
  DanglingCurrentArtifactError,
  InMemoryArtifactStore,
  RedisArtifactStore,
  type ArtifactStore,
} from './artifact-store.js';

interface TestInfo {
  readonly trainedAtMs: number;
  readonly notes: Readonly<Record<string, string>>;
}

const bytesOf = (length: number, seed: number) =>
  Buffer.from(Array.from({ length }, (_, i) => (i * 31 + seed) % 256));

/** Deletes part of a stored version behind the store's back (an eviction, a hand-run DEL). */
type Lose = (
  store: ArtifactStore<TestInfo>,
  version: string,
  part: 'info' | 'bytes',
) => Promise<void>;

/** `lose`: for a store that can lose a version (not the in-memory one, which deletes nothing). */
function artifactStoreContract(make: () => ArtifactStore<TestInfo>, lose?: Lose) {
  it('has no current version before the first publish', async () => {
    assert.equal(await make().current(), undefined);
  });

  it('publishes numbered versions, each with its info, and gives back the very bytes', async () => {
    const store = make();
    const bytes = bytesOf(10_000, 1);
    const v1 = await store.publish(bytes, { trainedAtMs: 10, notes: { by: 'test' } }, 100);
    assert.deepEqual(v1, {
      trainedAtMs: 10,
      notes: { by: 'test' },
      version: 'v1',
      publishedAtMs: 100,
      bytes: 10_000,
    });
    assert.deepEqual(await store.current(), v1);
    assert.deepEqual(await store.load('v1'), bytes);
    const v2 = await store.publish(bytesOf(5, 2), { trainedAtMs: 20, notes: {} }, 200);
    assert.equal(v2.version, 'v2');
    assert.deepEqual(await store.current(), v2);
    assert.deepEqual(await store.load('v1'), bytes, 'an older kept version still loads');
  });

  it('answers undefined for a version it never had', async () => {
    assert.equal(await make().load('v99'), undefined);
  });

  if (lose) {
    const dangling = (missing: string) => (error: unknown) =>
      error instanceof DanglingCurrentArtifactError &&
      error.artifact === 'test' &&
      error.version === 'v2' &&
      error.missing === missing &&
      /^test: .*v2/.test(error.message);

    for (const [part, gone] of [
      ['info', 'info is'],
      ['bytes', 'bytes are'],
    ] as const) {
      it(`refuses a current version whose ${gone} gone, naming it, rather than answering "none yet"`, async () => {
        const store = make();
        await store.publish(bytesOf(10_000, 1), { trainedAtMs: 1, notes: {} }, 1);
        await store.publish(bytesOf(10_000, 2), { trainedAtMs: 2, notes: {} }, 2);
        await lose(store, 'v2', part);
        await assert.rejects(store.current(), dangling(part));
      });
    }
  }
}

describe('InMemoryArtifactStore', () => {
  artifactStoreContract(() => new InMemoryArtifactStore<TestInfo>());
});

describe('RedisArtifactStore', () => {
  const prefix = uniquePrefix('artifacts');
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 2 });
  let n = 0;
  const used: string[] = [];
  // 4 KiB chunks: a 10,000-byte artifact is three of them.
  const storeAt = (keyPrefix: string, keep = 3) => {
    used.push(keyPrefix);
    return new RedisArtifactStore<TestInfo>({
      redis,
      keyPrefix,
      kind: 'test',
      keep,
      chunkBytes: 4096,
    });
  };
  const keysOf = (keyPrefix: string, version: string) => [
    `${keyPrefix}:{test}:info:${version}`,
    ...[0, 1, 2].map((i) => `${keyPrefix}:{test}:chunk:${version}:${i}`),
  ];

  // The keys are known: deleting them beats a KEYS or SCAN of a Redis shared with big worlds.
  after(async () => {
    for (const keyPrefix of used) {
      const base = `${keyPrefix}:{test}`;
      const last = Number(await redis.get(`${base}:seq`));
      const keys = [`${base}:seq`, `${base}:current`, `${base}:pruned`];
      for (let v = 1; v <= last; v++) keys.push(...keysOf(keyPrefix, `v${v}`));
      await redis.del(...keys);
    }
    await redis.quit();
  });

  const prefixOf = new WeakMap<object, string>();
  artifactStoreContract(
    () => {
      const keyPrefix = `${prefix}:${++n}`;
      const store = storeAt(keyPrefix);
      prefixOf.set(store, keyPrefix);
      return store;
    },
    async (store, version, part) => {
      const [info, ...chunks] = keysOf(prefixOf.get(store)!, version);
      // One chunk of three is enough to make the bytes unloadable.
      await redis.del(part === 'info' ? info! : chunks[1]!);
    },
  );

  it('answers the newer version, not a dangling one, when the one it read is pruned meanwhile', async () => {
    const keyPrefix = `${prefix}:moved`;
    const store = storeAt(keyPrefix, 1);
    await store.publish(bytesOf(9_000, 1), { trainedAtMs: 1, notes: {} }, 1);
    // The reader's first GET of the pointer answers v1; before its next read, two publishes
    // move the pointer to v3 and prune v1 and v2.
    let interleaved = false;
    const racing = new Proxy(redis, {
      get(target, name, receiver) {
        if (name === 'get') {
          return async (key: string) => {
            const value = await target.get(key);
            if (!interleaved && key.endsWith(':current')) {
              interleaved = true;
              for (const t of [2, 3]) {
                await store.publish(bytesOf(9_000, t), { trainedAtMs: t, notes: {} }, t);
              }
            }
            return value;
          };
        }
        const value: unknown = Reflect.get(target, name, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const reader = new RedisArtifactStore<TestInfo>({
      redis: racing,
      keyPrefix,
      kind: 'test',
      keep: 1,
      chunkBytes: 4096,
    });
    assert.equal((await reader.current())?.version, 'v3');
    assert.ok(interleaved);
    assert.equal(await redis.exists(...keysOf(keyPrefix, 'v1')), 0, 'v1 was pruned meanwhile');
  });

  it('stores an artifact in chunks under one hash tag', async () => {
    const keyPrefix = `${prefix}:layout`;
    const store = storeAt(keyPrefix);
    await store.publish(bytesOf(10_000, 3), { trainedAtMs: 1, notes: {} }, 1);
    const base = `${keyPrefix}:{test}`;
    assert.equal(await redis.exists(...keysOf(keyPrefix, 'v1')), 4, 'info and three chunks');
    assert.equal(await redis.exists(`${base}:chunk:v1:3`), 0);
    assert.equal(await redis.strlen(`${base}:chunk:v1:2`), 10_000 - 2 * 4096);
    assert.equal(await redis.get(`${base}:current`), 'v1');
  });

  it('deletes versions older than the ones it keeps, chunks and all', async () => {
    const keyPrefix = `${prefix}:prune`;
    const store = storeAt(keyPrefix, 2);
    for (const t of [1, 2, 3]) {
      await store.publish(bytesOf(9_000, t), { trainedAtMs: t, notes: {} }, t);
    }
    assert.equal(await store.load('v1'), undefined);
    assert.deepEqual(await store.load('v2'), bytesOf(9_000, 2));
    assert.equal(await redis.exists(...keysOf(keyPrefix, 'v1')), 0);
  });

  it('deletes the chunks of a publish that failed before its info, once it is old enough', async () => {
    const keyPrefix = `${prefix}:failed`;
    const store = storeAt(keyPrefix, 2);
    await store.publish(bytesOf(9_000, 1), { trainedAtMs: 1, notes: {} }, 1);
    // v2's publish died after writing its chunks: no info, never current.
    const base = `${keyPrefix}:{test}`;
    await redis.incr(`${base}:seq`);
    for (let i = 0; i < 3; i++) await redis.set(`${base}:chunk:v2:${i}`, 'x'.repeat(4096));
    for (const t of [3, 4, 5]) {
      await store.publish(bytesOf(9_000, t), { trainedAtMs: t, notes: {} }, t);
    }
    assert.equal(await redis.exists(...keysOf(keyPrefix, 'v1'), ...keysOf(keyPrefix, 'v2')), 0);
    assert.deepEqual(await store.load('v4'), bytesOf(9_000, 4));
  });

  it('reports a publish whose version went live as done though pruning failed, and prunes it at the next', async () => {
    const keyPrefix = `${prefix}:prune-fails`;
    used.push(keyPrefix);
    let failPrune = true;
    // The same Redis, except that reading the prune watermark fails while `failPrune`.
    const flaky = new Proxy(redis, {
      get(target, name, receiver) {
        if (name === 'get') {
          return (key: string) =>
            failPrune && key.endsWith(':pruned')
              ? Promise.reject(new Error('connection lost'))
              : target.get(key);
        }
        const value: unknown = Reflect.get(target, name, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const store = new RedisArtifactStore<TestInfo>({
      redis: flaky,
      keyPrefix,
      kind: 'test',
      keep: 1,
      chunkBytes: 4096,
    });
    await store.publish(bytesOf(9_000, 1), { trainedAtMs: 1, notes: {} }, 1);
    const v2 = await store.publish(bytesOf(9_000, 2), { trainedAtMs: 2, notes: {} }, 2);
    assert.equal(v2.version, 'v2');
    assert.deepEqual(await store.current(), v2);
    assert.equal(await redis.exists(...keysOf(keyPrefix, 'v1')), 4, 'v1 not pruned yet');
    failPrune = false;
    await store.publish(bytesOf(9_000, 3), { trainedAtMs: 3, notes: {} }, 3);
    assert.equal(await redis.exists(...keysOf(keyPrefix, 'v1'), ...keysOf(keyPrefix, 'v2')), 0);
  });

  it('answers undefined, not half an artifact, when a chunk is gone', async () => {
    const store = storeAt(`${prefix}:torn`);
    await store.publish(bytesOf(10_000, 4), { trainedAtMs: 1, notes: {} }, 1);
    await redis.del(`${prefix}:torn:{test}:chunk:v1:1`);
    assert.equal(await store.load('v1'), undefined);
  });

  it('keeps the newer version current when an older publish finishes after it', async () => {
    // Two trainer runs (a manual `kubectl create job --from=cronjob/...` beside the schedule):
    // the large one takes v1 first and is still writing chunks when the small one, v2, is done.
    const keyPrefix = `${prefix}:overtaken`;
    const store = storeAt(keyPrefix, 1);
    const slow = bytesOf(40 * 4096, 1);
    const quick = bytesOf(100, 2);
    const [older, newer] = await Promise.all([
      store.publish(slow, { trainedAtMs: 1, notes: {} }, 1),
      store.publish(quick, { trainedAtMs: 2, notes: {} }, 2),
    ]);
    assert.equal(older.version, 'v1');
    assert.equal(newer.version, 'v2');

    assert.equal((await store.current())?.version, 'v2');
    assert.deepEqual(await store.load('v2'), quick);
    const base = `${keyPrefix}:{test}`;
    await redis.del(...Array.from({ length: 40 }, (_, i) => `${base}:chunk:v1:${i}`));
  });

  it('refuses a keep or chunkBytes below 1, naming the option', () => {
    for (const [field, options] of [
      ['keep', { keep: 0 }],
      ['keep', { keep: 1.5 }],
      ['chunkBytes', { chunkBytes: 0 }],
      ['chunkBytes', { chunkBytes: -4096 }],
    ] as const) {
      assert.throws(
        () => new RedisArtifactStore<TestInfo>({ redis, keyPrefix: 'x', kind: 'test', ...options }),
        (error: unknown) => error instanceof InvalidArgumentError && error.field === field,
        JSON.stringify(options),
      );
    }
  });

  it('fails with UnavailableError naming the kind when Redis cannot be reached', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    down.on('error', () => undefined);
    const store = new RedisArtifactStore<TestInfo>({ redis: down, keyPrefix: 'x', kind: 'test' });
    await assert.rejects(store.current(), (error: unknown) => {
      assert.ok(error instanceof UnavailableError);
      assert.match(error.message, /test current failed/);
      return true;
    });
    down.disconnect();
  });

  it('is the deployment store when the runtime has Redis, and private to the process without', () => {
    assert.ok(artifactStoreFor({ redis, prefix }, 'test') instanceof RedisArtifactStore);
    assert.ok(
      artifactStoreFor({ redis: undefined, prefix }, 'test') instanceof InMemoryArtifactStore,
    );
  });
});
