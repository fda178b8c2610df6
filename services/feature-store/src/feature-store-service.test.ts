import { testRedis, testRedisUrl, uniquePrefix } from '@feedmesh/testing';
import { serviceSuite } from './feature-store-service.suite.js';

serviceSuite('embedded', () => ({ env: {}, cleanup: async () => undefined }));

serviceSuite('Redis', () => {
  const prefix = uniquePrefix('fs-service');
  return {
    env: { REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix },
    cleanup: () => testRedis(prefix).cleanup(),
  };
});
