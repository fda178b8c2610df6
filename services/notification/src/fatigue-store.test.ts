import assert from 'node:assert/strict';
import { testRedis, uniquePrefix } from '@feedmesh/testing';
import { InMemoryFatigueStore, RedisFatigueStore, type FatigueStore } from './fatigue-store.js';
import { NotificationKeys } from './redis-keys.js';
import { T0 } from './test-fixtures/events.js';

type OpenFatigue = () => Promise<{ store: FatigueStore; dispose(): Promise<void> }>;

const LIMIT = { max: 3, windowMs: 60_000 };

function describeFatigueStoreContract(name: string, open: OpenFatigue): void {
  describe(`${name}: the FatigueStore contract`, () => {
    let store: FatigueStore;
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      ({ store, dispose } = await open());
    });
    afterEach(() => dispose());

    it('grants `max` slots in a window, then says when the oldest frees', async () => {
      for (const at of [T0, T0 + 10_000, T0 + 20_000]) {
        assert.deepEqual(await store.acquire('u1', 1, at, LIMIT), { granted: true });
      }
      assert.deepEqual(await store.acquire('u1', 1, T0 + 30_000, LIMIT), {
        granted: false,
        retryAtMs: T0 + 60_000,
      });
      assert.deepEqual(await store.acquire('u1', 1, T0 + 59_999, LIMIT), {
        granted: false,
        retryAtMs: T0 + 60_000,
      });
      assert.deepEqual(await store.acquire('u1', 1, T0 + 60_000, LIMIT), { granted: true });
    });

    it('counts each user and type on its own', async () => {
      for (let i = 0; i < 3; i++) await store.acquire('u1', 1, T0, LIMIT);
      assert.deepEqual(await store.acquire('u2', 1, T0, LIMIT), { granted: true });
      assert.deepEqual(await store.acquire('u1', 2, T0, LIMIT), { granted: true });
      assert.equal((await store.acquire('u1', 1, T0, LIMIT)).granted, false);
    });

    it('does not count refusals against the window', async () => {
      for (let i = 0; i < 3; i++) await store.acquire('u1', 1, T0, LIMIT);
      for (let i = 0; i < 10; i++) await store.acquire('u1', 1, T0 + 1_000, LIMIT);
      assert.deepEqual(await store.acquire('u1', 1, T0 + 60_000, LIMIT), { granted: true });
    });
  });
}

describeFatigueStoreContract('InMemoryFatigueStore', async () => ({
  store: new InMemoryFatigueStore(),
  dispose: async () => {},
}));

describeFatigueStoreContract('RedisFatigueStore', async () => {
  const prefix = uniquePrefix('notification-fatigue');
  const redis = testRedis(prefix);
  return {
    store: new RedisFatigueStore(redis, new NotificationKeys(prefix)),
    dispose: () => redis.cleanup(),
  };
});
