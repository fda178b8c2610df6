import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { deleteKeysUnder, firstKeyUnder, keyPatternsUnder } from './prefix-keys.js';

describe('keys under a deployment prefix', () => {
  // Database 15, as every test: benchmarks keep millions of keys in 0, which SCAN would walk.
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/15');
  const base = `test:prefix-keys:${randomBytes(4).toString('hex')}`;
  after(async () => {
    const keys = await redis.keys(`*${base}*`);
    if (keys.length > 0) await redis.unlink(...keys);
    await redis.quit();
  });

  it("deletes the prefix's plain and hash-tagged keys; keys that merely contain it survive", async () => {
    const prefix = `${base}:bench`;
    const doomed = [`${prefix}:post:7`, `{${prefix}:p0}`, `{${prefix}:dead:ranker}`];
    const kept = [`${prefix}2:post:7`, `{${prefix}2:p0}`, `other:${prefix}:post:7`, `${base}:x`];
    for (const key of [...doomed, ...kept]) await redis.set(key, '1');

    assert.ok(doomed.includes((await firstKeyUnder(redis, prefix))!));
    assert.equal(await deleteKeysUnder(redis, prefix), doomed.length);
    for (const key of doomed) assert.equal(await redis.exists(key), 0, key);
    for (const key of kept) assert.equal(await redis.exists(key), 1, key);
    assert.equal(await firstKeyUnder(redis, prefix), undefined);
  });

  it('takes glob characters in the prefix literally', async () => {
    assert.deepEqual(keyPatternsUnder('a*b?[c]'), ['a\\*b\\?\\[c\\]:*', '{a\\*b\\?\\[c\\]:*']);
    await redis.set(`${base}:abc:1`, '1');
    await redis.set(`${base}:a*:1`, '1');
    assert.equal(await deleteKeysUnder(redis, `${base}:a*`), 1);
    assert.equal(await redis.exists(`${base}:abc:1`), 1);
  });

  it('refuses the empty prefix, which would match every key', async () => {
    await assert.rejects(deleteKeysUnder(redis, ''), /empty prefix would match every key/);
  });
});
