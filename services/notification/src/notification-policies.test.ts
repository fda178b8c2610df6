import assert from 'node:assert/strict';
import { commonv1, notificationv1, type eventsv1 } from '@feedmesh/contracts';
import { InMemoryModelRegistry, MODEL_FORMAT, type ModelDocument } from '@feedmesh/models';
import { createLogger } from '@feedmesh/telemetry';
import { TRACKED_POSTS } from './digest-store.js';
import { MAX_ASSIGNMENTS } from './experiment-store.js';
import { candidateOf } from './notification-candidate.js';
import { reactivationEntry } from './reactivation.job.js';
import {
  block,
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
  openCore,
  WINDOW_MS,
  worldEvents,
  type CoreHarness,
  type StoreKind,
} from './test-fixtures/harness.js';

const { NotificationType } = notificationv1;
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

for (const kind of ['memory', 'redis'] as const satisfies readonly StoreKind[]) {
  describe(`notification policies (${kind} stores)`, () => {
    let h: CoreHarness;

    function open(
      overrides: Record<string, string> = {},
      extra: Parameters<typeof openCore>[2] = {},
    ): CoreHarness {
      h = openCore(kind, overrides, extra);
      return h;
    }

    afterEach(() => h.dispose());

    async function inbox(userId = OWNER): Promise<notificationv1.Notification[]> {
      return (await h.core.stores.inbox.page(userId, { pageSize: 100, unreadOnly: false }))
        .notifications;
    }

    function preferences(p: Partial<notificationv1.Preferences>): notificationv1.Preferences {
      return { types: [], timeZone: 'UTC', quietStartMinute: 0, quietEndMinute: 0, ...p };
    }

    describe('fatigue and the daily budget', () => {
      it('hold under a burst of 1,000 likes, and every like is delivered in the end', async () => {
        open({ NOTIFICATION_FATIGUE: 'ACTIVITY=5/10m/0', NOTIFICATION_DAILY_BUDGET: '12' });
        const posts = Array.from({ length: 20 }, (_, i) => `burst-${i}`);
        await h.apply(
          ...worldEvents(),
          ...posts.map((postId) => postCreated(postId, OWNER_BLOG)),
          ...Array.from({ length: 1_000 }, (_, i) =>
            like(`fan-${i}`, posts[i % posts.length] ?? '', T0 + i),
          ),
        );
        const sent: { atMs: number; count: number }[] = [];
        const flushAt = async (atMs: number) => {
          h.clock.nowMs = atMs;
          const before = (await inbox()).length;
          const counts = await h.core.flusher.flushDue();
          const notifications = await inbox();
          for (const n of notifications.slice(0, notifications.length - before)) {
            sent.push({ atMs, count: n.count });
          }
          return counts;
        };

        // The burst's 20 digests are due together: fatigue lets 5 through per 10 minutes...
        const first = await flushAt(T0 + WINDOW_MS);
        assert.deepEqual([first.delivered, first.delayed], [5, 15]);
        assert.equal((await flushAt(T0 + WINDOW_MS + 5 * MINUTE_MS)).delivered, 0);
        assert.equal((await flushAt(T0 + WINDOW_MS + 10 * MINUTE_MS)).delivered, 5);
        // ...and the budget stops the day at 12.
        assert.equal((await flushAt(T0 + WINDOW_MS + 20 * MINUTE_MS)).delivered, 2);
        for (let step = 3; step < 12; step++) {
          assert.equal((await flushAt(T0 + WINDOW_MS + step * 10 * MINUTE_MS)).delivered, 0);
        }
        assert.equal(sent.length, 12);
        assert.equal(await h.core.stores.digests.pendingCount(), 8);

        // The next days deliver the rest, within the same limits: nothing was dropped.
        for (let day = 1; day <= 2; day++) {
          for (let step = 0; step < 3; step++) {
            await flushAt(T0 + WINDOW_MS + day * DAY_MS + step * 10 * MINUTE_MS);
          }
        }
        assert.equal(await h.core.stores.digests.pendingCount(), 0);
        assert.equal(sent.length, 20);
        assert.equal(
          sent.reduce((sum, s) => sum + s.count, 0),
          1_000,
        );
        for (const { atMs } of sent) {
          const inDay = sent.filter((s) => s.atMs > atMs - DAY_MS && s.atMs <= atMs).length;
          const inWindow = sent.filter((s) => s.atMs > atMs - 10 * MINUTE_MS && s.atMs <= atMs);
          assert.ok(inDay <= 12, `${inDay} sends in the day before ${atMs - T0}`);
          assert.ok(inWindow.length <= 5, `${inWindow.length} sends in 10 minutes`);
        }
      });

      it('keeps the minimum gap between two notifications of a type', async () => {
        open({ NOTIFICATION_FATIGUE: 'ACTIVITY=10/1h/5m', NOTIFICATION_DIGEST_WINDOW_MS: '0' });
        await h.apply(...worldEvents(), postCreated('p2', OWNER_BLOG));
        await h.apply(like('u-alice', 'p1'), like('u-bob', 'p2'));
        const first = await h.core.flusher.flushDue();
        assert.deepEqual([first.delivered, first.delayed], [1, 1]);
        h.clock.advance(5 * MINUTE_MS - 1);
        assert.equal((await h.core.flusher.flushDue()).delivered, 0);
        h.clock.advance(1);
        assert.equal((await h.core.flusher.flushDue()).delivered, 1);
      });

      it('counts every type against the daily budget, and a refusal spends no fatigue slot', async () => {
        open({ NOTIFICATION_DAILY_BUDGET: '1', NOTIFICATION_DIGEST_WINDOW_MS: '0' });
        await h.apply(...worldEvents(), postCreated('p2', OWNER_BLOG));
        await h.apply(like('u-alice', 'p1'), like('u-bob', 'p2'));
        const counts = await h.core.flusher.flushDue();
        assert.deepEqual([counts.delivered, counts.delayed], [1, 1]);
        // A day later the held one goes out: its earlier refusal did not use an ACTIVITY slot.
        h.clock.advance(DAY_MS);
        assert.equal((await h.core.flusher.flushDue()).delivered, 1);
      });

      /** The inbox refuses appends until the returned function is called. */
      function failInboxAppends(): () => void {
        const inboxStore = h.core.stores.inbox;
        const append = inboxStore.append;
        inboxStore.append = async () => {
          throw new Error('inbox unavailable');
        };
        return () => {
          inboxStore.append = append;
        };
      }

      it('spend no slot on a delivery that failed: its retry is sent, and counted once', async () => {
        open({ NOTIFICATION_FATIGUE: 'ACTIVITY=1/1h/0', NOTIFICATION_DIGEST_WINDOW_MS: '0' });
        await h.apply(...worldEvents(), postCreated('p2', OWNER_BLOG));
        await h.apply(like('u-alice', 'p1'));
        const restore = failInboxAppends();
        assert.equal((await h.core.flusher.flushDue()).failed, 1);
        restore();
        // Its lease ends and the flush is retried: the failed attempt holds no ACTIVITY slot...
        h.clock.advance(30_000);
        assert.equal((await h.core.flusher.flushDue()).delivered, 1);
        assert.equal((await inbox()).length, 1);
        // ...and the delivered one holds exactly one: the next like waits for the hour.
        await h.apply(like('u-bob', 'p2'));
        const held = await h.core.flusher.flushDue();
        assert.deepEqual([held.delivered, held.delayed], [0, 1]);
      });

      it('keep the slot of a delivery that reached the inbox although its reply was lost', async () => {
        open({ NOTIFICATION_FATIGUE: 'ACTIVITY=1/1h/0', NOTIFICATION_DIGEST_WINDOW_MS: '0' });
        await h.apply(...worldEvents(), postCreated('p2', OWNER_BLOG));
        await h.apply(like('u-alice', 'p1'));
        const inboxStore = h.core.stores.inbox;
        const append = inboxStore.append;
        inboxStore.append = async (...args) => {
          await append.apply(inboxStore, args);
          throw new Error('connection reset');
        };
        assert.equal((await h.core.flusher.flushDue()).failed, 1);
        inboxStore.append = append;
        h.clock.advance(30_000);
        // The retry finds it delivered; the hour's one ACTIVITY slot stays spent on it.
        assert.equal((await h.core.flusher.flushDue()).dropped, 1);
        await h.apply(like('u-bob', 'p2', h.clock.nowMs));
        assert.deepEqual((await h.core.flusher.flushDue()).delayed, 1);
        assert.equal((await inbox()).length, 1);
      });

      it('leave the budget untouched by a notification that failed and was then dropped', async () => {
        open({ NOTIFICATION_DAILY_BUDGET: '1', NOTIFICATION_DIGEST_WINDOW_MS: '0' });
        await h.apply(...worldEvents(), postCreated('p2', OWNER_BLOG));
        await h.apply(like('u-alice', 'p1'));
        const restore = failInboxAppends();
        assert.equal((await h.core.flusher.flushDue()).failed, 1);
        restore();
        // The post is deleted before the retry: the like is never delivered...
        await h.apply(postDeleted('p1', T0 + 1_000));
        h.clock.advance(30_000);
        assert.equal((await h.core.flusher.flushDue()).dropped, 1);
        // ...so the day's one notification is still there to send.
        await h.apply(like('u-bob', 'p2', h.clock.nowMs));
        assert.equal((await h.core.flusher.flushDue()).delivered, 1);
        assert.deepEqual(
          (await inbox()).map((n) => n.title),
          ['bob liked your post'],
        );
      });
    });

    describe('quiet hours', () => {
      // T0 is 2027-01-15 08:00 UTC: 03:00 in New York.
      const nightInNewYork = preferences({
        timeZone: 'America/New_York',
        quietStartMinute: 22 * 60,
        quietEndMinute: 7 * 60,
      });

      it("delay a notification to the end of the quiet hours in the user's zone, then deliver it with what it gathered", async () => {
        open();
        await h.core.stores.preferences.set(OWNER, nightInNewYork);
        await h.apply(...worldEvents(), like('u-alice', 'p1', T0));
        h.clock.advance(WINDOW_MS);
        const held = await h.core.flusher.flushDue();
        assert.deepEqual([held.delivered, held.delayed], [0, 1]);
        await h.apply(like('u-bob', 'p1', T0 + HOUR_MS), like('u-carol', 'p1', T0 + 2 * HOUR_MS));
        // 07:00 in New York is 12:00 UTC, four hours after T0.
        h.clock.nowMs = T0 + 4 * HOUR_MS - 1;
        assert.equal((await h.core.flusher.flushDue()).delivered, 0);
        assert.deepEqual(await inbox(), []);
        h.clock.nowMs = T0 + 4 * HOUR_MS;
        assert.equal((await h.core.flusher.flushDue()).delivered, 1);
        const [morning] = await inbox();
        assert.deepEqual([morning?.title, morning?.count], ['3 people liked your post', 3]);
        assert.equal(morning?.createdAtMs, T0 + 4 * HOUR_MS);
      });

      it('leave users without quiet hours, or outside them, alone', async () => {
        open({ NOTIFICATION_DIGEST_WINDOW_MS: '0' });
        await h.core.stores.preferences.set(
          OWNER,
          preferences({
            timeZone: 'Asia/Tokyo',
            quietStartMinute: 22 * 60,
            quietEndMinute: 7 * 60,
          }),
        );
        // 08:00 UTC is 17:00 in Tokyo.
        await h.apply(...worldEvents(), like('u-alice', 'p1'));
        assert.equal((await h.core.flusher.flushDue()).delivered, 1);
      });
    });

    describe('new posts of the blogs a user engages with most', () => {
      const fanEvents = (): eventsv1.Event[] => [
        ...worldEvents(),
        blogCreated('b-quiet', 'u-quiet', 'quietblog'),
        postCreated('old-1', OWNER_BLOG, T0 - DAY_MS),
        postCreated('q-1', 'b-quiet', T0 - DAY_MS),
        // alice: the owner's blog is her favourite (a reblog, a like, a follow).
        engagement(commonv1.EngagementKind.ENGAGEMENT_KIND_REBLOG, 'u-alice', 'old-1', T0 - DAY_MS),
        like('u-alice', 'old-1', T0 - DAY_MS),
        follow('u-alice', OWNER_BLOG, T0 - DAY_MS),
        // bob likes the owner's blog once, but six other blogs more.
        like('u-bob', 'old-1', T0 - 2 * DAY_MS),
        ...Array.from({ length: 6 }, (_, i) => [
          blogCreated(`b-fav-${i}`, `u-fav-${i}`, `fav${i}`),
          postCreated(`fav-${i}`, `b-fav-${i}`, T0 - DAY_MS),
          engagement(
            commonv1.EngagementKind.ENGAGEMENT_KIND_REBLOG,
            'u-bob',
            `fav-${i}`,
            T0 - DAY_MS,
          ),
        ]).flat(),
      ];

      it('tells a user whose favourite blog posted, digested across posts, and not a user who cares more for others', async () => {
        open({ NOTIFICATION_NEW_POST_WINDOW_MS: String(10 * MINUTE_MS) });
        await h.apply(
          ...fanEvents(),
          postCreated('new-1', OWNER_BLOG, T0),
          postCreated('new-2', OWNER_BLOG, T0 + MINUTE_MS),
          // A reblog is not news from the blog.
          {
            ...postCreated('new-reblog', OWNER_BLOG, T0 + MINUTE_MS),
            payload: {
              $case: 'postCreated',
              value: {
                postId: 'new-reblog',
                blogId: OWNER_BLOG,
                text: '',
                tags: [],
                mediaKind: commonv1.MediaKind.MEDIA_KIND_TEXT,
                reblogOf: 'q-1',
              },
            },
          },
        );
        h.clock.advance(10 * MINUTE_MS);
        await h.core.flusher.flushDue();
        const [news, ...rest] = await inbox('u-alice');
        assert.deepEqual(rest, []);
        assert.deepEqual(
          [news?.type, news?.title, news?.body, news?.postIds, news?.actorIds, news?.count],
          [
            NotificationType.NOTIFICATION_TYPE_NEW_POST,
            'New from ownerblog',
            '2 new posts',
            ['new-2', 'new-1'],
            [OWNER_BLOG],
            2,
          ],
        );
        assert.deepEqual(await inbox('u-bob'), [], 'six blogs matter more to bob');
        assert.deepEqual(await inbox(OWNER), [], 'nobody hears of their own post');
      });

      it('sends nothing for a type switched off, nor for posts deleted before the digest was due', async () => {
        open();
        await h.core.stores.preferences.set(
          'u-alice',
          preferences({
            types: [
              { type: NotificationType.NOTIFICATION_TYPE_NEW_POST, enabled: false, channels: [] },
            ],
          }),
        );
        await h.apply(...fanEvents(), postCreated('new-1', OWNER_BLOG, T0));
        await h.apply(
          follow('u-carol', OWNER_BLOG, T0 - DAY_MS),
          postCreated('new-2', OWNER_BLOG, T0),
        );
        await h.apply(postDeleted('new-2', T0));
        h.clock.advance(20 * MINUTE_MS);
        const counts = await h.core.flusher.flushDue();
        assert.equal(counts.delivered, 0);
        assert.deepEqual(await inbox('u-alice'), []);
        assert.deepEqual(await inbox('u-carol'), []);
      });
    });

    describe('blocks', () => {
      it("sends nothing more from a blog the user blocked: not its pending new posts, not its owner's likes", async () => {
        open();
        await h.apply(
          ...worldEvents(),
          blogCreated('b-fan', 'u-fan', 'fanblog'),
          postCreated('fan-1', 'b-fan', T0 - DAY_MS),
          postCreated('fan-2', 'b-fan', T0 - DAY_MS),
          follow('u-fan', 'b-alice', T0 - DAY_MS),
        );
        await h.apply(postCreated('alice-new', 'b-alice', T0));
        assert.equal(await h.core.stores.digests.pendingCount(), 1, "alice's post for u-fan");
        await h.apply(
          block('u-fan', 'b-alice', T0),
          like('u-alice', 'fan-1', T0),
          like('u-alice', 'fan-2', T0),
          like('u-bob', 'fan-2', T0),
        );
        h.clock.advance(20 * MINUTE_MS);
        const counts = await h.core.flusher.flushDue();
        assert.deepEqual([counts.delivered, counts.dropped], [1, 2]);
        assert.deepEqual(
          (await inbox('u-fan')).map((n) => [n.type, n.title, n.actorIds, n.count]),
          [[NotificationType.NOTIFICATION_TYPE_ACTIVITY, 'bob liked your post', ['u-bob'], 1]],
        );
      });

      it("leaves a blocked blog's posts out of a digest that has others', the later of Block and Unblock deciding", async () => {
        open();
        await h.apply(
          ...worldEvents(),
          ...['u-fan', 'u-other'].flatMap((fan) => [
            follow(fan, 'b-alice', T0 - DAY_MS),
            follow(fan, 'b-bob', T0 - DAY_MS),
          ]),
        );
        await h.apply(
          postCreated('alice-1', 'b-alice', T0),
          postCreated('bob-1', 'b-bob', T0 + 1),
          postCreated('alice-2', 'b-alice', T0 + 2),
          // u-fan blocked alice; an older unblock arrives late and changes nothing...
          block('u-fan', 'b-alice', T0 + 20),
          block('u-fan', 'b-alice', T0 + 10, false),
          // ...while u-other unblocked her again; the older block arrives late.
          block('u-other', 'b-alice', T0 + 20, false),
          block('u-other', 'b-alice', T0 + 10),
        );
        h.clock.advance(15 * MINUTE_MS);
        assert.equal((await h.core.flusher.flushDue()).delivered, 2);
        const words = async (userId: string) =>
          (await inbox(userId)).map((n) => [n.title, n.body, n.postIds, n.actorIds, n.count]);
        assert.deepEqual(await words('u-fan'), [
          ['New from bob', '1 new post', ['bob-1'], ['b-bob'], 1],
        ]);
        assert.deepEqual(await words('u-other'), [
          [
            'New from alice and bob',
            '3 new posts',
            ['alice-2', 'bob-1', 'alice-1'],
            ['b-alice', 'b-bob'],
            3,
          ],
        ]);
      });

      it("counts the replies of the actors left, not one per blocked actor: a blocked user's three replies leave bob's one", async () => {
        open();
        const reply = (userId: string, atMs: number) =>
          engagement(commonv1.EngagementKind.ENGAGEMENT_KIND_REPLY, userId, 'p1', atMs);
        await h.apply(
          ...worldEvents(),
          block(OWNER, 'b-alice', T0 - DAY_MS),
          reply('u-alice', T0),
          reply('u-alice', T0 + 1),
          reply('u-alice', T0 + 2),
          reply('u-bob', T0 + 3),
        );
        h.clock.advance(WINDOW_MS);
        assert.equal((await h.core.flusher.flushDue()).delivered, 1);
        assert.deepEqual(
          (await inbox()).map((n) => [n.title, n.body, n.actorIds, n.count]),
          [['bob replied to your post', '', ['u-bob'], 1]],
        );
      });

      it('leaves a blocked liker out of the count when it is not among the 20 actors a digest lists', async () => {
        open();
        const fans = Array.from({ length: 20 }, (_, i) => `u-fan-${i}`);
        await h.apply(
          ...worldEvents(),
          block(OWNER, 'b-alice', T0 - DAY_MS),
          like('u-alice', 'p1', T0),
          ...fans.map((fan, i) => like(fan, 'p1', T0 + 1 + i)),
        );
        h.clock.advance(WINDOW_MS);
        assert.equal((await h.core.flusher.flushDue()).delivered, 1);
        const [notification] = await inbox();
        assert.deepEqual(
          [notification?.title, notification?.count, notification?.actorIds.includes('u-alice')],
          ['20 people liked your post', 20, false],
        );
      });

      it('leaves every post of a blocked blog out of "N new posts", not only those among the 20 it links to', async () => {
        open();
        await h.apply(
          ...worldEvents(),
          follow('u-fan', 'b-alice', T0 - DAY_MS),
          follow('u-fan', 'b-bob', T0 - DAY_MS),
        );
        // Five of alice's posts, then twenty of bob's: the digest links to bob's twenty. Then
        // u-fan blocks alice, with her posts pending.
        await h.apply(
          ...Array.from({ length: 5 }, (_, i) => postCreated(`alice-${i}`, 'b-alice', T0 + i)),
          ...Array.from({ length: 20 }, (_, i) => postCreated(`bob-${i}`, 'b-bob', T0 + 10 + i)),
          block('u-fan', 'b-alice', T0 + 100),
        );
        h.clock.advance(15 * MINUTE_MS);
        assert.equal((await h.core.flusher.flushDue()).delivered, 1);
        const [notification] = await inbox('u-fan');
        assert.deepEqual(
          [notification?.title, notification?.body, notification?.count, notification?.actorIds],
          ['New from bob', '20 new posts', 20, ['b-bob']],
        );
      });

      it('keeps a new-post digest whose 20 linked posts are all blocked when older posts of others remain: the count, no links', async () => {
        open();
        await h.apply(
          ...worldEvents(),
          follow('u-fan', 'b-alice', T0 - DAY_MS),
          follow('u-fan', 'b-bob', T0 - DAY_MS),
        );
        // Five of bob's posts, then twenty of alice's: the digest keeps (and links to) only
        // alice's twenty. Then u-fan blocks alice, with her posts pending.
        await h.apply(
          ...Array.from({ length: 5 }, (_, i) => postCreated(`bob-${i}`, 'b-bob', T0 + i)),
          ...Array.from({ length: 20 }, (_, i) =>
            postCreated(`alice-${i}`, 'b-alice', T0 + 10 + i),
          ),
          block('u-fan', 'b-alice', T0 + 100),
        );
        h.clock.advance(15 * MINUTE_MS);
        const counts = await h.core.flusher.flushDue();
        assert.deepEqual([counts.delivered, counts.dropped], [1, 0]);
        const [notification, ...rest] = await inbox('u-fan');
        assert.deepEqual(rest, []);
        assert.deepEqual(
          [
            notification?.title,
            notification?.body,
            notification?.count,
            notification?.actorIds,
            notification?.postIds,
          ],
          ['New from bob', '5 new posts', 5, ['b-bob'], []],
        );
      });
    });

    describe('deleted posts', () => {
      async function fanOfAliceAndBob(): Promise<void> {
        await h.apply(
          ...worldEvents(),
          follow('u-fan', 'b-alice', T0 - DAY_MS),
          follow('u-fan', 'b-bob', T0 - DAY_MS),
        );
      }

      it('keeps a new-post digest whose 20 linked posts were all deleted when older posts remain: their count and blog, no links', async () => {
        open();
        await fanOfAliceAndBob();
        // Five of bob's posts, then twenty of alice's: the digest links to alice's twenty only.
        // Alice deletes them all before it is due; bob's five are still news.
        await h.apply(
          ...Array.from({ length: 5 }, (_, i) => postCreated(`bob-${i}`, 'b-bob', T0 + i)),
          ...Array.from({ length: 20 }, (_, i) =>
            postCreated(`alice-${i}`, 'b-alice', T0 + 10 + i),
          ),
        );
        await h.apply(...Array.from({ length: 20 }, (_, i) => postDeleted(`alice-${i}`, T0 + 100)));
        h.clock.advance(15 * MINUTE_MS);
        const counts = await h.core.flusher.flushDue();
        assert.deepEqual([counts.delivered, counts.dropped], [1, 0]);
        const [notification, ...rest] = await inbox('u-fan');
        assert.deepEqual(rest, []);
        assert.deepEqual(
          [
            notification?.title,
            notification?.body,
            notification?.count,
            notification?.actorIds,
            notification?.postIds,
          ],
          ['New from bob', '5 new posts', 5, ['b-bob'], []],
        );
      });

      /** The one notification u-fan has: its title, body, count, blogs and links. */
      async function fanReads(): Promise<unknown[]> {
        const [notification, ...rest] = await inbox('u-fan');
        assert.deepEqual(rest, []);
        return [
          notification?.title,
          notification?.body,
          notification?.count,
          notification?.actorIds,
          notification?.postIds,
        ];
      }

      const posts = (blog: string, n: number, fromMs: number): eventsv1.Event[] =>
        Array.from({ length: n }, (_, i) => postCreated(`${blog}-${i}`, `b-${blog}`, fromMs + i));
      const newestFirst = (blog: string, ids: readonly number[]): string[] =>
        [...ids].reverse().map((i) => `${blog}-${i}`);
      const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

      it("a NEW_POST from two blogs whose one blog's posts were all deleted names only the other", async () => {
        open();
        await fanOfAliceAndBob();
        await h.apply(...posts('alice', 2, T0), ...posts('bob', 3, T0 + 10));
        await h.apply(postDeleted('alice-0', T0 + 100), postDeleted('alice-1', T0 + 100));
        h.clock.advance(15 * MINUTE_MS);
        assert.equal((await h.core.flusher.flushDue()).delivered, 1);
        assert.deepEqual(await fanReads(), [
          'New from bob',
          '3 new posts',
          3,
          ['b-bob'],
          newestFirst('bob', upTo(3)),
        ]);
      });

      it('names no blog whose posts were all deleted, even among the older posts it does not link to', async () => {
        open();
        await fanOfAliceAndBob();
        // Five of bob's posts, then twenty of alice's: bob's are counted but not linked.
        await h.apply(...posts('bob', 5, T0), ...posts('alice', 20, T0 + 10));
        await h.apply(...upTo(5).map((i) => postDeleted(`bob-${i}`, T0 + 100)));
        h.clock.advance(15 * MINUTE_MS);
        assert.equal((await h.core.flusher.flushDue()).delivered, 1);
        assert.deepEqual(await fanReads(), [
          'New from alice',
          '20 new posts',
          20,
          ['b-alice'],
          newestFirst('alice', upTo(20)),
        ]);
      });

      it('counts no deleted post, linked or not', async () => {
        open();
        await fanOfAliceAndBob();
        await h.apply(...posts('bob', 5, T0), ...posts('alice', 20, T0 + 10));
        // Two of bob's (not linked) and three of alice's (linked) are deleted.
        await h.apply(
          ...['bob-0', 'bob-3', 'alice-3', 'alice-7', 'alice-19'].map((postId) =>
            postDeleted(postId, T0 + 100),
          ),
        );
        h.clock.advance(15 * MINUTE_MS);
        assert.equal((await h.core.flusher.flushDue()).delivered, 1);
        assert.deepEqual(await fanReads(), [
          'New from alice and bob',
          '20 new posts',
          20,
          ['b-alice', 'b-bob'],
          newestFirst(
            'alice',
            upTo(20).filter((i) => ![3, 7, 19].includes(i)),
          ),
        ]);
      });

      it('drops a NEW_POST whose every post was deleted, linked or not', async () => {
        open();
        await fanOfAliceAndBob();
        await h.apply(...posts('bob', 5, T0), ...posts('alice', 20, T0 + 10));
        await h.apply(
          ...upTo(5).map((i) => postDeleted(`bob-${i}`, T0 + 100)),
          ...upTo(20).map((i) => postDeleted(`alice-${i}`, T0 + 100)),
        );
        h.clock.advance(15 * MINUTE_MS);
        const [digest] = await h.core.stores.digests.claimDue(h.clock.nowMs, 10, 30_000);
        assert.ok(digest);
        assert.deepEqual(await h.core.pipeline.run(candidateOf(digest), h.clock.nowMs), {
          outcome: 'dropped',
          policy: 'deleted-post',
          reason: 'post-deleted',
        });
        assert.deepEqual(await inbox('u-fan'), []);
      });

      it(`counts the posts beyond the ${TRACKED_POSTS} most recent it tracks as live, deleted or not`, async () => {
        open();
        await fanOfAliceAndBob();
        // bob's five come before alice's 500: the digest no longer knows them.
        await h.apply(...posts('bob', 5, T0), ...posts('alice', TRACKED_POSTS, T0 + 10));
        await h.apply(
          ...upTo(5).map((i) => postDeleted(`bob-${i}`, T0 + 1_000)),
          postDeleted('alice-0', T0 + 1_000),
        );
        h.clock.advance(15 * MINUTE_MS);
        assert.equal((await h.core.flusher.flushDue()).delivered, 1);
        const [title, body] = await fanReads();
        assert.deepEqual(
          [title, body],
          ['New from alice and bob', `${(TRACKED_POSTS + 4).toLocaleString('en-US')} new posts`],
        );
      });

      it("counts a blocked blog's deleted posts out once, not once for the block and again for the deletion", async () => {
        open();
        await fanOfAliceAndBob();
        await h.apply(...posts('alice', 5, T0), ...posts('bob', 20, T0 + 10));
        await h.apply(
          postDeleted('alice-1', T0 + 100),
          postDeleted('alice-2', T0 + 100),
          postDeleted('bob-0', T0 + 100),
          block('u-fan', 'b-alice', T0 + 100),
        );
        h.clock.advance(15 * MINUTE_MS);
        assert.equal((await h.core.flusher.flushDue()).delivered, 1);
        assert.deepEqual(await fanReads(), [
          'New from bob',
          '19 new posts',
          19,
          ['b-bob'],
          newestFirst('bob', upTo(20).slice(1)),
        ]);
      });

      it('drops a new-post digest once its deleted and blocked posts leave nothing: never "0 new posts"', async () => {
        open();
        await fanOfAliceAndBob();
        // bob's one post is deleted and alice's two are blocked: nothing is left to tell of.
        await h.apply(
          postCreated('bob-1', 'b-bob', T0),
          postCreated('alice-1', 'b-alice', T0 + 1),
          postCreated('alice-2', 'b-alice', T0 + 2),
          postDeleted('bob-1', T0 + 10),
          block('u-fan', 'b-alice', T0 + 20),
        );
        h.clock.advance(15 * MINUTE_MS);
        const [digest] = await h.core.stores.digests.claimDue(h.clock.nowMs, 10, 30_000);
        assert.ok(digest);
        const outcome = await h.core.pipeline.run(candidateOf(digest), h.clock.nowMs);
        assert.deepEqual(outcome, {
          outcome: 'dropped',
          policy: 'deleted-post',
          reason: 'nothing-left',
        });
        assert.deepEqual(await inbox('u-fan'), []);
      });
    });

    describe('"what you missed" (REACTIVATION)', () => {
      const LAPSED = 'u-lapsed';
      const LAST_SESSION_MS = T0 - 10 * DAY_MS;

      /** A reactivation digest of alice's two posts, bob's and carol's, as the job queues it. */
      async function picked(): Promise<void> {
        await h.apply(
          ...worldEvents(),
          postCreated('alice-1', 'b-alice', T0 - DAY_MS),
          postCreated('alice-2', 'b-alice', T0 - DAY_MS),
          postCreated('bob-1', 'b-bob', T0 - DAY_MS),
          postCreated('carol-1', 'b-carol', T0 - DAY_MS),
        );
        const entry = reactivationEntry(
          LAPSED,
          LAST_SESSION_MS,
          ['alice-1', 'bob-1', 'alice-2', 'carol-1'],
          ['b-alice', 'b-bob', 'b-carol'],
          h.clock.nowMs,
        );
        assert.equal(await h.core.stores.digests.add(entry, h.clock.nowMs), 'added');
      }

      async function lapsedReads(): Promise<unknown[]> {
        const [notification, ...rest] = await inbox(LAPSED);
        assert.deepEqual(rest, []);
        return [notification?.body, notification?.actorIds, notification?.postIds];
      }

      it('names no blog whose picked posts were all deleted by the time it is delivered', async () => {
        open();
        await picked();
        await h.apply(postDeleted('alice-1', T0), postDeleted('alice-2', T0));
        assert.equal((await h.core.flusher.flushDue()).delivered, 1);
        assert.deepEqual(await lapsedReads(), [
          '2 posts picked for you, from bob and carol',
          ['b-bob', 'b-carol'],
          ['bob-1', 'carol-1'],
        ]);
      });

      it('still names a blog one of whose picked posts is left', async () => {
        open();
        await picked();
        await h.apply(postDeleted('alice-1', T0), postDeleted('bob-1', T0));
        assert.equal((await h.core.flusher.flushDue()).delivered, 1);
        assert.deepEqual(await lapsedReads(), [
          '2 posts picked for you, from alice and carol',
          ['b-alice', 'b-carol'],
          ['alice-2', 'carol-1'],
        ]);
      });

      it('names only the blogs with a live post not blocked: one all deleted, one blocked', async () => {
        open();
        await picked();
        await h.apply(
          postDeleted('alice-1', T0),
          postDeleted('alice-2', T0),
          block(LAPSED, 'b-carol', T0),
        );
        assert.equal((await h.core.flusher.flushDue()).delivered, 1);
        assert.deepEqual(await lapsedReads(), [
          '1 post picked for you, from bob',
          ['b-bob'],
          ['bob-1'],
        ]);
      });

      it('is dropped once its deleted and blocked posts leave no blog to name', async () => {
        open();
        await picked();
        await h.apply(
          postDeleted('alice-1', T0),
          postDeleted('alice-2', T0),
          postDeleted('carol-1', T0),
          block(LAPSED, 'b-bob', T0),
        );
        const [digest] = await h.core.stores.digests.claimDue(h.clock.nowMs, 10, 30_000);
        assert.ok(digest);
        assert.deepEqual(await h.core.pipeline.run(candidateOf(digest), h.clock.nowMs), {
          outcome: 'dropped',
          policy: 'deleted-post',
          reason: 'nothing-left',
        });
        assert.deepEqual(await inbox(LAPSED), []);
      });
    });

    describe('opens and the open-probability threshold', () => {
      it('marks an opened notification read and drops a type the user never opens', async () => {
        open({
          NOTIFICATION_DIGEST_WINDOW_MS: '0',
          NOTIFICATION_FATIGUE: 'ACTIVITY=1000/1h/0',
          NOTIFICATION_DAILY_BUDGET: '1000',
          NOTIFICATION_OPEN_THRESHOLDS: 'ACTIVITY=0.2',
        });
        await h.apply(...worldEvents());
        await h.apply(like('u-alice', 'p1'));
        await h.core.flusher.flushDue();
        const [first] = await inbox();
        assert.ok(first);
        await h.apply(opened(OWNER, first.notificationId), opened(OWNER, first.notificationId));
        assert.deepEqual(
          [(await inbox())[0]?.read, await h.core.stores.openStats.stats(OWNER, 1)],
          [true, { sent: 1, opened: 1 }],
        );
        // Then 30 more, never opened: the smoothed open rate sinks below 0.2.
        for (let i = 0; i < 30; i++) {
          await h.apply(like(`ignored-${i}`, 'p1', T0 + i + 1));
          await h.core.flusher.flushDue();
        }
        const sent = (await inbox()).length;
        assert.ok(sent < 31, `${sent} sent`);
        const stats = await h.core.stores.openStats.stats(OWNER, 1);
        assert.equal(stats.sent, sent);
        await h.apply(like('u-zed', 'p1', T0 + 100));
        assert.equal((await h.core.flusher.flushDue()).dropped, 1);
      });

      it('scores P(open) with the registry model once one is published', async () => {
        const registry = new InMemoryModelRegistry();
        open(
          { NOTIFICATION_DIGEST_WINDOW_MS: '0', NOTIFICATION_OPEN_THRESHOLDS: 'ACTIVITY=0.5' },
          { registry },
        );
        await h.apply(...worldEvents());
        await h.apply(like('u-alice', 'p1'));
        assert.equal((await h.core.flusher.flushDue()).dropped, 1, 'the heuristic says 0.3');

        await registry.publish('notification-open', openModel(3), {
          trainedAtMs: T0,
          promote: true,
        });
        await h.core.openModel.reload();
        assert.equal(h.core.openModel.version, 'notification-open@v1');
        await h.apply(like('u-bob', 'p1'));
        assert.equal((await h.core.flusher.flushDue()).delivered, 1, 'the model says 0.95');
      });
    });

    it("logs each send with the experiment variants of the user's latest impression", async () => {
      open({ NOTIFICATION_DIGEST_WINDOW_MS: '0' });
      const variants = [
        { experiment: 'ranker-v2', variant: 'treatment' },
        { experiment: 'digest-window', variant: 'control' },
      ];
      await h.apply(
        ...worldEvents(),
        impression(OWNER, [{ experiment: 'ranker-v2', variant: 'control' }], T0 - 1_000),
        impression(OWNER, variants, T0),
        impression(OWNER, [], T0 - 2_000),
        like('u-alice', 'p1'),
      );
      await h.core.flusher.flushDue();
      const sent = [];
      for await (const event of h.runtime.eventLog.history()) {
        if (event.payload?.$case === 'notificationSent') sent.push(event.payload.value);
      }
      assert.deepEqual(
        sent.map((s) => [s.type, s.experiments]),
        [['ACTIVITY', [variants[1], variants[0]]]],
      );
    });

    it(`sends with the first ${MAX_ASSIGNMENTS} variants by experiment id of an impression that had more, warning of the rest at most once a minute`, async () => {
      const logged: Record<string, unknown>[] = [];
      const logger = createLogger('notification-test', {
        level: 'warn',
        destination: { write: (line: string) => logged.push(JSON.parse(line)) },
      });
      open({ NOTIFICATION_DIGEST_WINDOW_MS: '0' }, { logger });
      const assignments = Array.from({ length: MAX_ASSIGNMENTS + 5 }, (_, i) => ({
        experiment: `exp-${String(i).padStart(2, '0')}`,
        variant: 'control',
      }));
      const cutIds = assignments.slice(MAX_ASSIGNMENTS).map((a) => a.experiment);
      await h.apply(
        ...worldEvents(),
        impression(OWNER, assignments, T0 - 2_000),
        impression(OWNER, [...assignments].reverse(), T0 - 1_000),
        like('u-alice', 'p1'),
      );
      await h.core.flusher.flushDue();
      const sent = [];
      for await (const event of h.runtime.eventLog.history()) {
        if (event.payload?.$case === 'notificationSent') sent.push(event.payload.value);
      }
      assert.deepEqual(
        sent.map((s) => s.experiments),
        [assignments.slice(0, MAX_ASSIGNMENTS)],
      );
      const warnings = () =>
        logged
          .filter((line) => line['level'] === 'warn')
          .map((line) => [
            line['cut'],
            line['cutExperiments'],
            line['impressionsCutSinceLastLogged'],
          ]);
      assert.deepEqual(warnings(), [[5, cutIds, 0]]);
      h.clock.advance(MINUTE_MS);
      await h.apply(impression(OWNER, assignments, T0));
      assert.deepEqual(warnings(), [
        [5, cutIds, 0],
        [5, cutIds, 1],
      ]);
    });

    it('drops news that went stale while held back', async () => {
      open({ NOTIFICATION_MAX_AGE: 'NEW_POST=1h' });
      await h.core.stores.preferences.set(
        'u-alice',
        preferences({ timeZone: 'UTC', quietStartMinute: 8 * 60, quietEndMinute: 20 * 60 }),
      );
      await h.apply(...worldEvents(), follow('u-alice', OWNER_BLOG, T0 - DAY_MS));
      await h.apply(postCreated('new-1', OWNER_BLOG, T0));
      h.clock.advance(20 * MINUTE_MS);
      assert.equal((await h.core.flusher.flushDue()).delayed, 1, 'quiet hours until 20:00');
      h.clock.nowMs = T0 + 12 * HOUR_MS;
      const counts = await h.core.flusher.flushDue();
      assert.deepEqual([counts.delivered, counts.dropped], [0, 1]);
      assert.deepEqual(await inbox('u-alice'), []);
    });
  });
}

