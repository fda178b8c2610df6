import assert from 'node:assert/strict';
import { commonv1, type eventsv1 } from '@feedmesh/contracts';
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

function unfollow(userId: string, blogId: string, atMs = T0): eventsv1.Event {
  return {
    eventId: `unfollow-${userId}-${blogId}-${atMs}`,
    atMs,
    payload: { $case: 'unfollow', value: { userId, blogId } },
  };
}

function sessionStarted(userId: string, atMs = T0): eventsv1.Event {
  return {
    eventId: `session-${userId}-${atMs}`,
    atMs,
    payload: { $case: 'sessionStarted', value: { userId } },
  };
}

/** A small deterministic random source (mulberry32), so the mixed log is the same each run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const USERS = ['u-alice', 'u-bob', 'u-carol', 'u-dave', 'u-erin', OWNER];
const BLOGS = ['b-alice', 'b-bob', 'b-carol', 'b-dave', 'b-erin', OWNER_BLOG];
const TAGS = ['cats', 'bread', 'jazz'];

/**
 * A log with every kind of event the handler looks at, in an order a partitioned log can give:
 * likes of posts not recorded yet (parked, then resumed), follows and unfollows, hides, posts
 * created and deleted, sessions, within one digest window.
 */
function mixedLog(length: number): eventsv1.Event[] {
  const random = seeded(7);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const events = [...worldEvents()];
  const posts = [POST];
  for (let i = 0; i < length; i++) {
    const atMs = T0 + i * 10;
    const roll = random();
    const user = pick(USERS);
    if (roll < 0.12) {
      const postId = `p-${i}`;
      // Posted before the age limit, so no NEW_POST: which fans a new post reaches depends on
      // other users' events the log does not order with it (a test below covers NEW_POST).
      const postedAtMs = atMs - 7 * 3_600_000;
      const created = postCreated(postId, pick(BLOGS), postedAtMs, [pick(TAGS), pick(TAGS)]);
      // Now and then the post's likes come first: a partition of likes ran ahead.
      if (random() < 0.3) {
        events.push(like(user, postId, atMs), created);
      } else {
        events.push(created);
      }
      posts.push(postId);
    } else if (roll < 0.6) {
      events.push(like(user, pick(posts), atMs));
    } else if (roll < 0.68) {
      const kind = pick([
        EngagementKind.ENGAGEMENT_KIND_REBLOG,
        EngagementKind.ENGAGEMENT_KIND_HIDE,
      ]);
      events.push(engagement(kind, user, pick(posts), atMs));
    } else if (roll < 0.8) {
      events.push(follow(user, pick(BLOGS), atMs));
    } else if (roll < 0.86) {
      events.push(unfollow(user, pick(BLOGS), atMs));
    } else if (roll < 0.88) {
      events.push(postDeleted(pick(posts), atMs));
    } else {
      events.push(sessionStarted(user, atMs));
    }
  }
  return events;
}

/** What a user can observe: their inbox, and who the service thinks their blog's fans are. */
async function observe(h: CoreHarness): Promise<unknown> {
  const seen: Record<string, unknown> = {};
  for (const [i, userId] of USERS.entries()) {
    const page = await h.core.stores.inbox.page(userId, { pageSize: 100, unreadOnly: false });
    seen[userId] = page.notifications
      .map((n) => `${n.type}|${n.title}|${n.count}|${[...n.actorIds].sort().join(',')}`)
      .sort();
    const fans = await h.core.stores.interests.fans('blog', BLOGS[i]!, 100);
    seen[`${BLOGS[i]} fans`] = fans.sort();
  }
  for (const tag of TAGS)
    seen[`#${tag} fans`] = (await h.core.stores.interests.fans('tag', tag, 100)).sort();
  return seen;
}

