import { testRedis, uniquePrefix } from '@feedmesh/testing';
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
