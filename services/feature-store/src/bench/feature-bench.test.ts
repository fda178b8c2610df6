import assert from 'node:assert/strict';
import { testRedis, testRedisUrl, uniquePrefix } from '@feedmesh/testing';
import { runFeatureBench } from './feature-bench.js';

describe('the feature store benchmark (bench features)', function () {
  this.timeout(120_000);

  it('ingests a world through the service as the in-memory store builds it, reports every read path, and leaves no key', async () => {
    const prefix = uniquePrefix('bench-fs');
    const report = await runFeatureBench({
      redisUrl: testRedisUrl(),
      prefix,
      preset: 'small',
      postsPerRequest: 50,
      requests: 5,
      warmup: 1,
      partitions: 4,
      batchSize: 300,
      verify: true,
    });
    assert.equal(report.ingestion.events, report.world.events);
    assert.ok(report.ingestion.eventsPerSecond > 0);
    assert.ok(report.verified !== undefined && report.verified.users > 0);
    for (const path of [
      report.getFeatures,
      report.getFeaturesGeneratedClient,
      report.inProcess,
      report.rawMget,
      report.transportFloor,
    ]) {
      assert.equal(path.count, 5);
      assert.ok(path.p50 > 0 && path.p50 <= path.p99);
    }
    const redis = testRedis(prefix);
    try {
      assert.deepEqual(await redis.keys(`*${prefix}*`), []);
    } finally {
      await redis.quit();
    }
  });

  it("refuses a named prefix that already holds keys, and leaves that prefix's keys alone", async () => {
    const prefix = uniquePrefix('bench-fs-taken');
    const redis = testRedis(prefix);
    try {
      await redis.set(`{${prefix}:p0}`, 'an earlier world');
      await assert.rejects(
        runFeatureBench({ redisUrl: testRedisUrl(), prefix, preset: 'small' }),
        new RegExp(
          `^InvalidArgumentError: prefix: ${prefix} already holds keys \\(\\{${prefix}:p0\\}\\)`,
        ),
      );
      assert.equal(await redis.get(`{${prefix}:p0}`), 'an earlier world');
    } finally {
      await redis.cleanup();
    }
  });

  it('refuses more posts per GetFeatures than the world has, naming the option', async () => {
    await assert.rejects(
      runFeatureBench({ redisUrl: testRedisUrl(), preset: 'small', postsPerRequest: 5_000 }),
      /^InvalidArgumentError: posts: 5000 per GetFeatures is more than the small world's \d+ posts/,
    );
    await assert.rejects(
      runFeatureBench({ redisUrl: testRedisUrl(), prefix: '' }),
      /prefix: must not be empty/,
    );
  });

  it('fails at once, naming the URL and the option, when Redis does not answer', async () => {
    for (const prefix of [undefined, 'named']) {
      await assert.rejects(
        runFeatureBench({
          redisUrl: 'redis://127.0.0.1:1',
          redisUrlSource: '--redis',
          preset: 'small',
          ...(prefix === undefined ? {} : { prefix }),
        }),
        /^UnavailableError: redis: cannot reach redis:\/\/127\.0\.0\.1:1 \(--redis\): ECONNREFUSED$/,
        `prefix ${prefix ?? 'of its own'}`,
      );
    }
    await assert.rejects(
      runFeatureBench({ redisUrl: 'redis://127.0.0.1:1', preset: 'small' }),
      /cannot reach redis:\/\/127\.0\.0\.1:1 \(redisUrl\): ECONNREFUSED$/,
    );
  });
});
