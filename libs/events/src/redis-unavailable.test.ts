import assert from 'node:assert/strict';
import { InvalidArgumentError, UnavailableError } from '@feedmesh/errors';
import { Redis } from 'ioredis';
import { asUnavailable, redisUnavailable } from './redis-unavailable.js';
import { redisUrl, uniquePrefix } from './test-fixtures/redis.js';

/** The error a call rejects with. */
async function failure(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  return assert.fail('the call succeeded');
}

describe('redisUnavailable (is it Redis that is down, or the command that is wrong?)', () => {
  it('says a Redis nothing answers on is unavailable', async () => {
    // Port 1 refuses connections; no retry, so the command fails at once.
    const down = new Redis({ port: 1, maxRetriesPerRequest: 0, retryStrategy: () => null });
    down.on('error', () => undefined);
    try {
      const error = await failure(() => down.get('k'));
      assert.equal(redisUnavailable(error), true, String(error));
      const wrapped = asUnavailable(error);
      assert.ok(wrapped instanceof UnavailableError);
      assert.equal((wrapped as Error).cause, error);
    } finally {
      down.disconnect();
    }
  });

  it('says a wrong command is not: retrying would not mend it', async () => {
    const redis = new Redis(redisUrl);
    const key = `${uniquePrefix()}:list`;
    try {
      await redis.rpush(key, 'x');
      const error = await failure(() => redis.get(key));
      assert.match(String(error), /WRONGTYPE/);
      assert.equal(redisUnavailable(error), false);
      assert.equal(asUnavailable(error), error);
    } finally {
      await redis.del(key);
      await redis.quit();
    }
  });

  it('tells replies Redis gives while it cannot serve from those about the data', () => {
    const reply = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });
    assert.equal(redisUnavailable(reply('LOADING Redis is loading the dataset in memory')), true);
    assert.equal(
      redisUnavailable(reply('MISCONF Redis is configured to save RDB snapshots')),
      true,
    );
    assert.equal(redisUnavailable(reply('ERR Error running script')), false);
    assert.equal(redisUnavailable(new InvalidArgumentError('post_id', 'is empty')), false);
    assert.equal(redisUnavailable(new TypeError('x is undefined')), false);
    assert.equal(redisUnavailable('a string'), false);
  });
});
