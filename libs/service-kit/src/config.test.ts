import assert from 'node:assert/strict';
import { ConfigError } from '@feedmesh/errors';
import { env, loadConfig, serverConfigShape } from './config.js';

describe('loadConfig', () => {
  it('parses and freezes a valid environment, applying defaults', () => {
    const config = loadConfig(
      { ...serverConfigShape, REDIS_URL: env.redisUrl() },
      { GRPC_LISTEN: '0.0.0.0:50051' },
    );
    assert.equal(config.GRPC_LISTEN, '0.0.0.0:50051');
    assert.equal(config.GRPC_UNARY_TIMEOUT_MS, 30_000);
    assert.equal(config.REDIS_URL, undefined);
    assert.ok(Object.isFrozen(config));
  });

  it('fails at start with an error naming the variable', () => {
    assert.throws(
      () => loadConfig(serverConfigShape, { GRPC_DRAIN_TIMEOUT_MS: 'soon' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.variable === 'GRPC_DRAIN_TIMEOUT_MS' &&
        /GRPC_DRAIN_TIMEOUT_MS/.test(error.message),
    );
    assert.throws(
      () => loadConfig({ REDIS_URL: env.redisUrl() }, { REDIS_URL: 'localhost:6379' }),
      (error: unknown) => error instanceof ConfigError && error.variable === 'REDIS_URL',
    );
  });

  it('reads booleans the way operators write them', () => {
    const config = loadConfig({ DEBUG: env.bool(false) }, { DEBUG: 'yes' });
    assert.equal(config.DEBUG, true);
  });
});
