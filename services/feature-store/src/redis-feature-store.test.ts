import assert from 'node:assert/strict';
import { UnavailableError } from '@feedmesh/errors';
import { testRedis, testRedisUrl, uniquePrefix } from '@feedmesh/testing';
import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { FeatureMaterializer } from './event-materializer.js';
import { featureStoreContract } from './feature-store.contract.js';
import { FeatureKeys } from './redis-keys.js';
import { RedisFeatureStore } from './redis-feature-store.js';
import { LAYOUTS } from './state-layout.js';
import { sampleWorld, T0 } from './test-fixtures/events.js';

featureStoreContract('RedisFeatureStore', async (limits) => {
  const prefix = uniquePrefix('fs');
  const redis = testRedis(prefix);
  return {
    store: new RedisFeatureStore({ redis, prefix, ...limits }),
    dispose: () => redis.cleanup(),
  };
});

describe('RedisFeatureStore', () => {
  let prefix: string;
  let redis: ReturnType<typeof testRedis>;
  let store: RedisFeatureStore;
  const like = { counters: [{ signal: 'like' as const, weight: 1 }] };

  beforeEach(() => {
    prefix = uniquePrefix('fs');
    redis = testRedis(prefix);
    store = new RedisFeatureStore({ redis, prefix, setCap: 100, interestCap: 100 });
  });
  afterEach(() => redis.cleanup());

  async function keysUnder(): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    return keys;
  }

  it('gives every key it writes a time to live', async () => {
    const materializer = new FeatureMaterializer(store);
    for (const event of sampleWorld()) await materializer.apply(event);
    const keys = await keysUnder();
    assert.ok(keys.length > 20, `only ${keys.length} keys`);
    const ttls = await Promise.all(keys.map((key) => redis.pttl(key)));
    assert.deepEqual(
      keys.filter((_, i) => !(ttls[i]! > 0)),
      [],
    );
  });

  it("keeps each user's keys in one slot, and each post's", async () => {
    const materializer = new FeatureMaterializer(store);
    for (const event of sampleWorld()) await materializer.apply(event);
    const keys = new FeatureKeys(prefix);
    const userKeys = (await keysUnder()).filter((key) => key.includes(':{u:u1}:'));
    assert.ok(userKeys.length >= 8, userKeys.join(' '));
    assert.deepEqual(
      new Set(userKeys.map((key) => calculateSlot(key))),
      new Set([calculateSlot(keys.user('u1'))]),
    );
    assert.equal(calculateSlot(keys.postMeta('p1')), calculateSlot(keys.post('p1')));
    assert.equal(calculateSlot(keys.parkedEngagements('p1')), calculateSlot(keys.post('p1')));
  });

  it('stores a post as one packed value of the layout', async () => {
    await store.updatePost({ postId: 'p1', atMs: T0, change: like });
    const bytes = await redis.getBuffer(new FeatureKeys(prefix).post('p1'));
    assert.equal(bytes?.length, LAYOUTS.post.cellCount * 8);
    assert.equal(bytes?.readDoubleLE(0), LAYOUTS.post.fingerprint);
  });

  it('loses no update when replicas write the same post at once', async () => {
    const replicaRedis = new Redis(testRedisUrl());
    const replica = new RedisFeatureStore({
      redis: replicaRedis,
      prefix,
      setCap: 100,
      interestCap: 100,
    });
    try {
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          (i % 2 === 0 ? store : replica).updatePost({ postId: 'p1', atMs: T0, change: like }),
        ),
      );
    } finally {
      await replicaRedis.quit();
    }
    const { posts } = await store.readCandidates(undefined, ['p1']);
    assert.equal(LAYOUTS.post.counter(posts.get('p1')!.state!, 'like', 86_400_000, T0), 200);
  });

  it('ignores a value packed by another layout, and rebuilds it from empty', async () => {
    const key = new FeatureKeys(prefix).post('p1');
    const foreign = Buffer.alloc(LAYOUTS.post.cellCount * 8);
    foreign.writeDoubleLE(12345, 0);
    foreign.writeDoubleLE(99, 8);
    await redis.set(key, foreign, 'PX', 60_000);
    assert.equal((await store.readCandidates(undefined, ['p1'])).posts.get('p1')?.state, undefined);
    await store.updatePost({ postId: 'p1', atMs: T0, change: like });
    const state = (await store.readCandidates(undefined, ['p1'])).posts.get('p1')?.state;
    assert.equal(LAYOUTS.post.counter(state!, 'like', 86_400_000, T0), 1);
  });

  it('reports an unreachable Redis as unavailable', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const unreachable = new RedisFeatureStore({ redis: down, prefix, setCap: 1, interestCap: 1 });
    await assert.rejects(unreachable.readCandidates('u1', ['p1']), UnavailableError);
    await assert.rejects(
      unreachable.updatePost({ postId: 'p1', atMs: T0, change: like }),
      UnavailableError,
    );
    down.disconnect();
  });
});
