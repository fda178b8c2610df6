import { describeDigestStoreContract } from './digest-store.contract.js';
import { sharedTestRedis } from './test-fixtures/shared-redis.js';
import { InMemoryDigestStore } from './digest-store.js';
import { RedisDigestStore } from './redis-digest-store.js';
import { NotificationKeys } from './redis-keys.js';

const nextNotificationDigests = sharedTestRedis('notification-digests');

describeDigestStoreContract('InMemoryDigestStore', async (settings) => ({
  store: new InMemoryDigestStore(settings),
  dispose: async () => {},
}));

describeDigestStoreContract('RedisDigestStore', async (settings) => {
  const { redis, prefix } = nextNotificationDigests();
  return {
    // Several shards, so claims are seen to gather across them.
    store: new RedisDigestStore(redis, new NotificationKeys(prefix), { ...settings, shards: 4 }),
    dispose: async () => {},
  };
});
