import assert from 'node:assert/strict';
import { connectRedis, deleteKeysUnder, firstKeyUnder } from '@feedmesh/service-kit';
import type { Cluster } from 'ioredis';
import { startRedisCluster, type LocalRedisCluster } from './redis-cluster.js';

/** `deleteKeysUnder` (in service-kit) on a Cluster: its keys live on every master. */
describe('deleteKeysUnder on a Redis Cluster of three masters', function () {
  this.timeout(60_000);
  let cluster: LocalRedisCluster | undefined;
  let redis: Cluster | undefined;

  before(async () => {
    cluster = await startRedisCluster();
    redis = connectRedis(cluster.url, { cluster: true }) as Cluster;
  });

  after(async () => {
    await redis?.quit().catch(() => undefined);
    await cluster?.stop();
  });

  it("deletes the prefix's keys on every master, and only those", async () => {
    const doomed = Array.from({ length: 60 }, (_, i) => `bench:post:${i}`);
    doomed.push('{bench:p0}', '{bench:dead:ranker}');
    const kept = ['bench2:post:1', 'other:bench:post:1', '{bench2:p0}'];
    for (const key of [...doomed, ...kept]) await redis!.set(key, '1');
    const masters = redis!.nodes('master');
    const holding = await Promise.all(masters.map((node) => node.dbsize()));
    assert.ok(
      holding.every((n) => n > 0),
      `every master holds some keys: ${holding}`,
    );

    assert.equal(await deleteKeysUnder(redis!, 'bench'), doomed.length);
    assert.equal(await firstKeyUnder(redis!, 'bench'), undefined);
    for (const key of kept) assert.equal(await redis!.exists(key), 1, key);
  });
});
