import { describeInboxStoreContract } from './inbox-store.contract.js';
import { sharedTestRedis } from './test-fixtures/shared-redis.js';
import { InMemoryInboxStore } from './inbox-store.js';
import { RedisInboxStore } from './redis-inbox-store.js';
import { NotificationKeys } from './redis-keys.js';

const nextNotificationInbox = sharedTestRedis('notification-inbox');

describeInboxStoreContract('InMemoryInboxStore', async (settings) => ({
  store: new InMemoryInboxStore(settings),
  dispose: async () => {},
}));

describeInboxStoreContract('RedisInboxStore', async (settings) => {
  const { redis, prefix } = nextNotificationInbox();
  return {
    store: new RedisInboxStore(redis, new NotificationKeys(prefix), settings),
    dispose: async () => {},
  };
});
