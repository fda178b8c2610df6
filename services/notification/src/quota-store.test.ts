import assert from 'node:assert/strict';
import { InMemoryQuotaStore, type QuotaClaim, type QuotaStore } from './quota-store.js';
import { RedisQuotaStore } from './redis-quota-store.js';
import { NotificationKeys } from './redis-keys.js';
import { T0 } from './test-fixtures/events.js';
import { sharedTestRedis } from './test-fixtures/shared-redis.js';

const nextNotificationQuota = sharedTestRedis('notification-quota');

type OpenQuotas = () => Promise<{ store: QuotaStore; dispose(): Promise<void> }>;

const FATIGUE: QuotaClaim = { counter: 'type:1', max: 3, windowMs: 60_000, minGapMs: 0 };
const DAILY: QuotaClaim = { counter: 'daily', max: 4, windowMs: 86_400_000, minGapMs: 0 };

function describeQuotaStoreContract(name: string, open: OpenQuotas): void {
  describe(`${name}: the QuotaStore contract`, () => {
    let store: QuotaStore;
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      ({ store, dispose } = await open());
    });
    afterEach(() => dispose());

    it('grants `max` sends in a window, then says when the oldest frees', async () => {
      for (const at of [T0, T0 + 10_000, T0 + 20_000]) {
        assert.deepEqual(await store.acquire('u1', [FATIGUE], at), { granted: true });
      }
      const refused = { granted: false, refused: 0, retryAtMs: T0 + 60_000 };
      assert.deepEqual(await store.acquire('u1', [FATIGUE], T0 + 30_000), refused);
      assert.deepEqual(await store.acquire('u1', [FATIGUE], T0 + 59_999), refused);
      assert.deepEqual(await store.acquire('u1', [FATIGUE], T0 + 60_000), { granted: true });
    });

    it('keeps the minimum gap after the newest send', async () => {
      const gapped: QuotaClaim = { ...FATIGUE, max: 10, minGapMs: 5_000 };
      assert.deepEqual(await store.acquire('u1', [gapped], T0), { granted: true });
      assert.deepEqual(await store.acquire('u1', [gapped], T0 + 4_999), {
        granted: false,
        refused: 0,
        retryAtMs: T0 + 5_000,
      });
      assert.deepEqual(await store.acquire('u1', [gapped], T0 + 5_000), { granted: true });
    });

    it('keeps a minimum gap longer than the window', async () => {
      // At most one an hour, and two hours apart.
      const spaced: QuotaClaim = { ...FATIGUE, max: 1, windowMs: 3_600_000, minGapMs: 7_200_000 };
      assert.deepEqual(await store.acquire('u1', [spaced], T0), { granted: true });
      assert.deepEqual(await store.acquire('u1', [spaced], T0 + 5_400_000), {
        granted: false,
        refused: 0,
        retryAtMs: T0 + 7_200_000,
      });
      assert.deepEqual(await store.acquire('u1', [spaced], T0 + 7_200_000), { granted: true });
    });

    it('counts each user and counter on its own', async () => {
      for (let i = 0; i < 3; i++) await store.acquire('u1', [FATIGUE], T0);
      assert.deepEqual(await store.acquire('u2', [FATIGUE], T0), { granted: true });
      assert.deepEqual(await store.acquire('u1', [{ ...FATIGUE, counter: 'type:2' }], T0), {
        granted: true,
      });
      assert.equal((await store.acquire('u1', [FATIGUE], T0)).granted, false);
    });

    it('spends every claim or none: a full budget costs no fatigue slot', async () => {
      const budget: QuotaClaim = { ...DAILY, max: 1 };
      assert.deepEqual(await store.acquire('u1', [FATIGUE, budget], T0), { granted: true });
      for (let i = 0; i < 5; i++) {
        assert.deepEqual(await store.acquire('u1', [FATIGUE, budget], T0 + 1_000), {
          granted: false,
          refused: 1,
          retryAtMs: T0 + 86_400_000,
        });
      }
      // Only the one granted send counts towards the fatigue window.
      assert.deepEqual(await store.acquire('u1', [FATIGUE], T0 + 2_000), { granted: true });
      assert.deepEqual(await store.acquire('u1', [FATIGUE], T0 + 2_000), { granted: true });
      assert.equal((await store.acquire('u1', [FATIGUE], T0 + 2_000)).granted, false);
    });

    it('names the first refusing claim and retries when every refused claim has room', async () => {
      for (let i = 0; i < 3; i++) await store.acquire('u1', [FATIGUE], T0 + i);
      await store.acquire('u1', [{ ...DAILY, max: 10 }], T0);
      const decision = await store.acquire('u1', [FATIGUE, { ...DAILY, max: 1 }], T0 + 10);
      assert.deepEqual(decision, { granted: false, refused: 0, retryAtMs: T0 + 86_400_000 });
    });

    it('grants when nothing is claimed', async () => {
      assert.deepEqual(await store.acquire('u1', [], T0), { granted: true });
    });
  });
}

describeQuotaStoreContract('InMemoryQuotaStore', async () => ({
  store: new InMemoryQuotaStore(),
  dispose: async () => {},
}));

describeQuotaStoreContract('RedisQuotaStore', async () => {
  const { redis, prefix } = nextNotificationQuota();
  return {
    store: new RedisQuotaStore(redis, new NotificationKeys(prefix)),
    dispose: async () => {},
  };
});
