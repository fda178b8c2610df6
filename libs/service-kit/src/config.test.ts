import assert from 'node:assert/strict';
import { ConfigError } from '@feedmesh/errors';
import { z } from 'zod';
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

  it('refuses a variable set to nothing, which would read as 0 or switch a secret off', () => {
    for (const [variable, value] of [
      ['GRPC_DRAIN_TIMEOUT_MS', ''],
      ['GRPC_MAX_CONNECTION_AGE_MS', '  '],
      ['SHARE', ''],
    ] as const) {
      assert.throws(
        () =>
          loadConfig(
            { ...serverConfigShape, SHARE: z.coerce.number().min(0).max(1).optional() },
            { [variable]: value },
          ),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.variable === variable &&
          /is set to nothing: give it a value, or unset it for its default/.test(error.message),
      );
    }
    // Variables the service does not read may be blank.
    assert.equal(loadConfig(serverConfigShape, { UNRELATED: '' }).GRPC_DRAIN_TIMEOUT_MS, 10_000);
  });

  it('reads a value with blanks around it (a trailing newline from a secret file) as the value itself, whatever its type', () => {
    const config = loadConfig(
      {
        ...serverConfigShape,
        REDIS_URL: env.redisUrl(),
        REDIS_CLUSTER: env.bool(false),
        REDIS_PREFIX: env.string('feedmesh'),
      },
      {
        GRPC_DRAIN_TIMEOUT_MS: ' 500 ',
        GRPC_LISTEN: '127.0.0.1:50051 ',
        REDIS_URL: 'redis://127.0.0.1:6379/6\n',
        REDIS_CLUSTER: 'true\n',
        // Kept as written, it was another deployment's keys ('feedmesh :events') without a word.
        REDIS_PREFIX: 'feedmesh ',
      },
    );
    assert.equal(config.GRPC_DRAIN_TIMEOUT_MS, 500);
    assert.equal(config.GRPC_LISTEN, '127.0.0.1:50051');
    assert.equal(config.REDIS_URL, 'redis://127.0.0.1:6379/6');
    assert.equal(config.REDIS_CLUSTER, true);
    assert.equal(config.REDIS_PREFIX, 'feedmesh');
  });

  it('refuses a port above 65535 and a Redis URL that does not parse, naming the variable', () => {
    assert.throws(
      () => loadConfig(serverConfigShape, { GRPC_LISTEN: '127.0.0.1:99999' }),
      /configuration GRPC_LISTEN: the port must be at most 65535/,
    );
    assert.throws(
      () =>
        loadConfig({ REDIS_URL: env.redisUrl() }, { REDIS_URL: 'redis://127.0.0.1:notaport/9' }),
      /configuration REDIS_URL: not a valid URL/,
    );
    assert.equal(
      loadConfig({ REDIS_URL: env.redisUrl() }, { REDIS_URL: 'redis://:pw@127.0.0.1:6379/9' })
        .REDIS_URL,
      'redis://:pw@127.0.0.1:6379/9',
    );
  });

  it('reads a fractional number where one is declared', () => {
    assert.equal(loadConfig({ Z: env.number(2, 0, 10) }, { Z: '2.5' }).Z, 2.5);
    assert.throws(() => loadConfig({ Z: env.int(2, 0, 10) }, { Z: '2.5' }), /configuration Z:/);
  });

  it('reads booleans the way operators write them', () => {
    const config = loadConfig({ DEBUG: env.bool(false) }, { DEBUG: 'yes' });
    assert.equal(config.DEBUG, true);
  });
});
