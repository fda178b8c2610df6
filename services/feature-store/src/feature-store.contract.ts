import assert from 'node:assert/strict';
import type {
  FeatureStore,
  ParkedEngagement,
  PostMeta,
  PostWrite,
  StoreLimits,
  UserWrite,
  WritePlan,
} from './feature-store.js';
import { joinsById } from './test-fixtures/states.js';
import { EntityDelta } from './state-delta.js';
import { LAYOUTS, type StateLayout } from './state-layout.js';
import type { EntityKind } from './feature-registry.js';

export interface StoreFixture {
  readonly store: FeatureStore;
  /** Deletes whatever the test stored and closes what the fixture opened. */
  dispose(): Promise<void>;
  /**
   * Lets a blog's state run out its time to live while its followers' following sets (kept
   * 365 days to the blog's 180) live on: its key deleted in Redis, the clock moved past it in
   * memory. The contract needs it; the other suites do not.
   */
  expireBlog?(blogId: string): Promise<void>;
}

export type OpenStore = (limits: StoreLimits) => Promise<StoreFixture>;

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const META: PostMeta = { blogId: 'b1', tags: ['cats', 'art'], reblogOf: '' };

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

export function deltaOf<E extends EntityKind>(
  entity: E,
  change: (delta: EntityDelta<E>) => unknown = () => undefined,
): EntityDelta<E> {
  const delta = new EntityDelta(LAYOUTS[entity] as StateLayout<E>);
  change(delta);
  return delta;
}

export const plan = (parts: Partial<WritePlan>): WritePlan => ({
  posts: [],
  users: [],
  blogs: [],
  ...parts,
});

export const postWrite = (postId: string, parts: Partial<PostWrite> = {}): PostWrite => ({
  postId,
  delta: deltaOf('post'),
  park: [],
  ...parts,
});

export const userWrite = (userId: string, parts: Partial<UserWrite> = {}): UserWrite => ({
  userId,
  delta: deltaOf('user'),
  blogs: new Map(),
  tags: new Map(),
  touches: [],
  relations: [],
  ...parts,
});

