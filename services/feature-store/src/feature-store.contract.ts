import assert from 'node:assert/strict';
import type { FeatureStore, ParkedEngagement, PostMeta, StoreLimits } from './feature-store.js';
import { LAYOUTS } from './state-layout.js';

export interface StoreFixture {
  readonly store: FeatureStore;
  /** Deletes whatever the test stored and closes what the fixture opened. */
  dispose(): Promise<void>;
}

export type OpenStore = (limits: StoreLimits) => Promise<StoreFixture>;

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const META: PostMeta = { blogId: 'b1', tags: ['cats', 'art'], reblogOf: '' };
const like = { counters: [{ signal: 'like' as const, weight: 1 }] };

const parked = (eventId: string, userId: string, atMs: number): ParkedEngagement => ({
  eventId,
  userId,
  kind: 1,
  atMs,
});

function close(actual: number, expected: number): void {
  assert.ok(
    Math.abs(actual - expected) < 1e-9 * Math.max(1, Math.abs(expected)),
    `${actual} ≉ ${expected}`,
  );
}

/** The semantics every FeatureStore shares, written once and run against each implementation. */
export function featureStoreContract(name: string, open: OpenStore): void {
  describe(`${name}: the FeatureStore contract`, () => {
    const limits: StoreLimits = { setCap: 3, interestCap: 2 };
    let fixture: StoreFixture;
    let store: FeatureStore;

    beforeEach(async () => {
      fixture = await open(limits);
      store = fixture.store;
    });
    afterEach(() => fixture.dispose());

    it('folds post counters by event time, whichever order the updates arrive in', async () => {
      const times = [T0, T0 + 2 * DAY, T0 + DAY, T0 + 3 * DAY];
      for (const atMs of times) await store.updatePost({ postId: 'p1', atMs, change: like });
      for (const atMs of [...times].reverse()) {
        await store.updatePost({ postId: 'p2', atMs, change: like });
      }
      const { posts } = await store.readCandidates(undefined, ['p1', 'p2']);
      const now = T0 + 4 * DAY;
      const expected = 2 ** -4 + 2 ** -2 + 2 ** -3 + 2 ** -1;
      for (const postId of ['p1', 'p2']) {
        const state = posts.get(postId)?.state;
        assert.ok(state, postId);
        close(LAYOUTS.post.counter(state, 'like', DAY, now), expected);
      }
    });

    it('hands back the engagements parked before their post was created, once', async () => {
      const first = parked('e1', 'u1', T0 + 2);
      const second = parked('e2', 'u2', T0 + 3);
      assert.equal(
        await store.updatePost({ postId: 'p1', atMs: T0 + 2, change: like, park: first }),
        undefined,
      );
      await store.updatePost({ postId: 'p1', atMs: T0 + 3, change: like, park: second });
      const created = await store.createPost({ postId: 'p1', atMs: T0, meta: META, change: {} });
      assert.deepEqual(created, { created: true, parked: [first, second] });
      const again = await store.createPost({ postId: 'p1', atMs: T0, meta: META, change: {} });
      assert.deepEqual(again, { created: false, parked: [] });
      assert.deepEqual(await store.updatePost({ postId: 'p1', atMs: T0 + 4, change: like }), META);
    });

    it('keeps the first meta when a post is created twice', async () => {
      await store.createPost({ postId: 'p1', atMs: T0, meta: META, change: {} });
      const other = { blogId: 'b2', tags: [], reblogOf: 'p0' };
      await store.createPost({ postId: 'p1', atMs: T0, meta: other, change: {} });
      const { posts } = await store.readCandidates(undefined, ['p1']);
      assert.deepEqual(posts.get('p1')?.meta, META);
    });

    it('lets the newest of follow and unfollow win in any order, counting each change once', async () => {
      const follow = (atMs: number, active: boolean) =>
        store.updateUser({
          userId: 'u1',
          atMs,
          user: {},
          relation: { relation: 'following', blogId: 'b1', active, countedIn: 'follows' },
        });
      const follows = async () => {
        const { state, sets } = await store.readUser('u1', 10);
        return { count: state && LAYOUTS.user.attribute(state, 'follows'), sets: sets.following };
      };
      assert.equal((await follow(T0 + 2, true)).relationDelta, 1);
      assert.equal((await follow(T0 + 1, false)).relationDelta, 0);
      assert.equal((await follow(T0 + 2, true)).relationDelta, 0);
      assert.deepEqual(await follows(), { count: 1, sets: ['b1'] });
      assert.equal((await follow(T0 + 3, false)).relationDelta, -1);
      assert.equal((await follow(T0 + 2, true)).relationDelta, 0);
      assert.deepEqual(await follows(), { count: 0, sets: [] });
    });

    it('breaks a tie between ending and starting a relation at one instant toward active', async () => {
      const block = (active: boolean) =>
        store.updateUser({
          userId: 'u1',
          atMs: T0,
          user: {},
          relation: { relation: 'blocked', blogId: 'b1', active },
        });
      assert.equal((await block(true)).relationDelta, 1);
      assert.equal((await block(false)).relationDelta, 0);
      assert.deepEqual((await store.readUser('u1', 10)).sets.blocked, ['b1']);
    });

    it('keeps sets newest first, moves a repeated id to its latest time, and caps them', async () => {
      const serve = (postId: string, atMs: number) =>
        store.updateUser({ userId: 'u1', atMs, user: {}, sets: [{ set: 'served', id: postId }] });
      await serve('p1', T0 + 1);
      await serve('p2', T0 + 2);
      await serve('p3', T0 + 3);
      await serve('p1', T0 + 4);
      await serve('p4', T0 + 5);
      // A late, older serve of p1 does not move it back.
      await serve('p1', T0);
      const { sets } = await store.readUser('u1', 10);
      assert.deepEqual(sets.served, ['p4', 'p1', 'p3']);
      assert.deepEqual((await store.readUser('u1', 2)).sets.served, ['p4', 'p1']);
    });

    it('tracks the tags and blogs touched most recently, at most interestCap of each', async () => {
      const affinity = { counters: [{ signal: 'affinity' as const, weight: 1 }] };
      for (const [i, tag] of ['a', 'b', 'c'].entries()) {
        await store.updateUser({
          userId: 'u1',
          atMs: T0 + i,
          user: {},
          tags: [{ tag, change: affinity }],
          blogs: [{ blogId: `b${i}`, change: affinity }],
        });
      }
      const user = await store.readUser('u1', 10);
      assert.deepEqual(
        user.tags.map((t) => t.tag),
        ['c', 'b'],
      );
      assert.deepEqual(
        user.blogs.map((b) => b.blogId),
        ['b2', 'b1'],
      );
      close(LAYOUTS.user_tag.counter(user.tags[0]!.state, 'affinity', 30 * DAY, T0 + 2), 1);
    });

    it("reads a batch: the posts' metas lead to their blogs and the user's affinities", async () => {
      await store.createPost({ postId: 'p1', atMs: T0, meta: META, change: {} });
      await store.updateBlog({
        blogId: 'b1',
        atMs: T0,
        change: { attributes: [{ attribute: 'followers', value: 1 }] },
      });
      await store.updateUser({
        userId: 'u1',
        atMs: T0,
        user: {},
        blogs: [{ blogId: 'b1', change: { counters: [{ signal: 'engagement', weight: 1 }] } }],
        tags: [{ tag: 'art', change: { counters: [{ signal: 'affinity', weight: 2 }] } }],
        relation: { relation: 'following', blogId: 'b1', active: true },
      });
      await store.updateUser({
        userId: 'u1',
        atMs: T0,
        user: {},
        relation: { relation: 'following', blogId: 'b9', active: true },
      });
      const states = await store.readCandidates('u1', ['p1', 'unknown']);
      assert.ok(states.user);
      assert.deepEqual(states.posts.get('unknown'), { state: undefined, meta: undefined });
      assert.deepEqual(states.posts.get('p1')?.meta, META);
      assert.deepEqual([...states.blogs.keys()], ['b1']);
      assert.equal(LAYOUTS.blog.attribute(states.blogs.get('b1')!, 'followers'), 1);
      assert.deepEqual([...states.userBlogs.keys()], ['b1']);
      assert.deepEqual([...states.following], ['b1']);
      assert.deepEqual([...states.userTags.keys()], ['art']);

      const anonymous = await store.readCandidates(undefined, ['p1']);
      assert.equal(anonymous.user, undefined);
      assert.equal(
        anonymous.userBlogs.size + anonymous.userTags.size + anonymous.following.size,
        0,
      );
      assert.deepEqual([...anonymous.blogs.keys()], ['b1']);
    });

    it('reads nothing for a user it never saw, and keeps users apart', async () => {
      await store.updateUser({
        userId: 'u1',
        atMs: T0,
        user: like,
        sets: [{ set: 'engaged', id: 'p1' }],
        tags: [{ tag: 'art', change: { counters: [{ signal: 'affinity', weight: 1 }] } }],
      });
      const stranger = await store.readUser('u2', 10);
      assert.equal(stranger.state, undefined);
      assert.ok(Object.values(stranger.sets).every((ids) => ids.length === 0));
      assert.deepEqual([stranger.tags, stranger.blogs], [[], []]);
      assert.deepEqual((await store.readUser('u1', 10)).sets.engaged, ['p1']);
      assert.equal((await store.readCandidates('u2', [])).user, undefined);
    });
  });
}
