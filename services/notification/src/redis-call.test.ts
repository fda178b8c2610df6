import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { UnavailableError } from '@feedmesh/errors';
import { LuaScript } from './redis-call.js';
import { sharedTestRedis } from './test-fixtures/shared-redis.js';

const nextRedis = sharedTestRedis('notification-redis-call');

describe('LuaScript.runAll', () => {
  /** A script no Redis has seen yet: its first run must load it. */
  function freshScript(body: string): LuaScript {
    return new LuaScript('test.script', `-- ${randomBytes(8).toString('hex')}\n${body}`);
  }

  it('runs every call, in order, loading the script the first time', async () => {
    const { redis, prefix } = nextRedis();
    const append = freshScript(`return redis.call('RPUSH', KEYS[1], ARGV[1])`);
    const key = `${prefix}:list`;
    const outcomes = await append.runAll(redis, [
      { keys: [key], args: ['a'] },
      { keys: [key], args: ['b'] },
      { keys: [key], args: ['c'] },
    ]);
    assert.deepEqual(
      outcomes.map((o) => (o.status === 'fulfilled' ? o.value : o.reason)),
      [1, 2, 3],
    );
    assert.deepEqual(await redis.lrange(key, 0, -1), ['a', 'b', 'c']);
  });

  it('settles each call on its own: one failing does not fail the others', async () => {
    const { redis, prefix } = nextRedis();
    const incr = freshScript(`return redis.call('INCR', KEYS[1])`);
    await redis.set(`${prefix}:text`, 'not a number');
    const [ok, failed] = await incr.runAll(redis, [
      { keys: [`${prefix}:n`], args: [] },
      { keys: [`${prefix}:text`], args: [] },
    ]);
    assert.deepEqual(ok, { status: 'fulfilled', value: 1 });
    assert.equal(failed?.status, 'rejected');
    assert.ok(failed.status === 'rejected' && failed.reason instanceof UnavailableError);
  });
});
