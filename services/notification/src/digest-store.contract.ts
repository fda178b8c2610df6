import assert from 'node:assert/strict';
import { commonv1, notificationv1 } from '@feedmesh/contracts';
import type { DigestSubject } from './activity.js';
import {
  LISTED_POSTS,
  TRACKED_ACTORS,
  TRACKED_POSTS,
  type DigestEntry,
  type DigestSettings,
  type DigestStore,
  type PendingDigest,
} from './digest-store.js';
import { T0 } from './test-fixtures/events.js';

export interface DigestFixture {
  readonly store: DigestStore;
  dispose(): Promise<void>;
}

export type OpenDigests = (settings: DigestSettings) => Promise<DigestFixture>;

const WINDOW = 60_000;
const LEASE = 30_000;
const SETTINGS: DigestSettings = { windowMs: WINDOW, eventMemoryMs: 60 * 60 * 1000 };

const { EngagementKind } = commonv1;
const { NotificationType } = notificationv1;

function subject(overrides: Partial<DigestSubject> = {}): DigestSubject {
  return {
    userId: 'owner',
    type: notificationv1.NotificationType.NOTIFICATION_TYPE_ACTIVITY,
    activityKind: EngagementKind.ENGAGEMENT_KIND_LIKE,
    postId: 'post-1',
    blogId: 'blog-1',
    topic: '',
    ...overrides,
  };
}

let counter = 0;

function entry(actorId: string, atMs: number, about: DigestSubject = subject()): DigestEntry {
  counter += 1;
  return { subject: about, eventId: `e${counter}`, actorIds: [actorId], atMs };
}

/** Claims until nothing due is left. */
async function claimAll(store: DigestStore, nowMs: number): Promise<PendingDigest[]> {
  const all: PendingDigest[] = [];
  for (let claim = await store.claimDue(nowMs, 10, LEASE); claim.length > 0;) {
    all.push(...claim);
    claim = await store.claimDue(nowMs, 10, LEASE);
  }
  return all;
}

