import assert from 'node:assert/strict';
import { NotificationKeys } from './redis-keys.js';
import { RedisSessionStore } from './redis-session-store.js';
import { InMemorySessionStore, type SessionSettings, type SessionStore } from './session-store.js';
import { T0 } from './test-fixtures/events.js';
import { sharedTestRedis } from './test-fixtures/shared-redis.js';

const nextNotificationSessions = sharedTestRedis('notification-sessions');

const DAY_MS = 86_400_000;
const SETTINGS: SessionSettings = { lapseMs: 7 * DAY_MS, memoryMs: 60 * DAY_MS };
const LEASE = 60_000;

type OpenSessions = () => Promise<{ store: SessionStore; dispose(): Promise<void> }>;

function describeSessionStoreContract(name: string, open: OpenSessions): void {
  describe(`${name}: the SessionStore contract`, () => {
    let store: SessionStore;
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      ({ store, dispose } = await open());
    });
    afterEach(() => dispose());

    it('keeps the latest session, whatever order they arrive in', async () => {
      await store.record('u1', T0);
      await store.record('u1', T0 - DAY_MS);
      assert.deepEqual(await store.get('u1'), { lastAtMs: T0, reactivatedForMs: 0 });
      assert.equal(await store.get('u2'), undefined);
    });

    it('makes a lapse check due a lapse after the last session, and only then', async () => {
      await store.record('u1', T0);
      await store.record('u2', T0 + DAY_MS);
      assert.deepEqual(await store.claimDue(T0 + 7 * DAY_MS - 1, 10, LEASE), []);
      const due = await store.claimDue(T0 + 7 * DAY_MS, 10, LEASE);
      assert.deepEqual(due, [{ userId: 'u1', leaseUntilMs: T0 + 7 * DAY_MS + LEASE }]);
    });

    it('leases a claimed check, offers it again when the lease ends, and forgets it once done', async () => {
      await store.record('u1', T0);
      const now = T0 + 8 * DAY_MS;
      const [check] = await store.claimDue(now, 10, LEASE);
      assert.ok(check);
      assert.deepEqual(await store.claimDue(now + LEASE - 1, 10, LEASE), []);
      const [again] = await store.claimDue(now + LEASE, 10, LEASE);
      assert.equal(again?.userId, 'u1');
      await store.complete(again ?? check);
      assert.deepEqual(await store.claimDue(now + 100 * LEASE, 10, LEASE), []);
    });

    it('keeps a check rescheduled by a session that came while it was claimed', async () => {
      await store.record('u1', T0);
      const now = T0 + 8 * DAY_MS;
      const [check] = await store.claimDue(now, 10, LEASE);
      assert.ok(check);
      await store.record('u1', now);
      await store.complete(check);
      assert.deepEqual(await store.claimDue(now + 6 * DAY_MS, 10, LEASE), []);
      assert.equal((await store.claimDue(now + 7 * DAY_MS, 10, LEASE)).length, 1);
    });

    it('remembers which lapse was answered', async () => {
      await store.record('u1', T0);
      await store.markReactivated('u1', T0);
      await store.markReactivated('u1', T0 - DAY_MS);
      assert.deepEqual(await store.get('u1'), { lastAtMs: T0, reactivatedForMs: T0 });
    });

    it('claims at most `limit` checks, the rest next time', async () => {
      for (let i = 0; i < 5; i++) await store.record(`u${i}`, T0 + i);
      const first = await store.claimDue(T0 + 8 * DAY_MS, 3, LEASE);
      const second = await store.claimDue(T0 + 8 * DAY_MS, 3, LEASE);
      assert.equal(first.length, 3);
      assert.equal(second.length, 2);
      const users = [...first, ...second].map((c) => c.userId).sort();
      assert.deepEqual(users, ['u0', 'u1', 'u2', 'u3', 'u4']);
    });
  });
}

describeSessionStoreContract('InMemorySessionStore', async () => ({
  store: new InMemorySessionStore(SETTINGS),
  dispose: async () => {},
}));

describeSessionStoreContract('RedisSessionStore', async () => {
  const { redis, prefix } = nextNotificationSessions();
  return {
    store: new RedisSessionStore(redis, new NotificationKeys(prefix), { ...SETTINGS, shards: 4 }),
    dispose: async () => {},
  };
});
