import assert from 'node:assert/strict';
import { commonv1, notificationv1, type eventsv1 } from '@feedmesh/contracts';
import { block, blogCreated, like, postCreated, postDeleted, T0 } from './test-fixtures/events.js';
import { FakeMesh, type FakePost } from './test-fixtures/fake-mesh.js';
import { openCore, type CoreHarness, type StoreKind } from './test-fixtures/harness.js';

const { NotificationType } = notificationv1;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

function session(userId: string, atMs: number): eventsv1.Event {
  return {
    eventId: `session-${userId}-${atMs}`,
    atMs,
    payload: { $case: 'sessionStarted', value: { userId } },
  };
}

/** Posts of three blogs: the fake ranker prefers higher values. */
const POSTS: FakePost[] = [
  { postId: 'missed-a', blogId: 'b-art', createdAtMs: T0 - DAY_MS, value: 0.9, sourceScore: 1 },
  { postId: 'missed-b', blogId: 'b-art', createdAtMs: T0 - DAY_MS, value: 0.8, sourceScore: 5 },
  { postId: 'missed-c', blogId: 'b-art', createdAtMs: T0 - DAY_MS, value: 0.7, sourceScore: 4 },
  { postId: 'missed-d', blogId: 'b-food', createdAtMs: T0 - DAY_MS, value: 0.2, sourceScore: 3 },
  { postId: 'missed-gone', blogId: 'b-food', createdAtMs: T0 - DAY_MS, value: 1, sourceScore: 9 },
  { postId: 'own-post', blogId: 'b-lapsed', createdAtMs: T0 - DAY_MS, value: 1, sourceScore: 9 },
  {
    postId: 'before-lapse',
    blogId: 'b-news',
    createdAtMs: T0 - 30 * DAY_MS,
    value: 0.95,
    sourceScore: 8,
  },
];