/** The DigestStore semantics, run against each implementation. */
export function describeDigestStoreContract(name: string, open: OpenDigests): void {
  describe(`${name}: the DigestStore contract`, () => {
    let fixture: DigestFixture | undefined;

    async function openStore(settings: Partial<DigestSettings> = {}): Promise<DigestStore> {
      fixture = await open({ ...SETTINGS, ...settings });
      return fixture.store;
    }

    afterEach(async () => {
      await fixture?.dispose();
      fixture = undefined;
    });

    it('merges activity on one subject within the window into one digest', async () => {
      const store = await openStore();
      const first = entry('alice', T0);
      await store.add(first, T0);
      await store.add(entry('bob', T0 + 10_000), T0 + 10_000);
      await store.add(entry('carol', T0 + 20_000), T0 + 20_000);
      await store.add(entry('alice', T0 + 30_000), T0 + 30_000);
      assert.deepEqual(await store.claimDue(T0 + WINDOW - 1, 10, LEASE), []);
      const [digest, ...others] = await store.claimDue(T0 + WINDOW, 10, LEASE);
      assert.deepEqual(others, []);
      assert.deepEqual(digest, {
        digestId: first.eventId,
        subject: subject(),
        actorIds: ['alice', 'carol', 'bob'],
        actorCount: 3,
        postIds: [],
        count: 4,
        firstAtMs: T0,
        lastAtMs: T0 + 30_000,
        flushAtMs: T0 + WINDOW,
      } satisfies PendingDigest);
    });

    it('digests an event once however often it is added', async () => {
      const store = await openStore();
      const like = entry('alice', T0);
      assert.equal(await store.add(like, T0), 'added');
      assert.equal(await store.add(like, T0 + 1), 'duplicate');
      const [digest] = await store.claimDue(T0 + WINDOW, 10, LEASE);
      assert.equal(digest?.count, 1);
    });

    it('remembers a digested event after its digest was flushed', async () => {
      const store = await openStore();
      const like = entry('alice', T0);
      await store.add(like, T0);
      const [digest] = await store.claimDue(T0 + WINDOW, 10, LEASE);
      assert.ok(digest);
      await store.complete(digest);
      assert.equal(await store.add(like, T0 + WINDOW + 1), 'duplicate');
      assert.equal(await store.pendingCount(), 0);
    });

    it('opens a new digest for activity at or after the open one is due', async () => {
      const store = await openStore();
      await store.add(entry('alice', T0), T0);
      await store.add(entry('bob', T0 + WINDOW), T0 + WINDOW);
      const due = await store.claimDue(T0 + 2 * WINDOW, 10, LEASE);
      assert.deepEqual(
        due.map((d) => [d.actorIds, d.flushAtMs]),
        [
          [['alice'], T0 + WINDOW],
          [['bob'], T0 + 2 * WINDOW],
        ],
      );
    });

    it('keeps subjects apart: kinds, posts, follows and recipients', async () => {
      const store = await openStore();
      const subjects = [
        subject(),
        subject({ activityKind: EngagementKind.ENGAGEMENT_KIND_REBLOG }),
        subject({ postId: 'post-2' }),
        subject({ postId: '', activityKind: EngagementKind.ENGAGEMENT_KIND_UNSPECIFIED }),
        subject({ userId: 'someone-else' }),
        subject({ type: NotificationType.NOTIFICATION_TYPE_TRENDING, topic: 'cats' }),
        subject({ type: NotificationType.NOTIFICATION_TYPE_TRENDING, topic: 'dogs' }),
      ];
      for (const about of subjects) await store.add(entry('alice', T0, about), T0);
      const due = await claimAll(store, T0 + WINDOW);
      assert.equal(due.length, subjects.length);
      assert.deepEqual(
        new Set(due.map((d) => JSON.stringify(d.subject))),
        new Set(subjects.map((s) => JSON.stringify(s))),
      );
      assert.ok(due.every((d) => d.count === 1));
    });

    it('lets a late event join the open digest and moves its first time back', async () => {
      const store = await openStore();
      await store.add(entry('alice', T0 + 5_000), T0 + 5_000);
      await store.add(entry('bob', T0), T0 + 6_000);
      const [digest] = await store.claimDue(T0 + 5_000 + WINDOW, 10, LEASE);
      assert.equal(digest?.firstAtMs, T0);
      assert.equal(digest?.count, 2);
    });

    it('is due a window after it was added at the latest, whatever the event time says', async () => {
      const store = await openStore();
      await store.add(entry('alice', T0 + 5 * WINDOW), T0);
      const [digest] = await store.claimDue(T0 + WINDOW, 10, LEASE);
      assert.equal(digest?.flushAtMs, T0 + WINDOW);
    });

    it('closes a claimed digest: later activity opens a new one instead of being lost', async () => {
      const store = await openStore({ windowMs: 10 * WINDOW });
      await store.add(entry('alice', T0), T0);
      const [claimed] = await store.claimDue(T0 + 10 * WINDOW, 10, LEASE);
      assert.ok(claimed);
      await store.add(entry('bob', T0 + 1), T0 + 10 * WINDOW + 1);
      await store.complete(claimed);
      const [next] = await store.claimDue(T0 + 20 * WINDOW, 10, LEASE);
      assert.deepEqual(next?.actorIds, ['bob']);
    });

    it('offers a claimed digest again once its lease ends, unless completed', async () => {
      const store = await openStore();
      await store.add(entry('alice', T0), T0);
      const [claimed] = await store.claimDue(T0 + WINDOW, 10, LEASE);
      assert.ok(claimed);
      assert.deepEqual(await store.claimDue(T0 + WINDOW + LEASE - 1, 10, LEASE), []);
      const [again] = await store.claimDue(T0 + WINDOW + LEASE, 10, LEASE);
      assert.equal(again?.digestId, claimed.digestId);
      await store.complete(again);
      assert.deepEqual(await store.claimDue(T0 + 100 * WINDOW, 10, LEASE), []);
      assert.equal(await store.pendingCount(), 0);
    });

    it('postpones a digest to a later time and keeps merging activity into it', async () => {
      const store = await openStore();
      await store.add(entry('alice', T0), T0);
      const [claimed] = await store.claimDue(T0 + WINDOW, 10, LEASE);
      assert.ok(claimed);
      await store.postpone(claimed, T0 + 10 * WINDOW);
      await store.add(entry('bob', T0 + 2 * WINDOW), T0 + 2 * WINDOW);
      assert.deepEqual(await store.claimDue(T0 + 10 * WINDOW - 1, 10, LEASE), []);
      const due = await store.claimDue(T0 + 10 * WINDOW, 10, LEASE);
      assert.equal(due.length, 1);
      assert.deepEqual(due[0]?.actorIds, ['bob', 'alice']);
      assert.equal(due[0]?.count, 2);
      assert.equal(due[0]?.flushAtMs, T0 + 10 * WINDOW);
    });

    it('leaves new activity with a digest opened while another was being postponed', async () => {
      const store = await openStore();
      await store.add(entry('alice', T0), T0);
      const [claimed] = await store.claimDue(T0 + WINDOW, 10, LEASE);
      assert.ok(claimed);
      await store.add(entry('bob', T0 + WINDOW), T0 + WINDOW);
      await store.postpone(claimed, T0 + 10 * WINDOW);
      await store.add(entry('carol', T0 + WINDOW + 1), T0 + WINDOW + 1);
      const due = await store.claimDue(T0 + 10 * WINDOW, 10, LEASE);
      assert.deepEqual(
        due.map((d) => d.actorIds),
        [['carol', 'bob'], ['alice']],
      );
    });

    it('claims about `limit` digests at a time, the longest due first, and the rest next time', async () => {
      const store = await openStore();
      for (let i = 0; i < 5; i++) {
        await store.add(entry('alice', T0 + i, subject({ userId: `owner-${i}` })), T0 + i);
      }
      const claims: PendingDigest[][] = [];
      for (let claim = await store.claimDue(T0 + 2 * WINDOW, 1, LEASE); claim.length > 0;) {
        claims.push(claim);
        claim = await store.claimDue(T0 + 2 * WINDOW, 1, LEASE);
      }
      assert.ok(claims.length >= 2, 'a limit of 1 cannot take all five at once');
      const owners = claims
        .flat()
        .map((d) => d.subject.userId)
        .sort();
      assert.deepEqual(owners, ['owner-0', 'owner-1', 'owner-2', 'owner-3', 'owner-4']);
      for (const claim of claims) {
        const times = claim.map((d) => d.flushAtMs);
        assert.deepEqual(
          [...times].sort((a, b) => a - b),
          times,
        );
      }
    });

    it('adds a fan-out at once as one add each would: outcomes in order, repeats duplicate', async () => {
      const store = await openStore();
      const fans = Array.from({ length: 50 }, (_, i) => `fan-${i}`);
      const newPost = (userId: string): DigestEntry => ({
        subject: subject({
          userId,
          type: NotificationType.NOTIFICATION_TYPE_NEW_POST,
          activityKind: EngagementKind.ENGAGEMENT_KIND_UNSPECIFIED,
          postId: '',
          blogId: '',
        }),
        eventId: `post-9|${userId}`,
        actorIds: ['blog-9'],
        postIds: ['post-9'],
        atMs: T0,
      });
      assert.deepEqual(await store.addAll([], T0), []);
      const first = await store.addAll(fans.map(newPost), T0);
      assert.deepEqual(
        first,
        fans.map(() => 'added'),
      );
      // Delivered again by the log, with one new fan: only the new one is added.
      const again = await store.addAll([...fans.slice(0, 3), 'fan-new'].map(newPost), T0);
      assert.deepEqual(again, ['duplicate', 'duplicate', 'duplicate', 'added']);
      const due = await claimAll(store, T0 + WINDOW);
      assert.deepEqual(
        due.map((digest) => digest.subject.userId).sort(),
        [...fans, 'fan-new'].sort(),
      );
      assert.ok(due.every((digest) => digest.count === 1 && digest.postIds?.[0] === 'post-9'));
    });

    it('lists the 20 most recent actors and counts them all', async () => {
      const store = await openStore();
      for (let i = 0; i < 30; i++) {
        await store.add(entry(`fan-${String(i).padStart(2, '0')}`, T0 + i), T0 + i);
      }
      const [digest] = await store.claimDue(T0 + WINDOW, 10, LEASE);
      assert.equal(digest?.actorCount, 30);
      assert.equal(digest?.count, 30);
      assert.deepEqual(
        digest?.actorIds,
        Array.from({ length: 20 }, (_, i) => `fan-${String(29 - i).padStart(2, '0')}`),
      );
    });

    it('keeps the most recent posts its entries name, and several actors per entry', async () => {
      const store = await openStore();
      const newPosts = subject({
        type: NotificationType.NOTIFICATION_TYPE_NEW_POST,
        postId: '',
        blogId: '',
      });
      for (let i = 0; i < 25; i++) {
        counter += 1;
        await store.add(
          {
            subject: newPosts,
            eventId: `e${counter}`,
            actorIds: [`blog-${i % 3}`, ''],
            postIds: [`p${String(i).padStart(2, '0')}`],
            atMs: T0 + i,
          },
          T0 + i,
        );
      }
      const [digest] = await store.claimDue(T0 + WINDOW, 10, LEASE);
      assert.equal(digest?.count, 25);
      assert.deepEqual(digest?.actorIds, ['blog-0', 'blog-2', 'blog-1']);
      assert.deepEqual(
        digest?.postIds,
        Array.from({ length: 20 }, (_, i) => `p${String(24 - i).padStart(2, '0')}`),
      );
    });

    /** `n` new posts from `blogs` in turn, one an entry, a ms apart: p000 the least recent. */
    async function newPostDigest(store: DigestStore, n: number, blogs = ['blog-1']) {
      const newPosts = subject({
        type: NotificationType.NOTIFICATION_TYPE_NEW_POST,
        postId: '',
        blogId: '',
      });
      const entries = Array.from({ length: n }, (_, i) => {
        counter += 1;
        return {
          subject: newPosts,
          eventId: `e${counter}`,
          actorIds: [blogs[i % blogs.length] ?? ''],
          postIds: [`p${String(i).padStart(3, '0')}`],
          atMs: T0 + i,
        };
      });
      await store.addAll(entries, T0);
      const [digest] = await store.claimDue(T0 + WINDOW, 10, LEASE);
      assert.ok(digest);
      return digest;
    }

    const postsFromNewest = (n: number, below: number) =>
      Array.from({ length: n }, (_, i) => `p${String(below - 1 - i).padStart(3, '0')}`);

    it('tracks every post its entries name, beyond the 20 it lists, most recent first', async () => {
      const store = await openStore();
      const digest = await newPostDigest(store, 25, ['blog-1', 'blog-2']);
      assert.deepEqual(digest.postIds, postsFromNewest(LISTED_POSTS, 25));
      assert.deepEqual(await store.trackedPostIds(digest), postsFromNewest(25, 25));
    });

    it(`forgets the least recent posts beyond the ${TRACKED_POSTS} it tracks`, async () => {
      const store = await openStore();
      const digest = await newPostDigest(store, TRACKED_POSTS + 5);
      assert.equal(digest.count, TRACKED_POSTS + 5);
      assert.deepEqual(digest.postIds, postsFromNewest(LISTED_POSTS, TRACKED_POSTS + 5));
      assert.deepEqual(
        await store.trackedPostIds(digest),
        postsFromNewest(TRACKED_POSTS, TRACKED_POSTS + 5),
      );
    });

    it('answers no tracked posts for a digest it no longer has', async () => {
      const store = await openStore();
      const digest = await newPostDigest(store, 3);
      await store.complete(digest);
      assert.deepEqual(await store.trackedPostIds(digest), []);
    });

    it("counts each tracked actor's entries, however far down the 20 listed actors it is", async () => {
      const store = await openStore();
      // alice replies three times first, then 20 others once each: she is not listed.
      for (let i = 0; i < 3; i++) await store.add(entry('alice', T0 + i), T0 + i);
      for (let i = 0; i < 20; i++) await store.add(entry(`fan-${i}`, T0 + 10 + i), T0 + 10 + i);
      await store.add(entry('fan-0', T0 + 40), T0 + 40);
      const [digest] = await store.claimDue(T0 + WINDOW, 10, LEASE);
      assert.ok(digest);
      assert.equal(digest.actorIds.includes('alice'), false);
      const entries = await store.actorEntries(digest, ['alice', 'fan-0', 'fan-1', 'nobody']);
      assert.deepEqual(
        [...entries].sort(([a], [b]) => (a < b ? -1 : 1)),
        [
          ['alice', 3],
          ['fan-0', 2],
          ['fan-1', 1],
        ],
      );
      assert.deepEqual(await store.actorEntries(digest, []), new Map());
    });

    it('counts the entries of the actors it still tracks, not of those it forgot', async () => {
      const store = await openStore();
      await store.add(entry('first', T0), T0);
      await store.add(entry('first', T0 + 1), T0 + 1);
      const many = Array.from({ length: TRACKED_ACTORS }, (_, i) => ({
        ...entry(`fan-${i}`, T0 + 10 + i),
      }));
      await store.addAll(many, T0 + 10);
      // Forgotten, then back: its entries count from its return.
      await store.add(entry('first', T0 + 20_000), T0 + 20_000);
      const [digest] = await store.claimDue(T0 + WINDOW, 10, LEASE);
      assert.ok(digest);
      assert.equal(digest.count, TRACKED_ACTORS + 3);
      const entries = await store.actorEntries(digest, ['first', 'fan-0', 'fan-1']);
      assert.deepEqual(
        [...entries].sort(([a], [b]) => (a < b ? -1 : 1)),
        [
          ['fan-1', 1],
          ['first', 1],
        ],
      );
    });

    it('answers no entries for a digest it no longer has', async () => {
      const store = await openStore();
      await store.add(entry('alice', T0), T0);
      const [digest] = await store.claimDue(T0 + WINDOW, 10, LEASE);
      assert.ok(digest);
      await store.complete(digest);
      assert.deepEqual(await store.actorEntries(digest, ['alice']), new Map());
    });

    it("uses an entry's own window, so a window of 0 is due at once", async () => {
      const store = await openStore();
      const trend = subject({ type: NotificationType.NOTIFICATION_TYPE_TRENDING, topic: 'cats' });
      counter += 1;
      await store.add(
        { subject: trend, eventId: `e${counter}`, actorIds: [], atMs: T0, windowMs: 0 },
        T0,
      );
      const [digest] = await store.claimDue(T0, 10, LEASE);
      assert.deepEqual([digest?.subject, digest?.actorIds, digest?.actorCount], [trend, [], 0]);
    });
  });
}
