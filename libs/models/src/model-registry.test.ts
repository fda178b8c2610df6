import assert from 'node:assert/strict';
import { InvalidArgumentError, NotFoundError } from '@feedmesh/errors';
import { testRedis, uniquePrefix } from '@feedmesh/testing';
import { heuristicModel } from './heuristic.model.js';
import { InMemoryModelRegistry } from './in-memory-model-registry.js';
import { modelRegistryContract } from './model-registry.contract.js';
import { DanglingCurrentVersionError } from './model-registry.js';
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

describe('RedisModelRegistry: a current pointer to a version no longer stored in full', () => {
  let prefix: string;
  let redis: ReturnType<typeof testRedis>;
  let registry: RedisModelRegistry;

  beforeEach(async () => {
    prefix = uniquePrefix('models');
    redis = testRedis(prefix);
    registry = new RedisModelRegistry({ redis, keyPrefix: prefix });
    await registry.publish('feed', heuristicModel(), { trainedAtMs: 1, promote: true });
    await registry.publish('feed', heuristicModel(), { trainedAtMs: 2 });
  });
  afterEach(() => redis.cleanup());

  const dangling = (missing: string) => (error: unknown) =>
    error instanceof DanglingCurrentVersionError &&
    error.model === 'feed' &&
    error.version === 'v1' &&
    error.missing === missing &&
    /feed/.test(error.message) &&
    /v1/.test(error.message);

  it('is an error naming the version when its model document is gone, not "no current version"', async () => {
    await redis.del(`${prefix}:{models}:model:feed:v1`);
    await assert.rejects(registry.current('feed'), dangling('document'));
  });

  it('is an error naming the version when its metadata is gone', async () => {
    await redis.hdel(`${prefix}:{models}:versions:feed`, 'v1');
    await assert.rejects(registry.current('feed'), dangling('metadata'));
  });

  it('refuses to promote a version whose model document is gone', async () => {
    await redis.del(`${prefix}:{models}:model:feed:v2`);
    await assert.rejects(registry.promote('feed', 'v2'), NotFoundError);
    assert.equal((await registry.current('feed'))?.version, 'v1');
  });
});
