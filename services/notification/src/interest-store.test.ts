import assert from 'node:assert/strict';
import {
  decayedLogWeight,
  InMemoryInterestStore,
  logAddExp,
  type InterestSettings,
  type InterestStore,
} from './interest-store.js';
import { RedisInterestStore } from './redis-interest-store.js';
import { NotificationKeys } from './redis-keys.js';
import { T0 } from './test-fixtures/events.js';
import { sharedTestRedis } from './test-fixtures/shared-redis.js';

const nextNotificationInterests = sharedTestRedis('notification-interests');

const DAY_MS = 86_400_000;
const SETTINGS: InterestSettings = {
  halfLifeMs: 7 * DAY_MS,
  keptPerUser: 3,
  fansPerTarget: 3,
  ttlMs: 30 * DAY_MS,
};

type OpenInterests = () => Promise<{ store: InterestStore; dispose(): Promise<void> }>;

function describeInterestStoreContract(name: string, open: OpenInterests): void {
  describe(`${name}: the InterestStore contract`, () => {
    let store: InterestStore;
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      ({ store, dispose } = await open());
    });
    afterEach(() => dispose());

    it('ranks fans by engagement, and a week-old engagement counts half as much', async () => {
      await store.add('old-fan', 'blog', 'b1', 3, T0 - 7 * DAY_MS);
      await store.add('new-fan', 'blog', 'b1', 2, T0);
      await store.add('twice', 'blog', 'b1', 1, T0);
      await store.add('twice', 'blog', 'b1', 1.2, T0);
      // old-fan: 3 a week ago = 1.5 now; twice: 2.2; new-fan: 2.
      assert.deepEqual(await store.fans('blog', 'b1', 10), ['twice', 'new-fan', 'old-fan']);
      assert.deepEqual(await store.fans('blog', 'b1', 1), ['twice']);
      assert.deepEqual(await store.fans('tag', 'b1', 10), []);
    });

    it("keeps only the strongest of a user's interests and of a target's fans", async () => {
      for (const [i, blog] of ['b1', 'b2', 'b3', 'b4'].entries()) {
        await store.add('u1', 'blog', blog, i + 1, T0);
      }
      for (const [i, fan] of ['f1', 'f2', 'f3', 'f4'].entries()) {
        await store.add(fan, 'tag', 'cats', i + 1, T0);
      }
      assert.deepEqual(await store.amongTop(['u1'], 'blog', 'b1', 3), [], 'b1 was evicted');
      assert.deepEqual(await store.amongTop(['u1'], 'blog', 'b2', 3), ['u1']);
      assert.deepEqual(await store.fans('tag', 'cats', 10), ['f4', 'f3', 'f2']);
    });

    it('tells which users count the target among their top interests', async () => {
      await store.add('u1', 'tag', 'cats', 5, T0);
      await store.add('u1', 'tag', 'dogs', 1, T0);
      await store.add('u2', 'tag', 'dogs', 1, T0);
      assert.deepEqual(await store.amongTop(['u1', 'u2', 'u3'], 'tag', 'dogs', 1), ['u2']);
      assert.deepEqual(await store.amongTop(['u1', 'u2', 'u3'], 'tag', 'dogs', 2), ['u1', 'u2']);
      assert.deepEqual(await store.amongTop([], 'tag', 'dogs', 2), []);
    });

    it('counts adds asked for at once as the same adds one after another', async () => {
      // A batch of events handled at once: the Redis store writes these together.
      await Promise.all([
        store.add('twice', 'blog', 'b1', 1, T0),
        store.add('once', 'blog', 'b1', 2, T0),
        store.add('twice', 'blog', 'b1', 1.2, T0),
        ...['b2', 'b3', 'b4'].map((blog, i) => store.add('u1', 'blog', blog, i + 1, T0)),
        store.add('u1', 'tag', 'cats', 1, T0),
        store.add('f1', 'tag', 'cats', 1, T0),
      ]);
      assert.deepEqual(await store.fans('blog', 'b1', 10), ['twice', 'once']);
      assert.deepEqual(await store.amongTop(['u1'], 'blog', 'b4', 1), ['u1']);
      assert.deepEqual(await store.amongTop(['u1'], 'tag', 'cats', 1), ['u1']);
      assert.deepEqual(await store.fans('tag', 'cats', 10), ['u1', 'f1']);
      // Past the cap, the weakest goes, as when added one by one.
      await Promise.all(
        ['f2', 'f3', 'f4'].map((fan, i) => store.add(fan, 'tag', 'cats', i + 2, T0)),
      );
      assert.deepEqual(await store.fans('tag', 'cats', 10), ['f4', 'f3', 'f2']);
    });

    it('forgets what the user took back, on both sides', async () => {
      await store.add('u1', 'blog', 'b1', 1, T0);
      await store.forget('u1', 'blog', 'b1');
      assert.deepEqual(await store.fans('blog', 'b1', 10), []);
      assert.deepEqual(await store.amongTop(['u1'], 'blog', 'b1', 5), []);
    });
  });
}

describe('decayed log weights', () => {
  it('sum in log space without overflow, decades from now', () => {
    const halfLife = 7 * DAY_MS;
    const a = decayedLogWeight(1, Date.UTC(2090, 0, 1), halfLife);
    const b = decayedLogWeight(1, Date.UTC(2090, 0, 1) + halfLife, halfLife);
    assert.ok(Number.isFinite(logAddExp(a, b)));
    assert.ok(Math.abs(Math.exp(logAddExp(a, b) - b) - 1.5) < 1e-9);
  });
});

describeInterestStoreContract('InMemoryInterestStore', async () => ({
  store: new InMemoryInterestStore(SETTINGS),
  dispose: async () => {},
}));

describeInterestStoreContract('RedisInterestStore', async () => {
  const { redis, prefix } = nextNotificationInterests();
  return {
    store: new RedisInterestStore(redis, new NotificationKeys(prefix), SETTINGS),
    dispose: async () => {},
  };
});