const liked = (atMs: number) => deltaOf('post', (d) => d.addSignal('like', 1, atMs));

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

    const write = (parts: Partial<WritePlan>) => store.write(plan(parts));

    it('folds post counters by event time, whichever order the writes arrive in', async () => {
      const times = [T0, T0 + 2 * DAY, T0 + DAY, T0 + 3 * DAY];
      for (const atMs of times) await write({ posts: [postWrite('p1', { delta: liked(atMs) })] });
      for (const atMs of [...times].reverse()) {
        await write({ posts: [postWrite('p2', { delta: liked(atMs) })] });
      }
      const batched = deltaOf('post');
      for (const atMs of times) batched.addSignal('like', 1, atMs);
      await write({ posts: [postWrite('p3', { delta: batched })] });
      const { posts } = await store.readCandidates(undefined, ['p1', 'p2', 'p3']);
      const now = T0 + 4 * DAY;
      const expected = 2 ** -4 + 2 ** -2 + 2 ** -3 + 2 ** -1;
      for (const postId of ['p1', 'p2', 'p3']) {
        const state = posts.get(postId)?.state;
        assert.ok(state, postId);
        close(LAYOUTS.post.counter(state, 'like', DAY, now), expected);
      }
    });

    it('stores the first meta of a post, and says which write stored it', async () => {
      const created = await write({
        posts: [postWrite('p1', { create: { meta: META, parkedRead: 0 } })],
      });
      assert.deepEqual(created.posts.get('p1'), { created: true, parkedSince: [] });
      const other = { blogId: 'b2', tags: [], reblogOf: 'p0' };
      const again = await write({
        posts: [postWrite('p1', { create: { meta: other, parkedRead: 0 } })],
      });
      assert.deepEqual(again.posts.get('p1'), {
        created: false,
        found: { meta: META, creator: undefined },
        parkedSince: [],
      });
      assert.deepEqual((await store.readCandidates(undefined, ['p1'])).posts.get('p1')?.meta, META);
      const { metas } = await store.prefetch({ metas: ['p1', 'p9'], parked: [], relations: [] });
      assert.deepEqual([...metas], [['p1', META]]);
    });

    it('keeps the earliest creation of a post, with its attributes: replaces a later one, and says what it found', async () => {
      const later = { atMs: T0 + 5, eventId: 'a1' };
      const earliest = { atMs: T0 + 1, eventId: 'z9' };
      // At the same time the smaller id wins, by its bytes: 'B' (0x42) before 'a' (0x61).
      const tied = { atMs: T0 + 1, eventId: 'B1' };
      const other = { blogId: 'b2', tags: ['dogs'], reblogOf: 'p0' };
      const create = (meta: PostMeta, creator: typeof later, tagCount: number) =>
        write({
          posts: [
            postWrite('p1', {
              create: {
                meta,
                parkedRead: 0,
                eventId: creator.eventId,
                creator,
                attributes: deltaOf('post', (d) => d.mergeAttribute('tag_count', tagCount)),
              },
            }),
          ],
        });
      const served = async () => {
        const post = (await store.readCandidates(undefined, ['p1'])).posts.get('p1');
        return {
          meta: post?.meta,
          tagCount: post?.state?.[LAYOUTS.post.attribute('tag_count').cell],
        };
      };

      assert.deepEqual((await create(other, later, 1)).posts.get('p1'), {
        created: true,
        parkedSince: [],
      });
      assert.deepEqual((await create(META, earliest, 2)).posts.get('p1'), {
        created: true,
        found: { meta: other, creator: later },
        replaced: true,
        parkedSince: [],
      });
      assert.deepEqual(await served(), { meta: META, tagCount: 2 });
      assert.deepEqual((await create(other, later, 1)).posts.get('p1'), {
        created: false,
        found: { meta: META, creator: earliest },
        parkedSince: [],
      });
      assert.deepEqual(await served(), { meta: META, tagCount: 2 });
      assert.deepEqual((await create(other, tied, 3)).posts.get('p1'), {
        created: true,
        found: { meta: META, creator: earliest },
        replaced: true,
        parkedSince: [],
      });
      assert.deepEqual(await served(), { meta: other, tagCount: 3 });
      const { creations, joined } = await store.prefetch({
        metas: [],
        parked: [],
        relations: [],
        creations: ['p1', 'p9'],
        joined: ['p1'],
      });
      assert.deepEqual([...creations], [['p1', { meta: other, creator: tied }]]);
      // For a delivery of it again: what it replaced, whose blog no longer counts the post.
      assert.deepEqual(joined.get('p1'), {
        creator: 'B1',
        engagements: [],
        replaced: { meta: META, creator: earliest },
      });
    });

    it('parks engagements until the post is created, handing back those parked since the read', async () => {
      const first = parked('e1', 'u1', T0 + 2);
      const second = parked('e2', 'u2', T0 + 3);
      const late = parked('e3', 'u3', T0 + 4);
      await write({ posts: [postWrite('p1', { delta: liked(T0 + 2), park: [first] })] });
      await write({ posts: [postWrite('p1', { delta: liked(T0 + 3), park: [second] })] });
      const read = await store.prefetch({ metas: ['p1'], parked: ['p1'], relations: [] });
      assert.deepEqual(read.parked.get('p1'), [first, second]);
      assert.equal(read.metas.size, 0);
      // Another consumer parks one more between this batch's read and its write.
      await write({ posts: [postWrite('p1', { park: [late] })] });

      const created = await write({
        posts: [postWrite('p1', { create: { meta: META, parkedRead: 2 } })],
      });
      assert.deepEqual(created.posts.get('p1'), { created: true, parkedSince: [late] });
      const after = await store.prefetch({ metas: [], parked: ['p1'], relations: [] });
      assert.equal(after.parked.size, 0);
      // Once the post has a meta nothing is parked: the write hands the meta back instead.
      const parking = await write({ posts: [postWrite('p1', { park: [parked('e4', 'u1', T0)] })] });
      assert.deepEqual(parking.posts.get('p1'), { parkedSince: [], meta: META });
      const { posts } = await store.readCandidates(undefined, ['p1']);
      close(
        LAYOUTS.post.counter(posts.get('p1')!.state!, 'like', DAY, T0 + 3),
        1 + 2 ** (-1 / DAY),
      );
    });

    it('lets the newest of follow and unfollow win in any order, counting each change once', async () => {
      const follow = async (atMs: number, active: boolean) => {
        const relations = [
          {
            relation: 'following' as const,
            blogId: 'b1',
            atMs,
            active,
            countedIn: 'follows' as const,
          },
        ];
        const outcome = await write({ users: [userWrite('u1', { relations })] });
        return outcome.relationDeltas.get('u1')?.[0];
      };
      const follows = async () => {
        const { state, sets } = await store.readUser('u1', 10);
        return {
          count: state && LAYOUTS.user.attributeValue(state, 'follows'),
          sets: sets.following,
        };
      };
      assert.equal(await follow(T0 + 2, true), 1);
      assert.equal(await follow(T0 + 1, false), 0);
      assert.equal(await follow(T0 + 2, true), 0);
      assert.deepEqual(await follows(), { count: 1, sets: ['b1'] });
      const { relationScores } = await store.prefetch({
        metas: [],
        parked: [],
        relations: [
          { userId: 'u1', relation: 'following', blogId: 'b1' },
          { userId: 'u1', relation: 'following', blogId: 'b2' },
        ],
      });
      assert.deepEqual(relationScores, [T0 + 2, undefined]);
      assert.equal(await follow(T0 + 3, false), -1);
      assert.equal(await follow(T0 + 2, true), 0);
      assert.deepEqual(await follows(), { count: 0, sets: [] });
    });

    it('keeps a follower count at 0 when a follower its expired state forgot unfollows, and counts on from there', async () => {
      // As the materializer does: the blog's count moves by the change the user's write made.
      const relate = async (userId: string, atMs: number, active: boolean) => {
        const relations = [{ relation: 'following' as const, blogId: 'b1', atMs, active }];
        const outcome = await write({ users: [userWrite(userId, { relations })] });
        const change = outcome.relationDeltas.get(userId)![0]!;
        const delta = deltaOf('blog', (d) => d.mergeAttribute('followers', change));
        await write({ blogs: [{ blogId: 'b1', delta }] });
        return change;
      };
      const followers = async () => {
        await write({ posts: [postWrite('p1', { create: { meta: META, parkedRead: 0 } })] });
        const { blogs } = joinsById(await store.readCandidates(undefined, ['p1']));
        return LAYOUTS.blog.attributeValue(blogs.get('b1')!, 'followers');
      };
      assert.equal(await relate('u1', T0, true), 1);
      await fixture.expireBlog!('b1');
      // u1's following set still holds b1: the unfollow is a real change, which the blog's
      // fresh state never counted the start of.
      assert.equal(await relate('u1', T0 + 200 * DAY, false), -1);
      assert.equal(await followers(), 0);
      assert.equal(await relate('u2', T0 + 201 * DAY, true), 1);
      assert.equal(await followers(), 1);
      // A batch's changes folded into one write stop at 0 where they would one by one, and
      // the write reports the count it found.
      const folded = deltaOf('blog', (d) =>
        d.mergeAttribute('followers', -2).mergeAttribute('followers', 1),
      );
      const outcome = await write({ blogs: [{ blogId: 'b1', delta: folded }] });
      assert.deepEqual([...outcome.followersBefore], [['b1', 1]]);
      assert.equal(await followers(), 1);
    });

    it('applies the relation changes of one write in order, reporting each', async () => {
      const relations = [
        { relation: 'blocked' as const, blogId: 'b1', atMs: T0, active: true },
        { relation: 'blocked' as const, blogId: 'b1', atMs: T0, active: false },
        { relation: 'blocked' as const, blogId: 'b2', atMs: T0 + 1, active: true },
        { relation: 'blocked' as const, blogId: 'b2', atMs: T0 + 2, active: false },
      ];
      const outcome = await write({ users: [userWrite('u1', { relations })] });
      // A tie between ending and starting at one instant goes to active.
      assert.deepEqual(outcome.relationDeltas.get('u1'), [1, 0, 1, -1]);
      assert.deepEqual((await store.readUser('u1', 10)).sets.blocked, ['b1']);
    });

    it('keeps sets newest first, moves a repeated id to its latest time, and caps them', async () => {
      const serve = (postId: string, atMs: number) =>
        write({ users: [userWrite('u1', { touches: [{ set: 'served', id: postId, atMs }] })] });
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

    it('keeps the state of the tags and blogs touched most recently, at most interestCap of each', async () => {
      for (const [i, tag] of ['a', 'b', 'c'].entries()) {
        const atMs = T0 + i;
        await write({
          users: [
            userWrite('u1', {
              tags: new Map([[tag, deltaOf('user_tag', (d) => d.addSignal('affinity', 1, atMs))]]),
              blogs: new Map([
                [`b${i}`, deltaOf('user_blog', (d) => d.addSignal('affinity', 1, atMs))],
              ]),
            }),
          ],
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
      // The state of the tag pushed out is gone, not only its place in the index.
      await write({
        posts: [
          postWrite('p1', {
            create: { meta: { blogId: 'b0', tags: ['a'], reblogOf: '' }, parkedRead: 0 },
          }),
        ],
      });
      const { userTags, userBlogs } = joinsById(await store.readCandidates('u1', ['p1']));
      assert.deepEqual([userTags.size, userBlogs.size], [0, 0]);
    });

    it("reads a batch: the posts' metas lead to their blogs and the user's affinities", async () => {
      await write({
        posts: [postWrite('p1', { create: { meta: META, parkedRead: 0 } })],
        blogs: [{ blogId: 'b1', delta: deltaOf('blog', (d) => d.mergeAttribute('followers', 1)) }],
        users: [
          userWrite('u1', {
            delta: deltaOf('user', (d) => d.mergeAttribute('last_active_at', T0)),
            blogs: new Map([['b1', deltaOf('user_blog', (d) => d.addSignal('engagement', 1, T0))]]),
            tags: new Map([['art', deltaOf('user_tag', (d) => d.addSignal('affinity', 2, T0))]]),
            relations: [
              { relation: 'following', blogId: 'b1', atMs: T0, active: true },
              { relation: 'following', blogId: 'b9', atMs: T0, active: true },
            ],
          }),
        ],
      });
      for (const pass of ['first read', 'second read (metas remembered)']) {
        const states = await store.readCandidates('u1', ['p1', 'unknown']);
        assert.ok(states.user, pass);
        assert.deepEqual(states.posts.get('unknown'), { state: undefined, meta: undefined });
        assert.deepEqual(states.posts.get('p1')?.meta, META);
        const joins = joinsById(states);
        assert.deepEqual([...joins.blogs.keys()], ['b1']);
        assert.equal(LAYOUTS.blog.attributeValue(joins.blogs.get('b1')!, 'followers'), 1);
        assert.deepEqual([...joins.userBlogs.keys()], ['b1']);
        assert.deepEqual([...joins.following], ['b1']);
        assert.deepEqual([...joins.userTags.keys()], ['art']);
        const { blogSlots, tagFrom, tagCount, tagSlots } = states.posts.slots;
        assert.equal(states.blogIds[blogSlots[0]!], 'b1');
        const p1Tags = Array.from(tagSlots.subarray(tagFrom[0]!, tagFrom[0]! + tagCount[0]!));
        assert.deepEqual(
          p1Tags.map((slot) => states.tags[slot]),
          META.tags,
        );
        assert.equal(blogSlots[1], -1, 'the unknown post joins nothing');
      }
      const anonymous = joinsById(await store.readCandidates(undefined, ['p1']));
      assert.equal(
        anonymous.userBlogs.size + anonymous.userTags.size + anonymous.following.size,
        0,
      );
      assert.deepEqual([...anonymous.blogs.keys()], ['b1']);
    });

    it('answers reads in flight together as it answers them one at a time', async () => {
      const metaOf = (i: number): PostMeta => ({
        blogId: `b${i % 5}`,
        // Two tags: the contract keeps the state of two per user (interestCap).
        tags: [`t${i % 2}`, `t${(i + 1) % 2}`],
        reblogOf: '',
      });
      await write({
        posts: Array.from({ length: 40 }, (_, i) =>
          postWrite(`p${i}`, { create: { meta: metaOf(i), parkedRead: 0 } }),
        ),
        blogs: Array.from({ length: 5 }, (_, i) => ({
          blogId: `b${i}`,
          delta: deltaOf('blog', (d) => d.mergeAttribute('followers', i)),
        })),
        users: ['u1', 'u2'].map((userId, u) =>
          userWrite(userId, {
            delta: deltaOf('user', (d) => d.mergeAttribute('last_active_at', T0)),
            tags: new Map(
              ['t0', 't1'].map((tag, t) => [
                tag,
                deltaOf('user_tag', (d) => d.addSignal('affinity', 1 + t + 10 * u, T0)),
              ]),
            ),
          }),
        ),
      });
      const requests = [
        { userId: 'u1', postIds: Array.from({ length: 30 }, (_, i) => `p${i}`) },
        { userId: 'u2', postIds: Array.from({ length: 30 }, (_, i) => `p${39 - i}`) },
        { userId: 'u1', postIds: ['p7', 'unknown', 'p3'] },
      ];
      /** Each post's blog followers and the user's affinity to its tags, read off the joins. */
      const view = (states: Awaited<ReturnType<FeatureStore['readCandidates']>>) =>
        states.posts.ids.map((_, i) => {
          const { blogSlots, tagFrom, tagCount, tagSlots } = states.posts.slots;
          const blog = blogSlots[i]! < 0 ? undefined : states.blogs[blogSlots[i]!];
          const tags = Array.from(tagSlots.subarray(tagFrom[i]!, tagFrom[i]! + tagCount[i]!));
          return {
            followers: blog && LAYOUTS.blog.attributeValue(blog, 'followers'),
            tags: tags.map((slot) => [
              states.tags[slot],
              LAYOUTS.user_tag.counter(states.userTags[slot]!, 'affinity', 30 * DAY, T0),
            ]),
          };
        });
      const together = await Promise.all(
        requests.map(({ userId, postIds }) => store.readCandidates(userId, postIds)),
      );
      for (const [i, { userId, postIds }] of requests.entries()) {
        const alone = await store.readCandidates(userId, postIds);
        assert.deepEqual(view(together[i]!), view(alone), `request ${i}`);
      }
      assert.deepEqual(view(together[2]!)[0], {
        followers: 2,
        tags: [
          ['t1', 2],
          ['t0', 1],
        ],
      });
    });

    it('writes a batch of many entities at once as it would write them one by one', async () => {
      const ids = Array.from({ length: 450 }, (_, i) => `p${i}`);
      await write({
        posts: ids.map((postId, i) =>
          postWrite(postId, {
            delta: deltaOf('post', (d) => d.addSignal('impression', i + 1, T0)),
            create: {
              meta: { blogId: `b${i % 7}`, tags: [`t${i % 3}`], reblogOf: '' },
              parkedRead: 0,
            },
          }),
        ),
        users: Array.from({ length: 250 }, (_, i) =>
          userWrite(`u${i}`, {
            delta: deltaOf('user', (d) =>
              d.addSignal('session', 1, T0).mergeAttribute('last_session_at', T0),
            ),
            touches: [{ set: 'served', id: `p${i}`, atMs: T0 }],
          }),
        ),
        blogs: Array.from({ length: 7 }, (_, i) => ({
          blogId: `b${i}`,
          delta: deltaOf('blog', (d) => d.addSignal('post', i, T0)),
        })),
      });
      const read = await store.readCandidates(undefined, ids);
      const { posts } = read;
      const { blogs } = joinsById(read);
      ids.forEach((postId, i) => {
        assert.equal(LAYOUTS.post.counter(posts.get(postId)!.state!, 'impression', DAY, T0), i + 1);
        assert.equal(posts.get(postId)!.meta?.blogId, `b${i % 7}`);
      });
      assert.equal(LAYOUTS.blog.counter(blogs.get('b6')!, 'post', 7 * DAY, T0), 6);
      const last = await store.readUser('u249', 10);
      assert.deepEqual(last.sets.served, ['p249']);
      assert.equal(LAYOUTS.user.attributeValue(last.state!, 'last_session_at'), T0);
    });

    it('reads nothing for a user it never saw, and keeps users apart', async () => {
      await write({
        users: [
          userWrite('u1', {
            delta: deltaOf('user', (d) => d.addSignal('like', 1, T0)),
            touches: [{ set: 'engaged', id: 'p1', atMs: T0 }],
            tags: new Map([['art', deltaOf('user_tag', (d) => d.addSignal('affinity', 1, T0))]]),
          }),
        ],
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
