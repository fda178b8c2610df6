import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { redisUnavailable } from '@feedmesh/events';
import type { Cluster } from 'ioredis';
import { connectReachableRedis } from './reachable-redis.js';
import { connectRedis } from './runtime.js';
import { startRedisCluster, type LocalRedisCluster } from './test-fixtures/redis-cluster.js';

/** connectRedis / connectReachableRedis with REDIS_CLUSTER: the client every node gets. */
describe('the Redis Cluster client (REDIS_CLUSTER)', function () {
  this.timeout(60_000);
  const password = 'cluster-s3cret';
  let cluster: LocalRedisCluster;
  let url = '';

  before(async () => {
    cluster = await startRedisCluster(password);
    url = `redis://:${password}@127.0.0.1:${cluster.ports[0]}`;
  });
  after(() => cluster.stop());

  it('authenticates to every master with the password in REDIS_URL (:pw@ or ?password=), not only to the node named', async () => {
    // Keys spread over the three masters' slots; the two nodes found through CLUSTER SLOTS
    // answered NOAUTH when only the node of the URL got the password.
    const asQuery = `redis://127.0.0.1:${cluster.ports[0]}?password=${password}`;
    for (const named of [url, url, asQuery, asQuery]) {
      const redis = await connectReachableRedis(named, { cluster: true });
      try {
        for (let i = 0; i < 30; i++) await redis.set(`auth:${i}`, String(i));
        assert.equal(await redis.get('auth:29'), '29');
        assert.equal(redis.nodes('master').length, 3);
      } finally {
        await redis.quit();
      }
    }
  });

  // Last: it shuts the cluster down.
  it('fails a command while the whole cluster is down, as a single Redis does, instead of holding it until the cluster is back, and answers once it is', async () => {
    const redis: Cluster = await connectReachableRedis(url, { cluster: true });
    try {
      await redis.set('down:1', '1');
      await cluster.shutdown();
      // Only a bound for a test that would otherwise wait forever, not a performance limit.
      const outcome = await Promise.race([
        redis.get('down:1').then(
          () => assert.fail('answered with every node down'),
          (error: unknown) => error,
        ),
        new Promise<'still waiting'>((resolve) =>
          setTimeout(() => resolve('still waiting'), 30_000),
        ),
      ]);
      assert.notEqual(outcome, 'still waiting', 'the command was held while the cluster was down');
      assert.ok(outcome instanceof Error);
      assert.ok(redisUnavailable(outcome), `read as Redis unavailable: ${outcome.message}`);
      await cluster.restart();
      assert.equal(await redis.get('down:1'), null, 'answers again once the cluster is back');
    } finally {
      redis.disconnect();
    }
  });
});

describe('the Redis Cluster client with a rediss:// REDIS_URL', () => {
  /** The first byte a client sends to a node listening here: 0x16 opens a TLS handshake. */
  async function firstByteFrom(connect: (url: string) => { disconnect(): void }) {
    const node = createServer();
    node.listen(0, '127.0.0.1');
    await once(node, 'listening');
    const received = new Promise<number | undefined>((resolve) =>
      node.once('connection', (socket) => {
        socket.once('data', (bytes: Buffer) => {
          resolve(bytes[0]);
          socket.destroy();
        });
      }),
    );
    const client = connect(`rediss://127.0.0.1:${(node.address() as AddressInfo).port}`);
    try {
      return await received;
    } finally {
      client.disconnect();
      node.close();
    }
  }

  it('speaks TLS to the nodes, as a single Redis does, instead of plaintext to a TLS port', async () => {
    assert.equal(await firstByteFrom((url) => connectRedis(url)), 0x16);
    assert.equal(await firstByteFrom((url) => connectRedis(url, { cluster: true })), 0x16);
  });
});
