import assert from 'node:assert/strict';
import { sharedTestRedis } from './test-fixtures/shared-redis.js';
import { notificationv1 } from '@feedmesh/contracts';
import { NotificationKeys } from './redis-keys.js';
import {
  InMemoryPreferencesStore,
  RedisPreferencesStore,
  type PreferencesStore,
} from './preferences-store.js';

const nextNotificationPreferences = sharedTestRedis('notification-preferences');

const { NotificationType, Channel } = notificationv1;

type OpenPreferences = () => Promise<{ store: PreferencesStore; dispose(): Promise<void> }>;

function describePreferencesStoreContract(name: string, open: OpenPreferences): void {
  describe(`${name}: the PreferencesStore contract`, () => {
    let store: PreferencesStore;
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      ({ store, dispose } = await open());
    });
    afterEach(() => dispose());

    it('has nothing for a user who never set preferences', async () => {
      assert.equal(await store.get('u1'), undefined);
    });

    it('returns what was set, and the last set wins', async () => {
      const first: notificationv1.Preferences = {
        types: [
          {
            type: NotificationType.NOTIFICATION_TYPE_ACTIVITY,
            enabled: false,
            channels: [Channel.CHANNEL_IN_APP, Channel.CHANNEL_PUSH],
          },
        ],
        timeZone: 'Europe/Paris',
        quietStartMinute: 1320,
        quietEndMinute: 420,
      };
      await store.set('u1', first);
      assert.deepEqual(await store.get('u1'), first);
      const second = {
        ...first,
        types: [],
        timeZone: 'UTC',
        quietStartMinute: 0,
        quietEndMinute: 0,
      };
      await store.set('u1', second);
      assert.deepEqual(await store.get('u1'), second);
      assert.equal(await store.get('u2'), undefined);
    });
  });
}

describePreferencesStoreContract('InMemoryPreferencesStore', async () => ({
  store: new InMemoryPreferencesStore(),
  dispose: async () => {},
}));

describePreferencesStoreContract('RedisPreferencesStore', async () => {
  const { redis, prefix } = nextNotificationPreferences();
  return {
    store: new RedisPreferencesStore(redis, new NotificationKeys(prefix)),
    dispose: async () => {},
  };
});
