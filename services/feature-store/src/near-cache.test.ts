import assert from 'node:assert/strict';
import { testRedis, uniquePrefix, waitFor } from '@feedmesh/testing';
import type { Redis } from 'ioredis';
import { TrackedNearCache } from './near-cache.js';

describe('TrackedNearCache (Redis client-side caching)', () => {
  let redis: Redis & { cleanup(): Promise<void> };
  let prefix: string;
  let cache: TrackedNearCache;

  beforeEach(async () => {
    prefix = uniquePrefix('near');
    redis = testRedis(prefix);
    cache = await TrackedNearCache.open(redis, { maxEntries: 100, name: prefix });
  });

  afterEach(async () => {
    await cache.close();
    await redis.cleanup();
  });

  const key = (name: string) => `${prefix}:${name}`;

  it('answers a key it has read from memory, missing keys included', async () => {
    await redis.set(key('a'), 'one');
    assert.deepEqual((await cache.mget([key('a'), key('none')])).map(String), ['one', 'null']);
    assert.deepEqual(cache.stats, {
      hits: 0,
      misses: 2,
      invalidations: 0,
      flushes: 0,
      entries: 2,
    });
    assert.deepEqual((await cache.mget([key('none'), key('a')])).map(String), ['null', 'one']);
    assert.equal(cache.stats.hits, 2);
    assert.equal(cache.stats.misses, 2);
  });

  it('drops a key when another client writes it, creates it or lets it expire', async () => {
    await redis.set(key('a'), 'one');
    await redis.set(key('short'), 'brief', 'PX', 50);
    await cache.mget([key('a'), key('new'), key('short')]);
    await redis.set(key('a'), 'two');
    // A script's write is a write too (the feature store writes with Lua).
    await redis.eval("redis.call('SET', KEYS[1], ARGV[1])", 1, key('new'), 'born');
    await waitFor('both invalidations', async () =>
      cache.stats.invalidations >= 2 ? true : undefined,
    );
    assert.deepEqual((await cache.mget([key('a'), key('new')])).map(String), ['two', 'born']);
    await waitFor('the expiry to be seen', async () => {
      // Redis expires lazily or on its own cycle; reading it from Redis expires it.
      await redis.exists(key('short'));
      const [value] = await cache.mget([key('short')]);
      return value === null ? true : undefined;
    });
  });

  it('uses but does not keep a value whose invalidation overtook its reply', async () => {
    await redis.set(key('a'), 'one');
    const reading = cache.mget([key('a')]);
    // As the invalidation connection would, while the read is in flight.
    (cache as unknown as { invalidate(message: unknown): void }).invalidate([key('a')]);
    assert.equal(String((await reading)[0]), 'one');
    assert.equal(cache.stats.entries, 0);
  });

  it('hands out entries that die when their key changes, is forgotten or the cache flushes', async () => {
    await redis.set(key('a'), 'one');
    await redis.set(key('b'), 'bee');
    const [a, b] = await cache.read([key('a'), key('b')]);
    assert.equal(String(a!.value), 'one');
    assert.ok(a!.live && b!.live);
    // Held by the caller, found again without the cache: the same entry until it dies.
    assert.equal((await cache.read([key('a')]))[0], a);
    await redis.set(key('a'), 'two');
    await waitFor('the invalidation', async () => (a!.live ? undefined : true));
    const [again] = await cache.read([key('a')]);
    assert.equal(String(again!.value), 'two');
    assert.ok(again!.live && again !== a);
    cache.forget([key('a')]);
    assert.equal(again!.live, false);
    await cache.close();
    assert.equal(b!.live, false);
  });

  it('serves a read that raced an invalidation as a dead entry', async () => {
    await redis.set(key('a'), 'one');
    const reading = cache.read([key('a')]);
    (cache as unknown as { invalidate(message: unknown): void }).invalidate([key('a')]);
    const [entry] = await reading;
    assert.equal(String(entry!.value), 'one');
    assert.equal(entry!.live, false);
  });

  it('forgets what its own process wrote, at once', async () => {
    await redis.set(key('a'), 'one');
    await cache.mget([key('a')]);
    await redis.set(key('a'), 'two');
    cache.forget([key('a')]);
    assert.equal(String((await cache.mget([key('a')]))[0]), 'two');
  });

  it('flushes everything when a connection drops, and tracks again once it is back', async () => {
    await redis.set(key('a'), 'one');
    await cache.mget([key('a')]);
    // Kill both connections of this cache (the reader and the invalidation subscriber).
    const clients = (await redis.client('LIST')) as string;
    const trackers = clients
      .split('\n')
      .filter((line) => line.includes(`name=${prefix}:`))
      .map((line) => /id=(\d+)/.exec(line)![1]!);
    assert.equal(trackers.length, 2, clients);
    for (const id of trackers) await redis.client('KILL', 'ID', id);
    await waitFor('the flush', async () => (cache.stats.entries === 0 ? true : undefined));
    await waitFor('tracking to come back', async () => {
      await cache.mget([key('a')]);
      return cache.stats.entries === 1 ? true : undefined;
    });
    await redis.set(key('a'), 'after');
    await waitFor('the invalidation after the reconnect', async () => {
      const [value] = await cache.mget([key('a')]);
      return String(value) === 'after' ? true : undefined;
    });
  });

  it('keeps at most maxEntries values, the oldest going first', async () => {
    const keys = Array.from({ length: 150 }, (_, i) => key(`k${i}`));
    await cache.mget(keys);
    assert.equal(cache.stats.entries, 100);
    await cache.mget([keys[149]!]);
    assert.equal(cache.stats.hits, 1);
    await cache.mget([keys[0]!]);
    assert.equal(cache.stats.hits, 1, 'the first key read was dropped');
  });

  it('refuses a size that is not a positive integer', async () => {
    await assert.rejects(TrackedNearCache.open(redis, { maxEntries: 0 }), /maxEntries/);
  });
});
