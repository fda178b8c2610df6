import assert from 'node:assert/strict';
import { ConfigError } from '@feedmesh/errors';
import { createRuntime, loadConfig } from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { runMainProcess, testRedis, testRedisUrl, uniquePrefix } from '@feedmesh/testing';
import { featureStoreConfigShape, startFeatureStore } from './index.js';

const silent = createLogger('feature-store-config-test', { level: 'silent' });
const DAY_MS = 24 * 3_600_000;
const main = new URL('./main.js', import.meta.url).pathname;

describe('feature-store configuration', () => {
  describe('FEATURE_STORE_COUNTED_TTL_MS', () => {
    const ttl = (value: string) =>
      loadConfig(featureStoreConfigShape, { FEATURE_STORE_COUNTED_TTL_MS: value })
        .FEATURE_STORE_COUNTED_TTL_MS;

    it('refuses a TTL shorter than the log keeps its processed-markers, naming the variable', () => {
      for (const value of ['1', '1000', String(7 * DAY_MS - 1)]) {
        assert.throws(
          () => ttl(value),
          (error: unknown) =>
            error instanceof ConfigError &&
            error.variable === 'FEATURE_STORE_COUNTED_TTL_MS' &&
            /must be 0 \(keep no markers: at-least-once\) or at least the event log's processed-marker TTL, 604800000 \(7 days\)/.test(
              error.message,
            ),
          value,
        );
      }
    });

    it('takes 0 (no markers), the 7-day default and anything longer up to a year', () => {
      assert.equal(ttl('0'), 0);
      assert.equal(ttl(String(7 * DAY_MS)), 7 * DAY_MS);
      assert.equal(ttl(String(365 * DAY_MS)), 365 * DAY_MS);
      assert.equal(
        loadConfig(featureStoreConfigShape, {}).FEATURE_STORE_COUNTED_TTL_MS,
        7 * DAY_MS,
      );
      assert.throws(() => ttl(String(365 * DAY_MS + 1)), ConfigError);
    });

    it('stops the process with one line naming it', async () => {
      const result = await runMainProcess(main, { FEATURE_STORE_COUNTED_TTL_MS: '1000' });
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        /^feature-store: configuration FEATURE_STORE_COUNTED_TTL_MS: [^\n]+\n$/,
      );
    });
  });

  describe('CONSUMER_NAME with FEATURE_STORE_CONSUMERS', () => {
    /** startFeatureStore on Redis with `env`; shuts down what started. */
    async function start(env: Record<string, string>): Promise<void> {
      const prefix = uniquePrefix('fs-names');
      const config = loadConfig(featureStoreConfigShape, {
        GRPC_LISTEN: '127.0.0.1:0',
        REDIS_URL: testRedisUrl(),
        REDIS_PREFIX: prefix,
        FEATURE_STORE_NEAR_CACHE_ENTRIES: '0',
        ...env,
      });
      const runtime = createRuntime(config, silent);
      try {
        const server = await startFeatureStore({ config, runtime, logger: silent });
        await server.shutdown();
      } finally {
        await runtime.close();
        await testRedis(prefix).cleanup();
      }
    }

    it('refuses a name the suffix of a later consumer would make too long, naming both', async () => {
      await assert.rejects(
        start({ CONSUMER_NAME: 'c'.repeat(63), FEATURE_STORE_CONSUMERS: '2' }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.variable === 'CONSUMER_NAME' &&
          /must be at most 62 characters with FEATURE_STORE_CONSUMERS=2/.test(error.message),
      );
      await assert.rejects(
        start({ CONSUMER_NAME: 'c'.repeat(62), FEATURE_STORE_CONSUMERS: '10' }),
        /configuration CONSUMER_NAME: must be at most 61 characters with FEATURE_STORE_CONSUMERS=10/,
      );
    });

    it('starts its consumers when every suffixed name fits', async () => {
      await start({ CONSUMER_NAME: 'c'.repeat(62), FEATURE_STORE_CONSUMERS: '9' });
      await start({ CONSUMER_NAME: 'c'.repeat(64), FEATURE_STORE_CONSUMERS: '1' });
    });

    it('stops the process with one line naming both variables', async () => {
      const result = await runMainProcess(main, {
        CONSUMER_NAME: 'c'.repeat(63),
        FEATURE_STORE_CONSUMERS: '2',
      });
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        /^feature-store: configuration CONSUMER_NAME: [^\n]*FEATURE_STORE_CONSUMERS=2[^\n]*\n$/,
      );
    });
  });
});
