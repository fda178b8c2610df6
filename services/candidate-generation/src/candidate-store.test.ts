import { testRedis, uniquePrefix } from '@feedmesh/testing';
import { candidateStoreContract, CONTRACT_LIMITS } from './candidate-store.contract.js';
import { InMemoryCandidateStore } from './in-memory-candidate-store.js';
import { RedisCandidateStore } from './redis-candidate-store.js';

candidateStoreContract('in memory', async () => ({
  store: new InMemoryCandidateStore(CONTRACT_LIMITS),
  cleanup: async () => undefined,
}));

candidateStoreContract('Redis', async () => {
  const prefix = uniquePrefix('cg');
  const redis = testRedis(prefix);
  return {
    store: new RedisCandidateStore(redis, prefix, CONTRACT_LIMITS),
    cleanup: () => redis.cleanup(),
  };
});
