import { testRedis, uniquePrefix } from '@feedmesh/testing';
import { describeDigestStoreContract } from './digest-store.contract.js';
import { InMemoryDigestStore } from './digest-store.js';
import { RedisDigestStore } from './redis-digest-store.js';
import { NotificationKeys } from './redis-keys.js';

describeDigestStoreContract('InMemoryDigestStore', async (settings) => ({
  store: new InMemoryDigestStore(settings),
  dispose: async () => {},
}));

describeDigestStoreContract('RedisDigestStore', async (settings) => {
  const prefix = uniquePrefix('notification-digests');
  const redis = testRedis(prefix);
  return {
    // Several shards, so claims are seen to gather across them.
    store: new RedisDigestStore(redis, new NotificationKeys(prefix), { ...settings, shards: 4 }),
    dispose: () => redis.cleanup(),
  };
});
