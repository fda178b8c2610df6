import assert from 'node:assert/strict';
import { UnavailableError } from '@feedmesh/errors';
import { testRedis, testRedisUrl, uniquePrefix, waitFor } from '@feedmesh/testing';
import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { FeatureMaterializer } from './event-materializer.js';
import { ENTITIES, PARKED_ENGAGEMENT_TTL_MS, USER_SETS } from './feature-registry.js';
import { COUNTED_TTL_MS } from './feature-store.js';
import {
  deltaOf,
  featureStoreContract,
  plan,
  postWrite,
  userWrite,
} from './feature-store.contract.js';
import { redeliverySuite } from './redelivery.suite.js';
import { TrackedNearCache } from './near-cache.js';
import { FeatureKeys } from './redis-keys.js';
import { RedisFeatureStore } from './redis-feature-store.js';
import { LAYOUTS } from './state-layout.js';
import { engaged, HOUR, Kind, postCreated, sampleWorld, T0 } from './test-fixtures/events.js';
import { joinsById } from './test-fixtures/states.js';

featureStoreContract('RedisFeatureStore', async (limits) => {
  const prefix = uniquePrefix('fs');
  const redis = testRedis(prefix);
  return {
    store: new RedisFeatureStore({ redis, prefix, ...limits }),
    dispose: () => redis.cleanup(),
    expireBlog: async (blogId) => {
      await redis.del(new FeatureKeys(prefix).blog(blogId));
    },
  };
});

// Reads through Redis's client-side caching: the contract's read-after-write holds because the
// store forgets what it writes, and what other writers change arrives as invalidations.
featureStoreContract('RedisFeatureStore with a near cache', async (limits) => {
  const prefix = uniquePrefix('fs');
  const redis = testRedis(prefix);
  const nearCache = await TrackedNearCache.open(redis, { maxEntries: 1_000 });
  return {
    store: new RedisFeatureStore({ redis, prefix, nearCache, ...limits }),
    expireBlog: async (blogId) => {
      await redis.del(new FeatureKeys(prefix).blog(blogId));
    },
    dispose: async () => {
      await nearCache.close();
      await redis.cleanup();
    },
  };
});

redeliverySuite('RedisFeatureStore', async (limits) => {
  const prefix = uniquePrefix('fs');
  const redis = testRedis(prefix);
  return {
    store: new RedisFeatureStore({ redis, prefix, ...limits }),
    dispose: () => redis.cleanup(),
  };
});

// Every read takes the path of a post met for the first time: metas parsed from the values,
// blogs and tags read in a second round trip.
featureStoreContract('RedisFeatureStore without a meta cache', async (limits) => {
  const prefix = uniquePrefix('fs');
  const redis = testRedis(prefix);
  return {
    store: new RedisFeatureStore({ redis, prefix, metaCacheSize: 0, ...limits }),
    dispose: () => redis.cleanup(),
    expireBlog: async (blogId) => {
      await redis.del(new FeatureKeys(prefix).blog(blogId));
    },
  };
});

/** The time to live each key class is written with, by the end of its key. */
function declaredTtl(key: string): number {
  const rules: [RegExp, number][] = [
    [/\{u:[^}]+\}:s$/, ENTITIES.user.ttlMs],
    [/\{u:[^}]+\}:b:/, ENTITIES.user_blog.ttlMs],
    [/\{u:[^}]+\}:t:/, ENTITIES.user_tag.ttlMs],
    [/\{u:[^}]+\}:idx:blogs$/, ENTITIES.user_blog.ttlMs],
    [/\{u:[^}]+\}:idx:tags$/, ENTITIES.user_tag.ttlMs],
    ...Object.entries(USER_SETS).map(
      ([set, { ttlMs }]) => [new RegExp(`:set:${set}$`), ttlMs] as [RegExp, number],
    ),
    [/\{p:[^}]+\}:v$/, ENTITIES.post.ttlMs],
    [/\{p:[^}]+\}:parked$/, PARKED_ENGAGEMENT_TTL_MS],
    [/\{p:[^}]+\}:joined$/, PARKED_ENGAGEMENT_TTL_MS],
    [/\{b:[^}]+\}:s$/, ENTITIES.blog.ttlMs],
    [/\{[upb]:[^}]+\}:e:/, COUNTED_TTL_MS],
  ];
  const rule = rules.find(([pattern]) => pattern.test(key));
  assert.ok(rule, `no key class for ${key}`);
  return rule[1];
}

