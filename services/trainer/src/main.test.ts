import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createEventLog } from '@feedmesh/events';
import { deleteKeys, testRedis, testRedisUrl, uniquePrefix } from '@feedmesh/testing';
import { syntheticWorld } from './synthetic-world.fixture.js';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
const EMBEDDINGS_MAIN = fileURLToPath(new URL('./embeddings-main.js', import.meta.url));

async function runMain(
  env: Record<string, string>,
  main = MAIN,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { REDIS_URL: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, [main], {
    env: { ...inherited, LOG_LEVEL: 'silent', OTEL_SDK_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  return { code, stdout, stderr };
}

describe('trainer main (the CronJob entry)', () => {
  it('runs once and exits 0 with its report, even with nothing to learn from', async () => {
    // Embedded (no REDIS_URL): an empty in-memory log, so nothing reaches the feature store.
    const { code, stdout, stderr } = await runMain({});
    assert.equal(code, 0);
    const report = JSON.parse(stdout) as { source: string; promoted: boolean; reason: string };
    assert.equal(report.source, 'none');
    assert.equal(report.promoted, false);
    // A CronJob that lost its REDIS_URL would succeed every day: it says so, whatever LOG_LEVEL.
    assert.match(stderr, /^trainer: REDIS_URL is not set: this run read an in-memory event log/m);
  });

  it('says on stderr that the embeddings job ran without REDIS_URL, and with it says nothing', async () => {
    const without = await runMain({}, EMBEDDINGS_MAIN);
    assert.equal(without.code, 0);
    assert.match(without.stderr, /^trainer: REDIS_URL is not set/m);
    const prefix = uniquePrefix('trainer-embeddings');
    const withRedis = await runMain(
      { REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix },
      EMBEDDINGS_MAIN,
    );
    assert.equal(withRedis.code, 0, withRedis.stderr);
    assert.doesNotMatch(withRedis.stderr, /REDIS_URL/);
    await testRedis(prefix).cleanup();
  });

  it('exits 1 naming the variable when the configuration is wrong', async () => {
    const { code, stderr } = await runMain({ TRAINER_HOLDOUT_FRACTION: '0.9' });
    assert.equal(code, 1);
    assert.match(stderr, /^trainer: configuration TRAINER_HOLDOUT_FRACTION: /m);
  });

  it('exits 1 with the reason when the feature store cannot be reached', async () => {
    const prefix = uniquePrefix('trainer');
    const redis = testRedis(prefix);
    const log = createEventLog({
      kind: 'redis',
      client: redis,
      prefix: `${prefix}:events`,
      partitions: 8,
    });
    try {
      // Enough days that examples remain to train on once the newest day (still in its
      // attribution window) and the day before the held-out slice (embargoed) are left out.
      await log.append(syntheticWorld({ users: 5, posts: 20, days: 6 }).events);
      const { code, stderr } = await runMain({
        REDIS_URL: testRedisUrl(),
        REDIS_PREFIX: prefix,
        FEATURE_STORE_ADDR: '127.0.0.1:1',
        FEATURE_STORE_DEADLINE_MS: '500',
      });
      assert.equal(code, 1);
      assert.match(stderr, /^trainer: training failed: .+/m);
    } finally {
      await deleteKeys(redis, prefix);
      await log.close();
      await redis.quit().catch(() => undefined);
    }
  });
});
