import assert from 'node:assert/strict';
import { testRedisUrl } from '@feedmesh/testing';
import { Redis } from 'ioredis';
import { InMemoryQuotaStore, type QuotaClaim, type QuotaStore } from './quota-store.js';
import { RedisQuotaStore } from './redis-quota-store.js';
import { NotificationKeys } from './redis-keys.js';
import { T0 } from './test-fixtures/events.js';
import { sharedTestRedis } from './test-fixtures/shared-redis.js';

const nextNotificationQuota = sharedTestRedis('notification-quota');

/** `replica` shares `store`'s counts, as a second replica of the service would. */
type OpenQuotas = () => Promise<{
  store: QuotaStore;
  replica: QuotaStore;
  dispose(): Promise<void>;
}>;

const FATIGUE: QuotaClaim = { counter: 'type:1', max: 3, windowMs: 60_000, minGapMs: 0 };
const DAILY: QuotaClaim = { counter: 'daily', max: 4, windowMs: 86_400_000, minGapMs: 0 };

function describeQuotaStoreContract(name: string, open: OpenQuotas): void {
  describe(`${name}: the QuotaStore contract`, () => {
    let store: QuotaStore;
    let replica: QuotaStore;
    let dispose: () => Promise<void>;
    let sends = 0;

    beforeEach(async () => {
      ({ store, replica, dispose } = await open());
    });
    afterEach(() => dispose());

    /** A send of a notification of its own, unless `sendId` names one. */
    function acquire(
      userId: string,
      claims: readonly QuotaClaim[],
      nowMs: number,
      sendId = `send-${(sends += 1)}`,
    ) {
      return store.acquire(userId, sendId, claims, nowMs);
    }

    it('grants `max` sends in a window, then says when the oldest frees', async () => {
      for (const at of [T0, T0 + 10_000, T0 + 20_000]) {
        assert.deepEqual(await acquire('u1', [FATIGUE], at), { granted: true });
      }
      const refused = { granted: false, refused: 0, retryAtMs: T0 + 60_000 };
      assert.deepEqual(await acquire('u1', [FATIGUE], T0 + 30_000), refused);
      assert.deepEqual(await acquire('u1', [FATIGUE], T0 + 59_999), refused);
      assert.deepEqual(await acquire('u1', [FATIGUE], T0 + 60_000), { granted: true });
    });

    it('keeps the minimum gap after the newest send', async () => {
      const gapped: QuotaClaim = { ...FATIGUE, max: 10, minGapMs: 5_000 };
      assert.deepEqual(await acquire('u1', [gapped], T0), { granted: true });
      assert.deepEqual(await acquire('u1', [gapped], T0 + 4_999), {
        granted: false,
        refused: 0,
        retryAtMs: T0 + 5_000,
      });
      assert.deepEqual(await acquire('u1', [gapped], T0 + 5_000), { granted: true });
    });

    it('keeps a minimum gap longer than the window', async () => {
      // At most one an hour, and two hours apart.
      const spaced: QuotaClaim = { ...FATIGUE, max: 1, windowMs: 3_600_000, minGapMs: 7_200_000 };
      assert.deepEqual(await acquire('u1', [spaced], T0), { granted: true });
      assert.deepEqual(await acquire('u1', [spaced], T0 + 5_400_000), {
        granted: false,
        refused: 0,
        retryAtMs: T0 + 7_200_000,
      });
      assert.deepEqual(await acquire('u1', [spaced], T0 + 7_200_000), { granted: true });
    });

    it('counts each user and counter on its own', async () => {
      for (let i = 0; i < 3; i++) await acquire('u1', [FATIGUE], T0);
      assert.deepEqual(await acquire('u2', [FATIGUE], T0), { granted: true });
      assert.deepEqual(await acquire('u1', [{ ...FATIGUE, counter: 'type:2' }], T0), {
        granted: true,
      });
      assert.equal((await acquire('u1', [FATIGUE], T0)).granted, false);
    });

    it('spends every claim or none: a full budget costs no fatigue slot', async () => {
      const budget: QuotaClaim = { ...DAILY, max: 1 };
      assert.deepEqual(await acquire('u1', [FATIGUE, budget], T0), { granted: true });
      for (let i = 0; i < 5; i++) {
        assert.deepEqual(await acquire('u1', [FATIGUE, budget], T0 + 1_000), {
          granted: false,
          refused: 1,
          retryAtMs: T0 + 86_400_000,
        });
      }
      // Only the one granted send counts towards the fatigue window.
      assert.deepEqual(await acquire('u1', [FATIGUE], T0 + 2_000), { granted: true });
      assert.deepEqual(await acquire('u1', [FATIGUE], T0 + 2_000), { granted: true });
      assert.equal((await acquire('u1', [FATIGUE], T0 + 2_000)).granted, false);
    });

    it('names the first refusing claim and retries when every refused claim has room', async () => {
      for (let i = 0; i < 3; i++) await acquire('u1', [FATIGUE], T0 + i);
      await acquire('u1', [{ ...DAILY, max: 10 }], T0);
      const decision = await acquire('u1', [FATIGUE, { ...DAILY, max: 1 }], T0 + 10);
      assert.deepEqual(decision, { granted: false, refused: 0, retryAtMs: T0 + 86_400_000 });
    });

    it('grants when nothing is claimed', async () => {
      assert.deepEqual(await acquire('u1', [], T0), { granted: true });
    });

    it('frees the slots of a released send: a failed delivery counts against nothing', async () => {
      const one: QuotaClaim = { ...FATIGUE, max: 1 };
      const budget: QuotaClaim = { ...DAILY, max: 1 };
      assert.deepEqual(await acquire('u1', [one, budget], T0, 'failed'), { granted: true });
      assert.equal((await acquire('u1', [one, budget], T0 + 1, 'next')).granted, false);
      await store.release('u1', 'failed', [one, budget]);
      assert.deepEqual(await acquire('u1', [one, budget], T0 + 2, 'next'), { granted: true });
      assert.equal((await acquire('u1', [one, budget], T0 + 3)).granted, false);
    });

    it('counts a send once, however often it is acquired again (a retried flush)', async () => {
      for (const at of [T0, T0 + 1_000, T0 + 2_000]) {
        assert.deepEqual(await acquire('u1', [FATIGUE], at, 'retried'), { granted: true });
      }
      assert.deepEqual(await acquire('u1', [FATIGUE], T0 + 3_000), { granted: true });
      assert.deepEqual(await acquire('u1', [FATIGUE], T0 + 3_000), { granted: true });
      assert.equal((await acquire('u1', [FATIGUE], T0 + 3_000)).granted, false);
      // Held, it is granted again even with the window full: it is one of the three.
      assert.deepEqual(await acquire('u1', [FATIGUE], T0 + 4_000, 'retried'), { granted: true });
    });

    it('keeps the minimum gap against a send acquired again without waiting for itself', async () => {
      const gapped: QuotaClaim = { ...FATIGUE, max: 10, minGapMs: 5_000 };
      assert.deepEqual(await acquire('u1', [gapped], T0, 'retried'), { granted: true });
      assert.deepEqual(await acquire('u1', [gapped], T0 + 1_000, 'retried'), { granted: true });
      assert.equal((await acquire('u1', [gapped], T0 + 1_000)).granted, false);
    });

    it('ignores a release of what is not held: another send, another user, an unknown id', async () => {
      const one: QuotaClaim = { ...FATIGUE, max: 1 };
      await acquire('u1', [one], T0, 'held');
      await store.release('u1', 'unknown', [one]);
      await store.release('u2', 'held', [one]);
      await store.release('u1', 'held', []);
      assert.equal((await acquire('u1', [one], T0 + 1)).granted, false);
    });

    it('never grants two replicas more than `max` at once, whatever is released meanwhile', async () => {
      const claims = [{ ...FATIGUE, max: 3 }, DAILY];
      const race = (from: number) =>
        Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 === 0 ? store : replica).acquire('u1', `race-${from + i}`, claims, T0 + 1),
          ),
        );
      const first = await race(0);
      assert.equal(first.filter((d) => d.granted).length, 3);
      // One delivery fails while twenty more race for the slot it gives back.
      const failed = first.findIndex((d) => d.granted);
      const [second] = await Promise.all([
        race(100),
        replica.release('u1', `race-${failed}`, claims),
      ]);
      const held =
        first.filter((d) => d.granted).length - 1 + second.filter((d) => d.granted).length;
      assert.ok(held <= 3, `${held} sends held at once`);
      // The budget counted the same sends, and has room for the rest of its four.
      let more = 0;
      while ((await acquire('u1', [DAILY], T0 + 2)).granted) more += 1;
      assert.equal(more, 4 - held);
    });
  });
}

describeQuotaStoreContract('InMemoryQuotaStore', async () => {
  const store = new InMemoryQuotaStore();
  return { store, replica: store, dispose: async () => {} };
});

describeQuotaStoreContract('RedisQuotaStore', async () => {
  const { redis, prefix } = nextNotificationQuota();
  // The second replica has a connection of its own.
  const other = new Redis(testRedisUrl(), { maxRetriesPerRequest: 2 });
  return {
    store: new RedisQuotaStore(redis, new NotificationKeys(prefix)),
    replica: new RedisQuotaStore(other, new NotificationKeys(prefix)),
    dispose: async () => void (await other.quit()),
  };
});