for (const kind of ['memory', 'redis'] as const satisfies readonly StoreKind[]) {
  describe(`reactivation (${kind} stores, mesh over gRPC)`, () => {
    let mesh: FakeMesh;
    let h: CoreHarness;

    before(async () => {
      mesh = await FakeMesh.start();
    });
    after(() => mesh.shutdown());

    beforeEach(async () => {
      mesh.down.candidates = mesh.down.features = mesh.down.ranker = false;
      mesh.candidates.clear();
      h = openCore(kind, {
        ...mesh.env,
        NOTIFICATION_LAPSE_MS: String(7 * DAY_MS),
        NOTIFICATION_MAX_LAPSE_MS: String(60 * DAY_MS),
        NOTIFICATION_REACTIVATION_POSTS: '3',
      });
      await h.apply(
        blogCreated('b-lapsed', 'u-lapsed', 'lapsedblog'),
        blogCreated('b-art', 'u-art', 'artblog'),
        blogCreated('b-food', 'u-food', 'foodblog'),
        ...POSTS.map((post) => postCreated(post.postId, post.blogId, post.createdAtMs)),
        postDeleted('missed-gone'),
      );
    });
    afterEach(() => h.dispose());

    async function inbox(userId: string): Promise<notificationv1.Notification[]> {
      return (await h.core.stores.inbox.page(userId, { pageSize: 100, unreadOnly: false }))
        .notifications;
    }

    /** Runs the job, then delivers what it queued. */
    async function runJob() {
      const report = await h.core.reactivationJob.runOnce();
      await h.core.flusher.flushDue();
      return report;
    }

    it('sends a lapsed user one digest of their best candidates, and an active user none', async () => {
      mesh.candidates.set('u-lapsed', POSTS);
      mesh.candidates.set('u-active', POSTS);
      await h.apply(
        session('u-lapsed', T0 - 10 * DAY_MS),
        session('u-lapsed', T0 - 12 * DAY_MS),
        session('u-active', T0 - 10 * DAY_MS),
        session('u-active', T0 - HOUR_MS),
      );
      const report = await runJob();
      assert.deepEqual(report, { caughtUp: true, checked: 1, queued: 1, skipped: 0, failed: 0 });

      const [digest, ...rest] = await inbox('u-lapsed');
      assert.deepEqual(rest, []);
      assert.deepEqual(
        [digest?.type, digest?.title, digest?.body],
        [
          NotificationType.NOTIFICATION_TYPE_REACTIVATION,
          "Here's what you missed",
          '3 posts picked for you, from artblog and foodblog',
        ],
      );
      // Ranked by the ranker; posts since the last session first; two per blog at most;
      // deleted and own posts left out.
      assert.deepEqual(digest?.postIds, ['missed-a', 'missed-b', 'missed-d']);
      assert.deepEqual(digest?.actorIds, ['b-art', 'b-food']);
      assert.deepEqual(await inbox('u-active'), []);
      assert.deepEqual(
        mesh.calls.generate.map((r) => [r.userId, r.surface]),
        [['u-lapsed', commonv1.Surface.SURFACE_NOTIFICATIONS]],
      );

      // Later runs send no second digest for the same lapse.
      for (let day = 1; day <= 3; day++) {
        h.clock.advance(DAY_MS);
        await runJob();
      }
      assert.equal((await inbox('u-lapsed')).length, 1);
      assert.deepEqual(await inbox('u-active'), []);

      const sent = [];
      for await (const event of h.runtime.eventLog.history()) {
        if (event.payload?.$case === 'notificationSent') sent.push(event.payload.value.type);
      }
      assert.deepEqual(sent, ['REACTIVATION']);
    });

    it('sends another digest only after the user came back and lapsed again', async () => {
      mesh.candidates.set('u-lapsed', POSTS);
      await h.apply(session('u-lapsed', T0 - 8 * DAY_MS));
      assert.equal((await runJob()).queued, 1);
      await h.apply(session('u-lapsed', T0 + HOUR_MS));
      h.clock.advance(6 * DAY_MS);
      assert.equal((await runJob()).checked, 0, 'back in the app: not lapsed yet');
      h.clock.advance(2 * DAY_MS);
      assert.equal((await runJob()).queued, 1);
      assert.equal((await inbox('u-lapsed')).length, 2);
    });

    it('sends a held digest only to users still lapsed when it is delivered', async () => {
      mesh.candidates.set('u-lapsed', POSTS);
      mesh.candidates.set('u-away', POSTS);
      // T0 is 08:00 UTC: both are in their quiet hours until 09:00.
      for (const userId of ['u-lapsed', 'u-away']) {
        await h.core.stores.preferences.set(userId, {
          types: [],
          timeZone: 'UTC',
          quietStartMinute: 7 * 60,
          quietEndMinute: 9 * 60,
        });
      }
      await h.apply(session('u-lapsed', T0 - 8 * DAY_MS), session('u-away', T0 - 8 * DAY_MS));
      assert.equal((await runJob()).queued, 2);
      assert.equal(await h.core.stores.digests.pendingCount(), 2, 'held by quiet hours');

      // u-lapsed comes back at 08:30; u-away does not.
      h.clock.advance(HOUR_MS / 2);
      await h.apply(session('u-lapsed', h.clock.now()));
      h.clock.advance(HOUR_MS / 2 + 60_000);
      const counts = await h.core.flusher.flushDue();
      assert.deepEqual([counts.delivered, counts.dropped], [1, 1]);
      assert.deepEqual(await inbox('u-lapsed'), []);
      assert.deepEqual(
        (await inbox('u-away')).map((n) => n.title),
        ["Here's what you missed"],
      );
    });

    it('leaves posts of blogs the user blocked out of what they missed, and out of trends', async () => {
      mesh.candidates.set('u-lapsed', POSTS);
      await h.apply(
        session('u-lapsed', T0 - 10 * DAY_MS),
        block('u-lapsed', 'b-art', T0 - 9 * DAY_MS),
      );
      await runJob();
      const [digest] = await inbox('u-lapsed');
      assert.deepEqual(
        [digest?.body, digest?.postIds, digest?.actorIds],
        ['1 post picked for you, from foodblog', ['missed-d'], ['b-food']],
      );

      await h.apply(
        ...[0, 1, 2].flatMap((i) => [
          postCreated(`cat-${i}`, 'b-art', T0 - DAY_MS, ['cats']),
          like('u-lapsed', `cat-${i}`, T0 - DAY_MS),
        ]),
        postCreated('hot-art', 'b-art', T0 - HOUR_MS, ['cats']),
        postCreated('hot-food', 'b-food', T0 - HOUR_MS, ['cats']),
      );
      mesh.trending = {
        tags: [{ tag: 'cats', score: 6, observed: 60, expected: 10 }],
        posts: [
          { postId: 'hot-art', blogId: 'b-art', score: 9, observed: 9, expected: 1 },
          { postId: 'hot-food', blogId: 'b-food', score: 7, observed: 9, expected: 1 },
        ],
      };
      assert.equal((await h.core.trendingJob.runOnce()).entries, 1);
      await h.core.flusher.flushDue();
      const [trend] = await inbox('u-lapsed');
      assert.deepEqual([trend?.title, trend?.postIds], ['#cats is trending', ['hot-food']]);
    });

    it('leaves users lapsed for longer than the limit alone', async () => {
      mesh.candidates.set('u-lapsed', POSTS);
      await h.apply(session('u-lapsed', T0 - 90 * DAY_MS));
      assert.deepEqual(await runJob(), {
        caughtUp: true,
        checked: 1,
        queued: 0,
        skipped: 1,
        failed: 0,
      });
      assert.deepEqual(await inbox('u-lapsed'), []);
    });

    it('orders by source rank when the ranker is down, and retries later when candidate generation is', async () => {
      mesh.candidates.set('u-lapsed', POSTS);
      await h.apply(session('u-lapsed', T0 - 10 * DAY_MS));
      mesh.down.candidates = true;
      assert.deepEqual(await runJob(), {
        caughtUp: true,
        checked: 1,
        queued: 0,
        skipped: 0,
        failed: 1,
      });
      assert.deepEqual(await inbox('u-lapsed'), []);

      mesh.down.candidates = false;
      mesh.down.ranker = true;
      assert.equal((await runJob()).checked, 0, 'the failed check is leased for a while');
      h.clock.advance(10 * 60_000);
      assert.equal((await runJob()).queued, 1);
      const [digest] = await inbox('u-lapsed');
      assert.deepEqual(digest?.postIds, ['missed-b', 'missed-c', 'missed-d']);
    });

    it('tells fans of a trending tag, once a day, with the trending posts of the tag', async () => {
      const tagged = (userId: string, tag: string, count: number) =>
        Array.from({ length: count }, (_, i) => [
          postCreated(`${tag}-${userId}-${i}`, 'b-art', T0 - DAY_MS, [tag]),
          like(userId, `${tag}-${userId}-${i}`, T0 - DAY_MS),
        ]).flat();
      await h.apply(
        ...tagged('u-cat-fan', 'cats', 3),
        ...tagged('u-dog-fan', 'dogs', 3),
        postCreated('hot-cat', 'b-food', T0 - HOUR_MS, ['Cats', 'pets']),
        postCreated('hot-other', 'b-food', T0 - HOUR_MS, ['news']),
      );
      mesh.trending = {
        tags: [
          { tag: 'cats', score: 6, observed: 60, expected: 10 },
          { tag: 'dogs', score: 1, observed: 12, expected: 10 },
        ],
        posts: [
          { postId: 'hot-other', blogId: 'b-food', score: 9, observed: 9, expected: 1 },
          { postId: 'hot-cat', blogId: 'b-food', score: 7, observed: 9, expected: 1 },
        ],
      };
      const report = await h.core.trendingJob.runOnce();
      assert.deepEqual(report, { leased: true, caughtUp: true, trendingTags: 1, entries: 1 });
      await h.core.flusher.flushDue();
      const [trend, ...rest] = await inbox('u-cat-fan');
      assert.deepEqual(rest, []);
      assert.deepEqual(
        [trend?.type, trend?.title, trend?.postIds],
        [NotificationType.NOTIFICATION_TYPE_TRENDING, '#cats is trending', ['hot-cat']],
      );
      assert.deepEqual(await inbox('u-dog-fan'), [], 'dogs are not surprising enough');

      h.clock.advance(HOUR_MS);
      assert.equal((await h.core.trendingJob.runOnce()).entries, 0);
      await h.core.flusher.flushDue();
      assert.equal((await inbox('u-cat-fan')).length, 1);
    });
  });
}
