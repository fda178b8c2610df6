import assert from 'node:assert/strict';
import { InvalidArgumentError } from '@feedmesh/errors';
import { testRedis, uniquePrefix } from '@feedmesh/testing';
import { heuristicModel } from './heuristic.model.js';
import { InMemoryModelRegistry } from './in-memory-model-registry.js';
import { modelRegistryContract } from './model-registry.contract.js';
import { RedisModelRegistry } from './redis-model-registry.js';

modelRegistryContract('in memory', async (options) => ({
  registry: new InMemoryModelRegistry(options),
  close: async () => undefined,
}));

modelRegistryContract('Redis', async (options) => {
  const prefix = uniquePrefix('models');
  const redis = testRedis(prefix);
  return {
    registry: new RedisModelRegistry({ ...options, redis, keyPrefix: prefix }),
    close: () => redis.cleanup(),
  };
});

describe('RedisModelRegistry: a stored model that is not JSON', () => {
  it('is a malformed model (InvalidArgumentError), like one with a bad field', async () => {
    const prefix = uniquePrefix('models');
    const redis = testRedis(prefix);
    try {
      const registry = new RedisModelRegistry({ redis, keyPrefix: prefix });
      const { version } = await registry.publish('feed', heuristicModel(), { trainedAtMs: 1 });
      await redis.set(`${prefix}:{models}:model:feed:${version}`, '{not json');
      await assert.rejects(
        registry.get('feed', version),
        (error: unknown) =>
          error instanceof InvalidArgumentError && /^\(document\): not JSON/.test(error.message),
      );
    } finally {
      await redis.cleanup();
    }
  });
});
