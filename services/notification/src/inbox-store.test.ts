import { testRedis, uniquePrefix } from '@feedmesh/testing';
import { describeInboxStoreContract } from './inbox-store.contract.js';
import { InMemoryInboxStore } from './inbox-store.js';
import { RedisInboxStore } from './redis-inbox-store.js';
import { NotificationKeys } from './redis-keys.js';

describeInboxStoreContract('InMemoryInboxStore', async (settings) => ({
  store: new InMemoryInboxStore(settings),
  dispose: async () => {},
}));

describeInboxStoreContract('RedisInboxStore', async (settings) => {
  const prefix = uniquePrefix('notification-inbox');
  const redis = testRedis(prefix);
  return {
    store: new RedisInboxStore(redis, new NotificationKeys(prefix), settings),
    dispose: () => redis.cleanup(),
  };
});
