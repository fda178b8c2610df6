import assert from 'node:assert/strict';
import { connectReachableRedis } from '@feedmesh/service-kit';
import { startRedisCluster, type LocalRedisCluster } from './redis-cluster.js';

/** `connectReachableRedis` (in service-kit) with `cluster: true`, as a service with REDIS_CLUSTER starts. */
describe('connectReachableRedis on a Redis Cluster of three masters', function () {
  this.timeout(60_000);
  let cluster: LocalRedisCluster | undefined;

  before(async () => {
    cluster = await startRedisCluster();
  });

  after(async () => {
    await cluster?.stop();
  });

  it('resolves with a cluster client that reaches every master', async () => {
    const redis = await connectReachableRedis(cluster!.url, { cluster: true });
    try {
      assert.equal(redis.nodes('master').length, 3);
      for (let i = 0; i < 30; i++) await redis.set(`reach:${i}`, String(i));
      assert.equal(await redis.get('reach:29'), '29');
    } finally {
      await redis.quit();
    }
  });
});
