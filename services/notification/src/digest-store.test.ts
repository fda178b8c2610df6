import assert from 'node:assert/strict';
import { commonv1, notificationv1 } from '@feedmesh/contracts';
import { describeDigestStoreContract } from './digest-store.contract.js';
import { sharedTestRedis } from './test-fixtures/shared-redis.js';
import { InMemoryDigestStore } from './digest-store.js';
import { RedisDigestStore } from './redis-digest-store.js';
import { NotificationKeys } from './redis-keys.js';
import { T0 } from './test-fixtures/events.js';

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

describe('RedisDigestStore (Redis only)', () => {
  function openStore(shards: number) {
    const { redis, prefix } = nextNotificationDigests();
    const settings = { windowMs: 60_000, eventMemoryMs: 3_600_000, shards };
    return {
      redis,
      prefix,
      store: new RedisDigestStore(redis, new NotificationKeys(prefix), settings),
    };
  }

  it('gives every key it writes a time to live, sets a later entry creates included', async () => {
    const { redis, prefix, store } = openStore(4);
    const subject = {
      userId: 'owner',
      type: notificationv1.NotificationType.NOTIFICATION_TYPE_ACTIVITY,
      activityKind: commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE,
      postId: 'post-1',
      blogId: 'blog-1',
      topic: '',
    };
    // Opened by an entry naming no post: its posts set is created by the one joining it.
    await store.add({ subject, eventId: 'e1', actorIds: ['fan-1'], atMs: T0 }, T0);
    await store.addAll(
      [
        { subject, eventId: 'e2', actorIds: ['fan-2'], postIds: ['post-1'], atMs: T0 + 1 },
        ...['a', 'b', 'c', 'd', 'e'].map((fan) => ({
          subject: { ...subject, userId: fan },
          eventId: `e-${fan}`,
          actorIds: ['blog-1'],
          atMs: T0 + 2,
        })),
      ],
      T0 + 2,
    );
    const keys: string[] = [];
    for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 1000 })) {
      keys.push(...(batch as string[]));
    }
    assert.ok(
      keys.some((key) => key.endsWith(':posts')),
      'a posts set was written',
    );
    const ttls = await Promise.all(keys.map(async (key) => [key, await redis.pttl(key)] as const));
    // A shard's due index is the one key kept for good (it empties as digests complete).
    assert.deepEqual(
      ttls.filter(([key, ttl]) => ttl <= 0 && !key.endsWith(':due')),
      [],
    );
    const [digest] = await store.claimDue(T0 + 60_000, 10, 30_000, ['owner']);
    assert.equal(digest?.count, 2);
    assert.deepEqual(digest?.actorIds, ['fan-2', 'fan-1']);
    assert.deepEqual(digest?.postIds, ['post-1']);
  });

  it('answers a fan-out larger than one call per shard takes, each entry in its place', async () => {
    const { store } = openStore(2);
    const newPost = (userId: string) => ({
      subject: {
        userId,
        type: notificationv1.NotificationType.NOTIFICATION_TYPE_NEW_POST,
        activityKind: commonv1.EngagementKind.ENGAGEMENT_KIND_UNSPECIFIED,
        postId: '',
        blogId: '',
        topic: '',
      },
      eventId: `post-1|${userId}`,
      actorIds: ['blog-1'],
      postIds: ['post-1'],
      atMs: T0,
    });
    // About 225 fans a shard: several calls each.
    const fans = Array.from({ length: 450 }, (_, i) => `fan-${i}`);
    assert.ok((await store.addAll(fans.map(newPost), T0)).every((outcome) => outcome === 'added'));
    const again = await store.addAll([...fans, 'fan-new'].map(newPost), T0);
    assert.deepEqual(again, [...fans.map(() => 'duplicate'), 'added']);
    assert.equal(await store.pendingCount(), 451);
  });
});
