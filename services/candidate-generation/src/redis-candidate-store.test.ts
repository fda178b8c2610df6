import assert from 'node:assert/strict';
import { testRedis, uniquePrefix } from '@feedmesh/testing';
import { hashTagOf } from './redis-pipeline.js';
import { RedisCandidateStore } from './redis-candidate-store.js';

describe('RedisCandidateStore keys', () => {
  const prefix = uniquePrefix('cg-keys');
  let redis: ReturnType<typeof testRedis>;
  before(() => {
    redis = testRedis(prefix);
  });
  after(() => redis.cleanup());

  it('gives every per-entity key a TTL; only the capped global indexes live without one', async () => {
    const store = new RedisCandidateStore(redis, prefix);
    const T = Date.UTC(2025, 0, 1);
    await store.putBlog({ blogId: 'b1', ownerUserId: 'u9', name: 'one', createdAtMs: T });
    await store.putPost({
      postId: 'p1',
      blogId: 'b1',
      tags: ['cats'],
      createdAtMs: T,
      reblogOf: '',
      summary: '',
    });
    await store.setFollow('u1', 'b1', T, true);
    await store.setFollow('u1', 'b2', T, false);
    await store.recordEngagement({
      userId: 'u1',
      postId: 'p1',
      atMs: T,
      tags: ['cats'],
      popularity: 1,
      affinity: 1,
      coEngagement: true,
      trend: { buckets: { '5m': 1, '1h': 1 }, activity: 1 },
    });
    await store.deletePost('p2', T);

    const keys = (await redis.keys(`${prefix}:*`)).sort();
    const withoutTtl: string[] = [];
    for (const key of keys) if ((await redis.pttl(key)) < 0) withoutTtl.push(key);
    assert.ok(keys.length >= 15, keys.join());
    assert.deepEqual(withoutTtl, [
      `${prefix}:{g:new-blogs}`,
      `${prefix}:{g:popular}`,
      `${prefix}:{g:trend-posts}`,
      `${prefix}:{g:trend-tags}`,
    ]);
    // Everything about one entity shares its hash tag, so a Cluster keeps it in one slot.
    assert.ok(
      keys.includes(`${prefix}:{u:u1}:follows`) && keys.includes(`${prefix}:{u:u1}:unfollows`),
    );
  });
});

describe('hashTagOf', () => {
  it('finds the part of a key Redis Cluster hashes', () => {
    assert.equal(hashTagOf('feedmesh:cg:{u:42}:follows'), 'u:42');
    assert.equal(hashTagOf('feedmesh:cg:{t:a}b}:recent'), 't:a');
    assert.equal(hashTagOf('feedmesh:cg:{}:x'), 'feedmesh:cg:{}:x');
    assert.equal(hashTagOf('plain'), 'plain');
  });
});
