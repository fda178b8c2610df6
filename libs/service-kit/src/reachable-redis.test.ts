import assert from 'node:assert/strict';
import { UnavailableError } from '@feedmesh/errors';
import { connectReachableRedis } from './reachable-redis.js';

describe('connecting to a Redis that must answer', () => {
  // Database 15, as every test (see @feedmesh/testing).
  const reachable = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/15';

  it('resolves with a client that has answered', async () => {
    const redis = await connectReachableRedis(reachable);
    try {
      assert.equal(await redis.ping(), 'PONG');
    } finally {
      await redis.quit();
    }
  });

  it('fails at the first refused connection with one error naming the URL and its source', async () => {
    const started = Date.now();
    const error = await connectReachableRedis('redis://127.0.0.1:1', { source: '--redis' }).then(
      () => assert.fail('connected to port 1'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof UnavailableError, String(error));
    assert.equal(error.dependency, 'redis');
    assert.equal(error.message, 'redis: cannot reach redis://127.0.0.1:1 (--redis): ECONNREFUSED');
    assert.ok(Date.now() - started < 2_000, 'no retries first');
  });

  it('masks a password in the URL it names', async () => {
    await assert.rejects(
      connectReachableRedis('redis://user:hunter2@127.0.0.1:1'),
      (error: Error) => {
        assert.doesNotMatch(error.message, /hunter2/);
        assert.match(
          error.message,
          /cannot reach redis:\/\/user:\*\*\*@127\.0\.0\.1:1: ECONNREFUSED/,
        );
        return true;
      },
    );
  });

  it('masks a password given as a query parameter, which ioredis reads too', async () => {
    await assert.rejects(
      connectReachableRedis('redis://127.0.0.1:1/0?password=hunter2&username=app'),
      (error: Error) => {
        assert.doesNotMatch(error.message, /hunter2/);
        assert.match(
          error.message,
          /cannot reach redis:\/\/127\.0\.0\.1:1\/0\?password=\*\*\*&username=app: ECONNREFUSED/,
        );
        return true;
      },
    );
  });
});
