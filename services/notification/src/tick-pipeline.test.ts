import assert from 'node:assert/strict';
import { UnavailableError } from '@feedmesh/errors';
import type { RedisClient } from '@feedmesh/service-kit';
import { resultOf, TickPipeline } from './tick-pipeline.js';
import { sharedTestRedis } from './test-fixtures/shared-redis.js';

const nextRedis = sharedTestRedis('notification-tick-pipeline');

describe('TickPipeline', () => {
  it('writes what is asked in one turn as one pipeline; each caller gets its own replies', async () => {
    const { redis, prefix } = nextRedis();
    let pipelines = 0;
    const counting = {
      isCluster: false,
      pipeline: () => {
        pipelines += 1;
        return redis.pipeline();
      },
    } as unknown as RedisClient;
    const tick = new TickPipeline(counting, 'test');
    const [first, second, third] = await Promise.all([
      tick.send((p) => p.set(`${prefix}:a`, '1').get(`${prefix}:a`)),
      tick.send((p) => p.incr(`${prefix}:n`)),
      tick.send((p) => p.get(`${prefix}:a`).incr(`${prefix}:n`)),
    ]);
    assert.equal(pipelines, 1);
    assert.deepEqual(first, [
      [null, 'OK'],
      [null, '1'],
    ]);
    assert.deepEqual(second, [[null, 1]]);
    assert.deepEqual(third, [
      [null, '1'],
      [null, 2],
    ]);
    // The next turn is the next pipeline.
    assert.deepEqual(await tick.send((p) => p.get(`${prefix}:n`)), [[null, '2']]);
    assert.equal(pipelines, 2);
  });

  it("reports a command's error to its caller only", async () => {
    const { redis, prefix } = nextRedis();
    await redis.set(`${prefix}:text`, 'words');
    const tick = new TickPipeline(redis, 'test');
    const [failed, fine] = await Promise.all([
      tick.send((p) => p.incr(`${prefix}:text`)),
      tick.send((p) => p.incr(`${prefix}:n`)),
    ]);
    assert.throws(() => resultOf(failed?.[0], 'INCR'), UnavailableError);
    assert.equal(resultOf(fine?.[0], 'INCR'), 1);
  });
});
