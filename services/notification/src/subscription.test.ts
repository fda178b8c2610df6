import assert from 'node:assert/strict';
import { commonv1, notificationv1 } from '@feedmesh/contracts';
import { waitFor } from '@feedmesh/testing';
import { isAbortError } from 'abort-controller-x';
import { InMemoryInboxStore, type InboxStore } from './inbox-store.js';
import { InMemoryLiveFeed, type LiveFeed } from './live-feed.js';
import { RedisInboxStore } from './redis-inbox-store.js';
import { NotificationKeys } from './redis-keys.js';
import { RedisLiveFeed } from './redis-live-feed.js';
import { notificationStream } from './subscription.js';
import { T0 } from './test-fixtures/events.js';
import { silentLogger, type StoreKind } from './test-fixtures/harness.js';
import { sharedTestRedis } from './test-fixtures/shared-redis.js';

const nextRedis = sharedTestRedis('notification-subscribe');
const SETTINGS = { cap: 500, ttlMs: 60 * 60_000, dedupeMemoryMs: 60 * 60_000 };
const USER = 'u1';

interface Received {
  readonly id: string;
  readonly replayed: boolean;
}

for (const kind of ['memory', 'redis'] as const satisfies readonly StoreKind[]) {
  describe(`Subscribe streams (${kind})`, () => {
    let inbox: InboxStore;
    let live: LiveFeed;
    let dispose: () => Promise<void>;
    let counter = 0;
    const streams: AbortController[] = [];

    beforeEach(() => {
      if (kind === 'memory') {
        inbox = new InMemoryInboxStore(SETTINGS);
        live = new InMemoryLiveFeed();
        dispose = async () => {};
        return;
      }
      const { redis, prefix } = nextRedis();
      const keys = new NotificationKeys(prefix);
      inbox = new RedisInboxStore(redis, keys, SETTINGS);
      const feed = new RedisLiveFeed(redis, keys, silentLogger);
      live = feed;
      dispose = async () => {
        await feed.close();
      };
    });

    afterEach(async () => {
      for (const stream of streams.splice(0)) stream.abort();
      await waitFor('streams to stop listening', () => live.listenerCount() === 0);
      await dispose();
    });

    /** Delivers as InboxDelivery does: into the inbox, then a word on the feed. */
    async function deliver(userId = USER): Promise<string> {
      counter += 1;
      const result = await inbox.append(
        userId,
        {
          type: notificationv1.NotificationType.NOTIFICATION_TYPE_ACTIVITY,
          activityKind: commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE,
          title: `n${counter}`,
          body: '',
          postIds: [],
          actorIds: [],
          count: 1,
          createdAtMs: T0,
        },
        `key-${counter}`,
        Date.now(),
      );
      assert.equal(result.status, 'delivered');
      await live.publish(userId);
      return result.status === 'delivered' ? result.notification.notificationId : '';
    }

    /** Runs a stream in the background, collecting what it sends. */
    function subscribe(afterId: string, userId = USER) {
      const controller = new AbortController();
      streams.push(controller);
      const received: Received[] = [];
      const ended = (async () => {
        try {
          for await (const message of notificationStream(
            inbox,
            live,
            userId,
            afterId,
            controller.signal,
          )) {
            received.push({
              id: message.notification?.notificationId ?? '',
              replayed: message.replayed,
            });
          }
        } catch (error) {
          if (!isAbortError(error)) throw error;
        }
      })();
      return { received, ended, cancel: () => controller.abort() };
    }

    it('without an id, sends only what is delivered after it started', async () => {
      await deliver();
      const stream = subscribe('');
      await waitFor('the stream to listen', () => live.listenerCount() === 1);
      const later = [await deliver(), await deliver()];
      await waitFor('two live notifications', () => stream.received.length === 2);
      assert.deepEqual(
        stream.received,
        later.map((id) => ({ id, replayed: false })),
      );
    });

    it('replays what came after the id, then goes live, in order and each once, while deliveries race the replay', async () => {
      const before: string[] = [];
      for (let i = 0; i < 150; i++) before.push(await deliver());
      const stream = subscribe(before[9] ?? '');
      const racing: string[] = [];
      for (let i = 0; i < 50; i++) racing.push(await deliver());
      const expected = [...before.slice(10), ...racing];
      await waitFor(
        'every notification after the id',
        () => stream.received.length >= expected.length,
      );
      assert.deepEqual(
        stream.received.map((r) => r.id),
        expected,
      );
      assert.equal(stream.received[0]?.replayed, true);
      const firstLive = stream.received.findIndex((r) => !r.replayed);
      assert.ok(
        firstLive === -1 || stream.received.slice(firstLive).every((r) => !r.replayed),
        'replayed notifications all come before live ones',
      );
      const after = await deliver();
      await waitFor(
        'one more live notification',
        () => stream.received.length === expected.length + 1,
      );
      assert.deepEqual(stream.received[expected.length], { id: after, replayed: false });
    });

    it('a reconnecting subscriber misses nothing and gets nothing twice', async () => {
      const first = subscribe('');
      await waitFor('the stream to listen', () => live.listenerCount() === 1);
      const seen = [await deliver(), await deliver()];
      await waitFor('two notifications', () => first.received.length === 2);
      first.cancel();
      await first.ended;
      await waitFor('the stream to stop listening', () => live.listenerCount() === 0);

      const missed = [await deliver(), await deliver(), await deliver()];
      const lastSeen = first.received[first.received.length - 1]?.id ?? '';
      const second = subscribe(lastSeen);
      await waitFor('the missed notifications', () => second.received.length === 3);
      const live1 = await deliver();
      await waitFor('a live one after the replay', () => second.received.length === 4);

      assert.deepEqual(
        first.received.map((r) => r.id),
        seen,
      );
      assert.deepEqual(second.received, [
        ...missed.map((id) => ({ id, replayed: true })),
        { id: live1, replayed: false },
      ]);
    });

    it('serves many streams of many users at once, each only its own', async () => {
      const users = Array.from({ length: 20 }, (_, i) => `user-${i}`);
      const perUser = users.map(
        (userId) => [subscribe('', userId), subscribe('', userId)] as const,
      );
      await waitFor('every stream to listen', () => live.listenerCount() === 40);
      const delivered = new Map<string, string[]>();
      await Promise.all(
        users.map(async (userId) => {
          delivered.set(userId, [await deliver(userId), await deliver(userId)]);
        }),
      );
      await waitFor('two notifications on every stream', () =>
        perUser.every((pair) => pair.every((stream) => stream.received.length >= 2)),
      );
      users.forEach((userId, i) => {
        for (const stream of perUser[i] ?? []) {
          assert.deepEqual(
            stream.received.map((r) => r.id),
            delivered.get(userId),
          );
        }
      });
    });

    it('stops listening when its signal aborts', async () => {
      const stream = subscribe('');
      await waitFor('the stream to listen', () => live.listenerCount() === 1);
      stream.cancel();
      await stream.ended;
      assert.equal(live.listenerCount(), 0);
    });
  });
}