for (const kind of ['memory', 'redis'] as const satisfies readonly StoreKind[]) {
  describe(`the handler's batch mode (${kind} stores)`, () => {
    const opened: CoreHarness[] = [];

    function open(): CoreHarness {
      const h = openCore(kind);
      opened.push(h);
      return h;
    }

    async function flushWindow(h: CoreHarness) {
      h.clock.advance(WINDOW_MS);
      return h.core.flusher.flushDue();
    }

    async function inboxTitles(h: CoreHarness, userId = OWNER): Promise<string[]> {
      const page = await h.core.stores.inbox.page(userId, { pageSize: 100, unreadOnly: false });
      return page.notifications.map((n) => n.title);
    }

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((h) => h.dispose()));
    });

    it('ends where handling the events one at a time ends: inboxes, fans, parked events', async () => {
      const log = mixedLog(400);
      const oneByOne = open();
      const batched = open();
      await oneByOne.apply(...log);
      for (let start = 0; start < log.length; start += 37) {
        await batched.applyBatch(...log.slice(start, start + 37));
      }
      await flushWindow(oneByOne);
      await flushWindow(batched);
      const expected = await observe(oneByOne);
      assert.ok(
        Object.values(expected as Record<string, string[]>).some((titles) => titles.length > 0),
      );
      assert.deepEqual(await observe(batched), expected);
    });

    /** Makes one of the directory's writes land late, as a slow round trip would. */
    function slowDirectory(h: CoreHarness, method: 'park' | 'recordPostDeleted'): void {
      const directory = h.core.stores.directory as unknown as Record<
        string,
        (...args: unknown[]) => Promise<void>
      >;
      const original = directory[method]!.bind(directory);
      directory[method] = async (...args) => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return original(...args);
      };
    }

    it('resumes a like parked just before its post arrived, however slowly it was parked', async () => {
      const h = open();
      await h.applyBatch(...worldEvents());
      slowDirectory(h, 'park');
      await h.applyBatch(like('u-alice', 'p2'), postCreated('p2', OWNER_BLOG));
      await flushWindow(h);
      assert.deepEqual(await inboxTitles(h), ['alice liked your post']);
    });

    it('ignores a like of a post deleted earlier in the batch, however slowly it was deleted', async () => {
      const h = open();
      await h.applyBatch(...worldEvents());
      slowDirectory(h, 'recordPostDeleted');
      await h.applyBatch(postDeleted(POST), like('u-alice', POST));
      // Nothing learned from it (the deleted-post policy would drop its notification anyway).
      assert.deepEqual(await h.core.stores.interests.fans('blog', OWNER_BLOG, 10), []);
      await flushWindow(h);
      assert.deepEqual(await inboxTitles(h), []);
    });

    it("tells a blog's fans about its new post, from the fans learned in earlier batches", async () => {
      const h = open();
      await h.applyBatch(...worldEvents(), follow('u-alice', OWNER_BLOG), like('u-bob', POST));
      await h.applyBatch(postCreated('p2', OWNER_BLOG), sessionStarted('u-carol'));
      h.clock.advance(15 * 60_000);
      await h.core.flusher.flushDue();
      assert.deepEqual(await inboxTitles(h, 'u-alice'), ['New from ownerblog']);
      assert.deepEqual(await inboxTitles(h, 'u-bob'), ['New from ownerblog']);
    });

    it("keeps a post's events in log order: a like right after its post is not parked", async () => {
      const h = open();
      await h.applyBatch(
        ...worldEvents(),
        postCreated('p2', OWNER_BLOG),
        like('u-alice', 'p2'),
        like('u-bob', 'p2'),
      );
      await flushWindow(h);
      assert.deepEqual(await inboxTitles(h), ['2 people liked your post']);
    });

    it('resumes a like that came before its post in the same batch', async () => {
      const h = open();
      await h.applyBatch(...worldEvents(), like('u-alice', 'p2'), postCreated('p2', OWNER_BLOG));
      await flushWindow(h);
      assert.deepEqual(await inboxTitles(h), ['alice liked your post']);
    });

    it("keeps a user's events in log order: follow then unfollow forgets, the reverse keeps", async () => {
      const h = open();
      await h.applyBatch(
        ...worldEvents(),
        follow('u-alice', 'b-bob'),
        unfollow('u-alice', 'b-bob'),
        unfollow('u-carol', 'b-bob'),
        follow('u-carol', 'b-bob'),
      );
      assert.deepEqual(await h.core.stores.interests.fans('blog', 'b-bob', 10), ['u-carol']);
    });

    it("keeps taking interest back in order with a user's likes: hide then like, like then hide", async () => {
      const h = open();
      await h.applyBatch(...worldEvents(), postCreated('p2', 'b-bob'));
      const hide = (userId: string, postId: string) =>
        engagement(EngagementKind.ENGAGEMENT_KIND_HIDE, userId, postId);
      await h.applyBatch(
        like('u-alice', POST),
        like('u-alice', POST),
        hide('u-alice', POST),
        hide('u-carol', 'p2'),
        like('u-carol', 'p2'),
      );
      assert.deepEqual(await h.core.stores.interests.fans('blog', OWNER_BLOG, 10), []);
      assert.deepEqual(await h.core.stores.interests.fans('blog', 'b-bob', 10), ['u-carol']);
    });

    it('notifies once when a batch is delivered again, before or after its digest was sent', async () => {
      const h = open();
      await h.applyBatch(...worldEvents());
      const batch = [like('u-alice', POST), like('u-bob', POST)];
      await h.applyBatch(...batch);
      // Redelivered before the flush: the digest has seen both events.
      await h.applyBatch(...batch);
      assert.equal((await flushWindow(h)).delivered, 1);
      // Redelivered after it was sent: the events are remembered past the digest.
      await h.applyBatch(...batch);
      assert.equal((await flushWindow(h)).delivered, 0);
      const page = await h.core.stores.inbox.page(OWNER, { pageSize: 10, unreadOnly: false });
      assert.deepEqual(
        page.notifications.map((n) => [n.title, n.count]),
        [['2 people liked your post', 2]],
      );
    });

    it('reports a failed event by its index and applies the others', async () => {
      const h = open();
      await h.applyBatch(...worldEvents());
      const directory = h.core.stores.directory;
      const recordPost = directory.recordPost.bind(directory);
      directory.recordPost = async (postId, blogId, tags) => {
        if (postId === 'p-bad') throw new Error('redis went away');
        return recordPost(postId, blogId, tags);
      };
      const failures = await h.core.handler.handleBatch([
        like('u-alice', POST),
        postCreated('p-bad', OWNER_BLOG),
        like('u-bob', POST),
      ]);
      assert.deepEqual(
        failures.map((f) => [f.index, (f.error as Error).message]),
        [[1, 'redis went away']],
      );
      await flushWindow(h);
      assert.deepEqual(await inboxTitles(h), ['2 people liked your post']);
    });
  });
}
