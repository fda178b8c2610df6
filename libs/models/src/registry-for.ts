import type { Cluster, Redis } from 'ioredis';
import { InMemoryModelRegistry } from './in-memory-model-registry.js';
import type { ModelRegistry, ModelRegistryOptions } from './model-registry.js';
import { RedisModelRegistry } from './redis-model-registry.js';

/**
 * The deployment's registry, the same for every process that shares a Redis prefix: the
 * trainer publishes where the ranker polls (`<prefix>:models:{models}:...`). Without Redis
 * it is a registry private to this process; the playground instead passes one in-memory
 * registry to both services.
 */
export function modelRegistryFor(
  runtime: { readonly redis: Redis | Cluster | undefined; readonly prefix: string },
  options: ModelRegistryOptions = {},
): ModelRegistry {
  return runtime.redis
    ? new RedisModelRegistry({
        ...options,
        redis: runtime.redis,
        keyPrefix: `${runtime.prefix}:models`,
      })
    : new InMemoryModelRegistry(options);
}
