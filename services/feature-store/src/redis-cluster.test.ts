import assert from 'node:assert/strict';
import { RedisStreamsEventLog } from '@feedmesh/events';
import { connectRedis, type RedisClient } from '@feedmesh/service-kit';
import { startRedisCluster, uniquePrefix, type LocalRedisCluster } from '@feedmesh/testing';
import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';
import { featureStoreContract } from './feature-store.contract.js';
import { serviceSuite } from './feature-store-service.suite.js';
import { redeliverySuite } from './redelivery.suite.js';
import { FeatureKeys } from './redis-keys.js';
import { RedisFeatureStore } from './redis-feature-store.js';
import { applyInBatches, LIMITS, replayTwice, sampleSnapshot } from './test-fixtures/replay.js';
import { sampleWorld } from './test-fixtures/events.js';

/**
 * The store's suites again, on a Redis Cluster of three masters started for the occasion:
 * every script and every MGET must keep to one slot, and every pipeline to one node.
 */
describe('on a Redis Cluster of three masters', function () {
  this.timeout(60_000);
  let cluster: LocalRedisCluster | undefined;
  const clients: RedisClient[] = [];

  before(async function () {
    cluster = await startRedisCluster();
  });

  after(async function () {
    await Promise.all(clients.map((client) => client.quit().catch(() => undefined)));
    await cluster?.stop();
  });

  /** A cluster client the suite closes at the end (each test writes under its own prefix). */
  function connect(): RedisClient {
    const client = connectRedis(cluster!.url, { cluster: true });
    clients.push(client);
    return client;
  }

  featureStoreContract('RedisFeatureStore on a Cluster', async (limits) => {
    const prefix = uniquePrefix('fs-cluster');
    const redis = connect();
    return {
      store: new RedisFeatureStore({ redis, prefix, ...limits }),
      dispose: async () => undefined,
      expireBlog: async (blogId) => {
        await redis.del(new FeatureKeys(prefix).blog(blogId));
      },
    };
  });

  redeliverySuite('RedisFeatureStore on a Cluster', async (limits) => ({
    store: new RedisFeatureStore({
      redis: connect(),
      prefix: uniquePrefix('fs-cluster'),
      ...limits,
    }),
    dispose: async () => undefined,
  }));

  it('spreads one batch over every master, each key where the cluster wants it', async function () {
    const redis = connect();
    const prefix = uniquePrefix('fs-cluster');
    const store = new RedisFeatureStore({ redis, prefix, ...LIMITS });
    await applyInBatches(store, sampleWorld(), 100);
    const keys = new FeatureKeys(prefix);
    const masters = (redis as Cluster).nodes('master');
    assert.equal(masters.length, 3);
    const perMaster = await Promise.all(masters.map((node) => node.dbsize()));
    assert.ok(
      perMaster.every((count) => count > 0),
      `keys per master: ${perMaster.join(', ')}`,
    );
    const userSlot = calculateSlot(keys.user('u1'));
    assert.equal(calculateSlot(keys.userSet('u1', 'following')), userSlot);
    assert.equal(calculateSlot(keys.userTagState('u1', 'art')), userSlot);
  });

  it('replays the log twice through Redis Streams into the same state as in memory', async function () {
    const redis = connect();
    const prefix = uniquePrefix('fs-cluster-replay');
    const log = new RedisStreamsEventLog({
      client: redis as never,
      prefix: `${prefix}:events`,
      partitions: 4,
    });
    const store = new RedisFeatureStore({ redis, prefix, ...LIMITS });
    // A batch spans slots: no unit, so the service's markers option leaves each entity's
    // write guarded by its own markers, as here.
    assert.equal(store.batchUnit([], { readMarkers: false }), undefined);
    try {
      await replayTwice(log, store, await sampleSnapshot(), 5, {
        markerOf: (event) => log.processedMarker('feature-store', event),
      });
    } finally {
      await log.close();
    }
  });

  serviceSuite('Redis Cluster', () => ({
    env: {
      REDIS_URL: cluster!.url,
      REDIS_CLUSTER: 'true',
      REDIS_PREFIX: uniquePrefix('fs-cluster-service'),
    },
    cleanup: async () => undefined,
  }));
});