describe('RedisFeatureStore', () => {
  let prefix: string;
  let redis: ReturnType<typeof testRedis>;
  let store: RedisFeatureStore;
  const liked = deltaOf('post', (d) => d.addSignal('like', 1, T0));

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
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 10_000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    return keys;
  }

  for (const near of [false, true]) {
    it(`serves, and joins engagements to, a meta another process replaced after this one cached it${near ? ' (with a near cache)' : ''}`, async () => {
      const nearCache = near ? await TrackedNearCache.open(redis, { maxEntries: 100 }) : undefined;
      try {
        const here = new RedisFeatureStore({
          redis,
          prefix,
          setCap: 100,
          interestCap: 100,
          ...(nearCache ? { nearCache } : {}),
        });
        // Another replica, with a meta cache of its own.
        const there = new RedisFeatureStore({ redis, prefix, setCap: 100, interestCap: 100 });
        const later = postCreated('c2', T0 + 5_000, { postId: 'p1', blogId: 'b1', tags: ['art'] });
        const earlier = postCreated('c1', T0 + 1_000, {
          postId: 'p1',
          blogId: 'b2',
          tags: ['dogs'],
        });
        const like = engaged('c3', T0 + HOUR, 'u1', 'p1', Kind.ENGAGEMENT_KIND_LIKE);
        const metaOf = async () =>
          (await here.readCandidates(undefined, ['p1'])).posts.get('p1')?.meta;
        assert.deepEqual(await new FeatureMaterializer(here).applyBatch([later]), []);
        assert.deepEqual(await metaOf(), { blogId: 'b1', tags: ['art'], reblogOf: '' });
        assert.deepEqual(await new FeatureMaterializer(there).applyBatch([earlier]), []);
        // Ingestion here joins the like to the meta stored now, not to the one it had cached.
        assert.deepEqual(await new FeatureMaterializer(here).applyBatch([like]), []);
        assert.deepEqual(await metaOf(), { blogId: 'b2', tags: ['dogs'], reblogOf: '' });
        const user = await here.readUser('u1', 10);
        assert.deepEqual(
          { tags: user.tags.map(({ tag }) => tag), blogs: user.blogs.map(({ blogId }) => blogId) },
          { tags: ['dogs'], blogs: ['b2'] },
        );
      } finally {
        await nearCache?.close();
      }
    });
  }

  it('gives every key it writes the time to live of its key class', async () => {
    const materializer = new FeatureMaterializer(store);
    // One at a time, so that p3's engagement is parked before its PostCreated arrives.
    for (const event of sampleWorld().slice(0, 18)) await materializer.apply(event);
    const keys = await keysUnder();
    assert.ok(keys.length > 20, `only ${keys.length} keys`);
    assert.ok(keys.some((key) => key.endsWith(':parked')));
    const ttls = await Promise.all(keys.map((key) => redis.pttl(key)));
    const wrong = keys.filter((key, i) => {
      const declared = declaredTtl(key);
      return !(ttls[i]! <= declared && ttls[i]! > declared - 60_000);
    });
    assert.deepEqual(wrong, []);
  });

  it('forgets an entity once its time to live runs out: it reads as unknown again', async () => {
    await store.write(plan({ posts: [postWrite('p1', { delta: liked })] }));
    assert.ok((await store.readCandidates(undefined, ['p1'])).posts.get('p1')?.state);
    await redis.pexpire(new FeatureKeys(prefix).post('p1'), 1);
    await waitFor(
      'the post key to expire',
      async () => (await redis.exists(new FeatureKeys(prefix).post('p1'))) === 0,
    );
    assert.deepEqual((await store.readCandidates(undefined, ['p1'])).posts.get('p1'), {
      state: undefined,
      meta: undefined,
    });
  });

  it('counts the blogs a user follows from their following set, which outlives the user state', async () => {
    const follow = (blogId: string, atMs: number, active: boolean) =>
      store.write(
        plan({
          users: [
            userWrite('u1', {
              relations: [
                { relation: 'following', blogId, atMs, active, countedIn: 'follows' as const },
              ],
            }),
          ],
        }),
      );
    await follow('b1', T0, true);
    await follow('b2', T0 + 1, true);
    // The user state (90 days) expires; the following set (365 days) is still there.
    await redis.del(new FeatureKeys(prefix).user('u1'));
    await follow('b1', T0 + 100 * 24 * 3_600_000, false);
    const { state, sets } = await store.readUser('u1', 10);
    assert.deepEqual(sets.following, ['b2']);
    assert.equal(LAYOUTS.user.attributeValue(state!, 'follows'), 1);
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
    assert.equal(calculateSlot(keys.parkedEngagements('p1')), calculateSlot(keys.post('p1')));
  });

  it("stores a post as its meta's length, its meta, then one packed value of the layout", async () => {
    const meta = { blogId: 'b1', tags: ['art'], reblogOf: '' };
    await store.write(
      plan({ posts: [postWrite('p1', { delta: liked, create: { meta, parkedRead: 0 } })] }),
    );
    const bytes = (await redis.getBuffer(new FeatureKeys(prefix).post('p1')))!;
    const metaLength = bytes.readUInt32LE(0);
    assert.deepEqual(JSON.parse(bytes.toString('utf8', 4, 4 + metaLength)), ['b1', '', ['art']]);
    assert.equal(bytes.length - 4 - metaLength, LAYOUTS.post.cellCount * 8);
    assert.equal(bytes.readDoubleLE(4 + metaLength), LAYOUTS.post.fingerprint);
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
          (i % 2 === 0 ? store : replica).write(
            plan({ posts: [postWrite('p1', { delta: liked })] }),
          ),
        ),
      );
    } finally {
      await replicaRedis.quit();
    }
    const { posts } = await store.readCandidates(undefined, ['p1']);
    assert.equal(LAYOUTS.post.counter(posts.get('p1')!.state!, 'like', 86_400_000, T0), 200);
  });

  it('ignores cells packed by another layout, rebuilding them from empty and keeping the meta', async () => {
    const key = new FeatureKeys(prefix).post('p1');
    const meta = Buffer.from(JSON.stringify(['b1', '', []]));
    const foreign = Buffer.alloc(4 + meta.length + LAYOUTS.post.cellCount * 8);
    foreign.writeUInt32LE(meta.length, 0);
    meta.copy(foreign, 4);
    foreign.writeDoubleLE(12345, 4 + meta.length);
    foreign.writeDoubleLE(99, 12 + meta.length);
    await redis.set(key, foreign, 'PX', 60_000);
    const before = (await store.readCandidates(undefined, ['p1'])).posts.get('p1');
    assert.deepEqual(before, { state: undefined, meta: { blogId: 'b1', tags: [], reblogOf: '' } });
    await store.write(plan({ posts: [postWrite('p1', { delta: liked })] }));
    const after = (await store.readCandidates(undefined, ['p1'])).posts.get('p1');
    assert.equal(LAYOUTS.post.counter(after!.state!, 'like', 86_400_000, T0), 1);
    assert.equal(after?.meta?.blogId, 'b1');
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
      unreachable.write(plan({ posts: [postWrite('p1', { delta: liked })] })),
      UnavailableError,
    );
    down.disconnect();
  });
});