function opened(userId: string, notificationId: string): eventsv1.Event {
  return {
    eventId: `opened-${userId}-${notificationId}-${Math.random()}`,
    atMs: T0,
    payload: { $case: 'notificationOpened', value: { userId, notificationId } },
  };
}

function impression(
  userId: string,
  experiments: commonv1.ExperimentAssignment[],
  atMs: number,
): eventsv1.Event {
  return {
    eventId: `impression-${userId}-${atMs}-${Math.random()}`,
    atMs,
    payload: {
      $case: 'impression',
      value: {
        userId,
        postId: 'p1',
        requestId: 'r1',
        position: 0,
        surface: commonv1.Surface.SURFACE_DASHBOARD,
        experiments,
        source: 'following',
        model: '',
        score: 0,
        featureSchema: '',
        featureValues: [],
        featureMissing: Buffer.alloc(0),
      },
    },
  };
}

/** A one-feature open model: logit = 3 · type_activity, so P(open) of ACTIVITY ≈ 0.95. */
function openModel(weight: number): ModelDocument {
  return {
    format: MODEL_FORMAT,
    family: 'logistic',
    features: [{ name: 'notification.type_activity', default: 0, transform: 'identity' }],
    normalization: { mean: [0], scale: [1] },
    objectives: [{ objective: 'like', intercept: 0, coefficients: [weight] }],
    defaultWeights: { like: 1 },
  };
}
