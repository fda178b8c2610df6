import assert from 'node:assert/strict';
import { commonv1, notificationv1 } from '@feedmesh/contracts';
import { candidateOf } from './notification-candidate.js';
import {
  blogCreated,
  engagement,
  follow,
  like,
  postCreated,
  postDeleted,
  T0,
} from './test-fixtures/events.js';
import {
  OWNER,
  OWNER_BLOG,
  POST,
  openCore,
  WINDOW_MS,
  worldEvents,
  type CoreHarness,
  type StoreKind,
} from './test-fixtures/harness.js';

const { EngagementKind } = commonv1;
const { NotificationType } = notificationv1;

for (const kind of ['memory', 'redis'] as const satisfies readonly StoreKind[]) {
  describe(`notification pipeline (${kind} stores)`, () => {
    let h: CoreHarness;

    function open(overrides: Record<string, string> = {}): CoreHarness {
      h = openCore(kind, overrides);
      return h;
    }

    async function inbox(userId = OWNER): Promise<notificationv1.Notification[]> {
      return (await h.core.stores.inbox.page(userId, { pageSize: 100, unreadOnly: false }))
        .notifications;
    }

    /** Moves past the digest window and flushes what is due. */
    async function flushWindow() {
      h.clock.advance(WINDOW_MS);
      return h.core.flusher.flushDue();
    }

    afterEach(() => h.dispose());

    it('delivers a like on a user\'s post to that user\'s inbox as "alice liked your post"', async () => {
      open();
      await h.apply(...worldEvents(), like('u-alice', POST));
      const counts = await flushWindow();
      assert.equal(counts.delivered, 1);
      const [notification, ...rest] = await inbox();
      assert.deepEqual(rest, []);
      assert.ok(notification);
      assert.deepEqual(
        { ...notification, notificationId: '' },
        {
          notificationId: '',
          userId: OWNER,
          type: NotificationType.NOTIFICATION_TYPE_ACTIVITY,
          activityKind: EngagementKind.ENGAGEMENT_KIND_LIKE,
          title: 'alice liked your post',
          body: '',
          postIds: [POST],
          actorIds: ['u-alice'],
          count: 1,
          createdAtMs: T0 + WINDOW_MS,
          read: false,
        },
      );
      assert.deepEqual(await inbox('u-alice'), []);
    });

    it('tells nobody about a like on their own post', async () => {
      open();
      await h.apply(...worldEvents(), like(OWNER, POST));
      assert.deepEqual(await flushWindow(), {
        delivered: 0,
        duplicate: 0,
        dropped: 0,
        delayed: 0,
        failed: 0,
      });
      await h.apply(like(OWNER, POST, T0 + WINDOW_MS), like('u-bob', POST, T0 + WINDOW_MS));
      await flushWindow();
      const notifications = await inbox();
      assert.deepEqual(
        notifications.map((n) => [n.title, n.count, n.actorIds]),
        [['bob liked your post', 1, ['u-bob']]],
      );
    });

    it('digests three likes within the window into "3 people liked your post"', async () => {
      open();
      await h.apply(
        ...worldEvents(),
        like('u-alice', POST, T0),
        like('u-bob', POST, T0 + 10_000),
        like('u-carol', POST, T0 + 20_000),
      );
      assert.equal((await flushWindow()).delivered, 1);
      const notifications = await inbox();
      assert.deepEqual(
        notifications.map((n) => [n.title, n.body, n.count, n.actorIds]),
        [['3 people liked your post', 'carol, bob and alice', 3, ['u-carol', 'u-bob', 'u-alice']]],
      );
    });

    it('digests a burst of 1,000 likes on one post into one notification', async () => {
      open();
      const fans = Array.from({ length: 1_000 }, (_, i) => `fan-${i}`);
      await h.apply(...worldEvents(), ...fans.map((fan, i) => like(fan, POST, T0 + i)));
      assert.equal((await flushWindow()).delivered, 1);
      const [notification, ...rest] = await inbox();
      assert.deepEqual(rest, []);
      assert.equal(notification?.title, '1,000 people liked your post');
      assert.equal(notification?.count, 1_000);
      assert.equal(notification?.actorIds.length, 20);
      assert.equal(notification?.actorIds[0], 'fan-999');
    });

    it('makes separate notifications for likes in separate windows', async () => {
      open();
      await h.apply(...worldEvents(), like('u-alice', POST, T0));
      await flushWindow();
      await h.apply(like('u-bob', POST, T0 + WINDOW_MS + 1_000));
      await flushWindow();
      assert.deepEqual(
        (await inbox()).map((n) => n.title),
        ['bob liked your post', 'alice liked your post'],
      );
    });

    it('keeps likes, reblogs, replies and follows in their own notifications', async () => {
      open();
      await h.apply(
        ...worldEvents(),
        like('u-alice', POST),
        engagement(EngagementKind.ENGAGEMENT_KIND_REBLOG, 'u-alice', POST),
        engagement(EngagementKind.ENGAGEMENT_KIND_REPLY, 'u-bob', POST),
        engagement(EngagementKind.ENGAGEMENT_KIND_REPLY, 'u-carol', POST),
        follow('u-bob', OWNER_BLOG),
      );
      await flushWindow();
      const titles = (await inbox()).map((n) => n.title).sort();
      assert.deepEqual(titles, [
        '2 people replied to your post',
        'alice liked your post',
        'alice reblogged your post',
        'bob followed your blog',
      ]);
      const followed = (await inbox()).find((n) => n.title === 'bob followed your blog');
      assert.equal(followed?.activityKind, EngagementKind.ENGAGEMENT_KIND_UNSPECIFIED);
      assert.deepEqual(followed?.postIds, []);
    });

    it('ignores shares, clicks, hides and reports', async () => {
      open();
      await h.apply(
        ...worldEvents(),
        ...[
          EngagementKind.ENGAGEMENT_KIND_SHARE,
          EngagementKind.ENGAGEMENT_KIND_CLICK,
          EngagementKind.ENGAGEMENT_KIND_HIDE,
          EngagementKind.ENGAGEMENT_KIND_REPORT,
        ].map((k) => engagement(k, 'u-alice', POST)),
      );
      assert.equal(await h.core.stores.digests.pendingCount(), 0);
      assert.deepEqual(await inbox(), []);
    });

    it('does not deliver a type the user switched off, and delivers it again once back on', async () => {
      open();
      const off: notificationv1.Preferences = {
        types: [
          { type: NotificationType.NOTIFICATION_TYPE_ACTIVITY, enabled: false, channels: [] },
        ],
        timeZone: 'UTC',
        quietStartMinute: 0,
        quietEndMinute: 0,
      };
      await h.core.stores.preferences.set(OWNER, off);
      await h.apply(...worldEvents(), like('u-alice', POST));
      const counts = await flushWindow();
      assert.equal(counts.dropped, 1);
      assert.deepEqual(await inbox(), []);
      assert.equal(await h.core.stores.digests.pendingCount(), 0);

      await h.core.stores.preferences.set(OWNER, { ...off, types: [] });
      await h.apply(like('u-bob', POST, T0 + WINDOW_MS));
      await flushWindow();
      assert.deepEqual(
        (await inbox()).map((n) => n.title),
        ['bob liked your post'],
      );
    });

    it('holds a like that arrives before its post, and before its blog, until they are known', async () => {
      open();
      const early = like('u-alice', 'p-early');
      await h.apply(blogCreated('b-alice', 'u-alice', 'alice'), early);
      assert.equal(await h.core.stores.digests.pendingCount(), 0);
      await h.apply(postCreated('p-early', OWNER_BLOG));
      assert.equal(await h.core.stores.digests.pendingCount(), 0, 'waits for the blog now');
      await h.apply(blogCreated(OWNER_BLOG, OWNER, 'ownerblog'));
      await flushWindow();
      assert.deepEqual(
        (await inbox()).map((n) => [n.title, n.postIds]),
        [['alice liked your post', ['p-early']]],
      );
      assert.deepEqual(
        await h.core.stores.directory.parked({ kind: 'post', id: 'p-early' }, T0),
        [],
      );
    });

    it('never notifies an event twice, however often the log delivers it', async () => {
      open();
      const liked = like('u-alice', POST);
      await h.apply(...worldEvents(), liked, liked);
      await flushWindow();
      await h.apply(liked);
      await flushWindow();
      assert.deepEqual(
        (await inbox()).map((n) => [n.title, n.count]),
        [['alice liked your post', 1]],
      );
    });

    it('drops activity on a post deleted before its digest was due', async () => {
      open();
      await h.apply(...worldEvents(), like('u-alice', POST), postDeleted(POST));
      const counts = await flushWindow();
      assert.equal(counts.dropped, 1);
      await h.apply(like('u-bob', POST, T0 + WINDOW_MS));
      await flushWindow();
      assert.deepEqual(await inbox(), []);
    });

    it('ignores activity older than the age limit, as when a new group replays history', async () => {
      open({ NOTIFICATION_MAX_ACTIVITY_AGE_MS: String(60 * 60_000) });
      h.clock.advance(2 * 60 * 60_000);
      await h.apply(...worldEvents(), like('u-alice', POST, T0));
      assert.equal(await h.core.stores.digests.pendingCount(), 0);
      await h.apply(like('u-bob', POST, h.clock.nowMs));
      await flushWindow();
      assert.deepEqual(
        (await inbox()).map((n) => n.title),
        ['bob liked your post'],
      );
    });

    it('holds digests over the fatigue limit back, and later delivers them with what they gathered', async () => {
      open({ NOTIFICATION_FATIGUE: 'ACTIVITY=2/10m/0' });
      await h.apply(
        ...worldEvents(),
        postCreated('p2', OWNER_BLOG),
        postCreated('p3', OWNER_BLOG),
        like('u-alice', 'p1', T0),
        like('u-alice', 'p2', T0),
      );
      h.clock.advance(30_000);
      await h.apply(like('u-alice', 'p3', h.clock.nowMs));
      h.clock.nowMs = T0 + WINDOW_MS;
      const first = await h.core.flusher.flushDue();
      assert.deepEqual([first.delivered, first.delayed], [2, 0]);
      h.clock.advance(30_000);
      const second = await h.core.flusher.flushDue();
      assert.deepEqual([second.delivered, second.delayed], [0, 1]);
      assert.equal((await inbox()).length, 2);

      // While held, more activity on the same post joins the held digest.
      await h.apply(like('u-bob', 'p3', h.clock.nowMs), like('u-carol', 'p3', h.clock.nowMs));
      await flushWindow();
      assert.equal((await inbox()).length, 2, 'still within the fatigue window');
      assert.equal(await h.core.stores.digests.pendingCount(), 1);

      h.clock.nowMs = T0 + WINDOW_MS + 10 * WINDOW_MS;
      const later = await h.core.flusher.flushDue();
      assert.equal(later.delivered, 1);
      const [newest] = await inbox();
      assert.deepEqual(
        [newest?.title, newest?.postIds, newest?.count],
        ['3 people liked your post', ['p3'], 3],
      );
    });

    it('delivers a digest once when its flush is retried after a crash', async () => {
      open();
      await h.apply(...worldEvents(), like('u-alice', POST));
      h.clock.advance(WINDOW_MS);
      const [claimed] = await h.core.stores.digests.claimDue(h.clock.nowMs, 10, 30_000);
      assert.ok(claimed);
      const outcome = await h.core.pipeline.run(candidateOf(claimed), h.clock.nowMs);
      assert.equal(outcome.outcome, 'delivered');
      // The process dies before completing the digest; its lease ends; another flush runs.
      h.clock.advance(30_000);
      const counts = await h.core.flusher.flushDue();
      assert.deepEqual([counts.delivered, counts.dropped], [0, 1]);
      assert.equal((await inbox()).length, 1);
      assert.equal(await h.core.stores.digests.pendingCount(), 0);
    });

    it('logs a NotificationSent event for each delivered notification', async () => {
      open();
      await h.apply(...worldEvents(), like('u-alice', POST));
      await flushWindow();
      const [notification] = await inbox();
      const sent = [];
      for await (const event of h.runtime.eventLog.history()) {
        if (event.payload?.$case === 'notificationSent') sent.push(event.payload.value);
      }
      assert.deepEqual(sent, [
        {
          userId: OWNER,
          notificationId: notification?.notificationId,
          type: 'ACTIVITY',
          experiments: [],
        },
      ]);
    });
  });
}