describe('RedisFeatureStore with a near cache, beside another writer', () => {
  let prefix: string;
  let redis: ReturnType<typeof testRedis>;
  let nearCache: TrackedNearCache;
  let store: RedisFeatureStore;
  let writer: RedisFeatureStore;
  const meta = { blogId: 'b1', tags: ['art'], reblogOf: '' };
  const liked = deltaOf('post', (d) => d.addSignal('like', 1, T0));
  const posted = deltaOf('blog', (d) => d.addSignal('post', 1, T0));
  const likes = async () => {
    const states = await store.readCandidates(undefined, ['p1']);
    const post = states.posts.get('p1')!.state!;
    const blog = joinsById(states).blogs.get('b1')!;
    return {
      post: LAYOUTS.post.counter(post, 'like', 86_400_000, T0),
      blog: LAYOUTS.blog.counter(blog, 'post', 7 * 86_400_000, T0),
    };
  };

  beforeEach(async () => {
    prefix = uniquePrefix('fs');
    redis = testRedis(prefix);
    nearCache = await TrackedNearCache.open(redis, { maxEntries: 1_000 });
    store = new RedisFeatureStore({ redis, prefix, nearCache, setCap: 100, interestCap: 100 });
    // Another replica: it writes through its own connection, without this process's cache.
    writer = new RedisFeatureStore({ redis, prefix, setCap: 100, interestCap: 100 });
    await writer.write(
      plan({
        posts: [postWrite('p1', { delta: liked, create: { meta, parkedRead: 0 } })],
        blogs: [{ blogId: 'b1', delta: posted }],
      }),
    );
  });
  afterEach(async () => {
    await nearCache.close();
    await redis.cleanup();
  });

  it('answers a read again from what it kept, without asking Redis for the post or blog', async () => {
    assert.deepEqual(await likes(), { post: 1, blog: 1 });
    const { hits, misses } = nearCache.stats;
    assert.deepEqual(await likes(), { post: 1, blog: 1 });
    // The second read found both values by the meta cache's numbers: not even a lookup by key.
    assert.deepEqual(
      { hits: nearCache.stats.hits - hits, misses: nearCache.stats.misses - misses },
      { hits: 0, misses: 0 },
    );
  });

  it('answers an expired post as unknown, from what it kept of the expiry too', async () => {
    assert.deepEqual(await likes(), { post: 1, blog: 1 });
    await redis.pexpire(new FeatureKeys(prefix).post('p1'), 1);
    const unknown = { state: undefined, meta: undefined };
    await waitFor('the expiry to be served', async () => {
      // Redis expires lazily or on its own cycle; asking for the key expires it.
      await redis.exists(new FeatureKeys(prefix).post('p1'));
      const { posts } = await store.readCandidates(undefined, ['p1']);
      return posts.get('p1')?.meta === undefined ? true : undefined;
    });
    const { hits } = nearCache.stats;
    assert.deepEqual((await store.readCandidates(undefined, ['p1'])).posts.get('p1'), unknown);
    assert.equal(nearCache.stats.hits, hits, 'the missing value came from what the store held');
  });

  it("serves the other writer's change once Redis invalidates the keys it kept", async () => {
    assert.deepEqual(await likes(), { post: 1, blog: 1 });
    await writer.write(
      plan({
        posts: [postWrite('p1', { delta: liked })],
        blogs: [{ blogId: 'b1', delta: posted }],
      }),
    );
    await waitFor('both invalidations to be served', async () => {
      const now = await likes();
      return now.post === 2 && now.blog === 2 ? true : undefined;
    });
  });
});
