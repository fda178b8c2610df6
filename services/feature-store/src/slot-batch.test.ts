import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { UnavailableError } from '@feedmesh/errors';
import type { RedisClient } from '@feedmesh/service-kit';
import { testRedis, uniquePrefix, waitFor } from '@feedmesh/testing';
import calculateSlot from 'cluster-key-slot';
import { Redis, type ChainableCommander } from 'ioredis';
import { SlotBatch } from './slot-batch.js';

describe('SlotBatch', () => {
  let prefix: string;
  let redis: ReturnType<typeof testRedis>;
  /** The keys each pipeline carried, one entry per pipeline sent. */
  let pipelines: string[][];

  beforeEach(() => {
    prefix = uniquePrefix('fs-batch');
    redis = testRedis(prefix);
    pipelines = [];
  });
  afterEach(() => redis.cleanup());

  /** The test Redis, seen as a Cluster or not, recording the keys of each pipeline. */
  function recording(isCluster: boolean, slots?: string[][]): RedisClient {
    const pipeline = (): ChainableCommander => {
      const real = redis.pipeline();
      const keys: string[] = [];
      pipelines.push(keys);
      return new Proxy(real, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver) as unknown;
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            for (const arg of args) {
              if (typeof arg === 'string' && arg.startsWith(prefix)) keys.push(arg);
            }
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    };
    return new Proxy(redis, {
      get(target, property) {
        if (property === 'isCluster') return isCluster;
        if (property === 'slots') return slots;
        if (property === 'pipeline') return pipeline;
        return Reflect.get(target, property) as unknown;
      },
    }) as unknown as RedisClient;
  }

  const keysOf = (tags: string[]) => tags.map((tag) => `${prefix}:{${tag}}:s`);

  it('sends a batch as one pipeline with one MGET on a single Redis', async () => {
    const keys = keysOf(['a', 'b', 'c']);
    await redis.set(keys[0]!, 'A');
    await redis.set(keys[2]!, 'C');
    const batch = new SlotBatch(recording(false));
    const values = batch.mget(keys);
    const other = batch.add(keys[1]!, (p) => p.get(keys[1]!));
    const replies = await batch.exec('test');
    assert.deepEqual(
      values(replies).map((v) => v?.toString() ?? null),
      ['A', null, 'C'],
    );
    assert.equal(other(replies), null);
    assert.equal(pipelines.length, 1);
  });

  it('splits a batch into one pipeline per slot on a Cluster, keeping reply order', async () => {
    const keys = keysOf(['u:1', 'p:1', 'u:1', 'p:2', 'b:9']);
    await Promise.all(keys.map((key, i) => redis.set(key, `v${i}`)));
    const batch = new SlotBatch(recording(true));
    const values = batch.mget(keys);
    const replies = await batch.exec('test');
    assert.deepEqual(
      values(replies).map((v) => v?.toString()),
      ['v2', 'v1', 'v2', 'v3', 'v4'],
    );
    assert.equal(pipelines.length, 4);
    for (const carried of pipelines) {
      assert.equal(new Set(carried.map((key) => calculateSlot(key))).size, 1, carried.join(' '));
    }
  });

  it('sends the per-slot commands of one node in one pipeline', async () => {
    const keys = keysOf(['u:1', 'p:1', 'p:2', 'b:9', 'b:10']);
    await Promise.all(keys.map((key, i) => redis.set(key, `v${i}`)));
    // Two nodes: slots below 8192 on one, the rest on the other.
    const slots = Array.from({ length: 16384 }, (_, slot) => [slot < 8192 ? 'n1' : 'n2']);
    const batch = new SlotBatch(recording(true, slots));
    const values = batch.mget(keys);
    const replies = await batch.exec('test');
    assert.deepEqual(
      values(replies).map((v) => v?.toString()),
      ['v0', 'v1', 'v2', 'v3', 'v4'],
    );
    const nodes = new Set(keys.map((key) => (calculateSlot(key) < 8192 ? 'n1' : 'n2')));
    assert.equal(pipelines.length, nodes.size);
    for (const carried of pipelines) {
      assert.equal(
        new Set(carried.map((key) => calculateSlot(key) < 8192)).size,
        1,
        carried.join(' '),
      );
    }
  });

  it('sends nothing for an empty batch', async () => {
    const batch = new SlotBatch(recording(false));
    const values = batch.mget([]);
    assert.deepEqual(values(await batch.exec('test')), []);
    assert.equal(pipelines.length, 0);
  });

  describe('a Redis that cannot serve for now', () => {
    let full: ChildProcess;
    let client: Redis;

    // A real redis-server of the test's own that holds at most a byte: every write is refused
    // with OOM, as a Redis at its maxmemory with noeviction refuses them.
    before(async () => {
      const port = await freePort();
      full = spawn('redis-server', [
        '--port',
        String(port),
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory',
        '1',
        '--maxmemory-policy',
        'noeviction',
      ]);
      client = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1 });
      client.on('error', () => undefined); // refused until the server listens
      await waitFor('the private redis-server', () =>
        client.connect().then(
          () => true,
          () => false,
        ),
      );
    });
    after(async () => {
      client?.disconnect();
      full?.kill('SIGKILL');
    });

    const asClient = (): RedisClient =>
      Object.assign(client, { isCluster: false }) as unknown as RedisClient;

    it('is UnavailableError, so the consumer retries the batch without counting a failed delivery', async () => {
      const batch = new SlotBatch(asClient());
      batch.add('k', (pipeline) => pipeline.set('k', 'v'));
      await assert.rejects(
        batch.exec('test'),
        (error: unknown) => error instanceof UnavailableError && /OOM/.test(error.message),
      );
      const atomic = new SlotBatch(asClient());
      atomic.add('k', (transaction) => transaction.set('k', 'v'));
      await assert.rejects(atomic.execAtomically('test'), UnavailableError);
    });

    it('leaves an error about the command itself (a bug) as it is', async () => {
      const batch = new SlotBatch(asClient());
      batch.add('k', (pipeline) => pipeline.call('NO-SUCH-COMMAND'));
      await assert.rejects(
        batch.exec('test'),
        (error: unknown) =>
          !(error instanceof UnavailableError) && /unknown command/i.test(String(error)),
      );
    });
  });
});

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
