import assert from 'node:assert/strict';
import type { CandidateStore, PostRecord, StoreLimits } from './candidate-store.js';
import { logSumExp } from './decay.js';
import { PRUNE_SLACK } from './trend-buckets.js';

/** Small caps so the suite can show them being kept. */
export const CONTRACT_LIMITS: Partial<StoreLimits> = {
  postsPerBlog: 5,
  recentPostsPerTag: 5,
  popularPostsPerTag: 5,
  popularPosts: 3,
  newBlogs: 5,
  followsPerUser: 3,
  tagsPerUser: 3,
  engagementsPerUser: 3,
  engagersPerPost: 3,
  trendTags: 3,
  trendPosts: 3,
  trendBuckets: { '5m': 4, '1h': 4 },
};

export interface StoreUnderTest {
  readonly store: CandidateStore;
  cleanup(): Promise<void>;
}

const T = Date.UTC(2025, 0, 1);

function post(postId: string, overrides: Partial<PostRecord> = {}): PostRecord {
  return {
    postId,
    blogId: 'b1',
    tags: ['cats'],
    createdAtMs: T,
    reblogOf: '',
    summary: `summary of ${postId}`,
    ...overrides,
  };
}

const ids = (entries: readonly { id: string }[]) => entries.map((e) => e.id);

/**
 * What every CandidateStore must do, run against each implementation with CONTRACT_LIMITS.
 * `create` returns an empty store.
 */
export function candidateStoreContract(name: string, create: () => Promise<StoreUnderTest>) {
  describe(`CandidateStore contract: ${name}`, () => {
    let subject: StoreUnderTest;
    let store: CandidateStore;
    beforeEach(async () => {
      subject = await create();
      store = subject.store;
    });
    afterEach(() => subject.cleanup());

    describe('posts', () => {
      it('returns a stored post with no engagement yet, and leaves unknown ids out', async () => {
        const record = post('p1', { tags: ['cats', 'dogs'], reblogOf: 'p0' });
        assert.equal(await store.putPost(record), true);
        const found = await store.posts(['p1', 'nope']);
        assert.deepEqual([...found.keys()], ['p1']);
        const { summary, ...info } = record;
        assert.deepEqual(found.get('p1'), { ...info, popularity: undefined, engagements: 0 });
        assert.deepEqual(await store.postForWrite('p1'), { state: 'live', post: info });
        assert.deepEqual(await store.summaries(['p1', 'nope']), new Map([['p1', summary]]));
        assert.deepEqual(await store.postForWrite('nope'), { state: 'unknown' });
      });

      it('answers a post read again with what changed since: engagements, a deletion, not a PostCreated delivered again', async () => {
        // Reads in between each change: a store that reuses what it handed out must not go stale.
        await store.putPost(post('p1', { tags: ['cats'] }));
        assert.equal((await store.posts(['p1'])).get('p1')?.engagements, 0);
        await store.recordEngagement({
          userId: 'u1',
          postId: 'p1',
          atMs: T,
          tags: ['cats'],
          popularity: 2,
        });
        const engaged = (await store.posts(['p1'])).get('p1')!;
        assert.deepEqual([engaged.engagements, engaged.popularity], [1, 2]);
        await store.recordEngagement({
          userId: 'u2',
          postId: 'p1',
          atMs: T,
          tags: ['cats'],
          popularity: 3,
        });
        const again = (await store.posts(['p1'])).get('p1')!;
        assert.equal(again.engagements, 2);
        assert.ok(Math.abs(again.popularity! - logSumExp(2, 3)) < 1e-9);

        assert.equal(await store.putPost(post('p1', { tags: ['dogs', 'birds'] })), false);
        const redelivered = (await store.posts(['p1'])).get('p1')!;
        assert.deepEqual([redelivered.tags, redelivered.engagements], [['cats'], 2]);
        await store.deletePost('p1', T + 1);
        assert.equal((await store.posts(['p1'])).has('p1'), false);
      });

      it('indexes a post under its blog and tags, newest first, from a time on', async () => {
        await store.putPost(post('old', { createdAtMs: T - 10 }));
        await store.putPost(post('new', { createdAtMs: T + 10 }));
        await store.putPost(post('other', { blogId: 'b2', tags: ['dogs'] }));
        const byBlog = await store.blogPosts(['b1', 'b2', 'b3'], 10, T - 10);
        assert.deepEqual(ids(byBlog.get('b1')!), ['new', 'old']);
        assert.deepEqual(byBlog.get('b1')![0]!.score, T + 10);
        assert.deepEqual(ids(byBlog.get('b2')!), ['other']);
        assert.deepEqual(byBlog.get('b3'), []);
        assert.deepEqual(ids((await store.blogPosts(['b1'], 10, T)).get('b1')!), ['new']);
        assert.deepEqual(ids((await store.blogPosts(['b1'], 1, 0)).get('b1')!), ['new']);
        const byTag = await store.recentTagPosts(['cats', 'dogs'], 10);
        assert.deepEqual(ids(byTag.get('cats')!), ['new', 'old']);
        assert.deepEqual(ids(byTag.get('dogs')!), ['other']);
      });

      it('keeps only the newest posts per blog and per tag', async () => {
        for (let i = 0; i < 8; i++) await store.putPost(post(`p${i}`, { createdAtMs: T + i }));
        const byBlog = await store.blogPosts(['b1'], 100, 0);
        assert.deepEqual(ids(byBlog.get('b1')!), ['p7', 'p6', 'p5', 'p4', 'p3']);
        const byTag = await store.recentTagPosts(['cats'], 100);
        assert.deepEqual(ids(byTag.get('cats')!), ['p7', 'p6', 'p5', 'p4', 'p3']);
      });
    });

    describe('deleting a post', () => {
      it('removes it from every index and remembers it, so a late PostCreated is ignored', async () => {
        await store.putPost(post('p1', { tags: ['cats'] }));
        await store.putPost(post('p2', { tags: ['cats'] }));
        for (const postId of ['p1', 'p2']) {
          await store.recordEngagement({
            userId: 'u1',
            postId,
            atMs: T,
            tags: ['cats'],
            popularity: 1,
            affinity: 1,
            coEngagement: true,
            trend: { buckets: { '5m': 10, '1h': 1 }, activity: 1 },
          });
        }
        await store.deletePost('p1', T + 1);

        assert.deepEqual([...(await store.posts(['p1', 'p2'])).keys()], ['p2']);
        assert.deepEqual(await store.postForWrite('p1'), { state: 'deleted' });
        assert.deepEqual(ids((await store.blogPosts(['b1'], 10, 0)).get('b1')!), ['p2']);
        assert.deepEqual(ids((await store.recentTagPosts(['cats'], 10)).get('cats')!), ['p2']);
        assert.deepEqual(ids(await store.popularPosts(undefined, 10)), ['p2']);
        assert.deepEqual(ids(await store.popularPosts('cats', 10)), ['p2']);
        assert.deepEqual(ids(await store.activeTrendSubjects('post', 10)), ['p2']);
        assert.deepEqual((await store.recentEngagers(['p1'], 10)).get('p1'), []);
        assert.deepEqual((await store.trendCounts('post', ['p1'], '5m')).get('p1')?.size, 0);

        assert.equal(await store.putPost(post('p1')), false);
        assert.deepEqual([...(await store.posts(['p1'])).keys()], []);
        assert.deepEqual(ids((await store.blogPosts(['b1'], 10, 0)).get('b1')!), ['p2']);
      });

      it('keeps the first PostCreated of a post: one delivered again with another blog and tags changes nothing, and a delete leaves no list holding it', async () => {
        assert.equal(await store.putPost(post('p1', { blogId: 'b1', tags: ['a'] })), true);
        assert.equal(await store.putPost(post('p1', { blogId: 'b2', tags: ['c'] })), false);
        const { summary, ...first } = post('p1', { blogId: 'b1', tags: ['a'] });
        assert.deepEqual(await store.postForWrite('p1'), { state: 'live', post: first });
        assert.deepEqual(ids((await store.blogPosts(['b1'], 10, 0)).get('b1')!), ['p1']);
        assert.deepEqual(ids((await store.recentTagPosts(['a'], 10)).get('a')!), ['p1']);
        assert.deepEqual(await store.summaries(['p1']), new Map([['p1', summary]]));

        await store.deletePost('p1', T + 1);
        const byBlog = await store.blogPosts(['b1', 'b2'], 10, 0);
        assert.deepEqual(
          byBlog,
          new Map([
            ['b1', []],
            ['b2', []],
          ]),
        );
        const byTag = await store.recentTagPosts(['a', 'c'], 10);
        assert.deepEqual(
          byTag,
          new Map([
            ['a', []],
            ['c', []],
          ]),
        );
        assert.deepEqual(await store.newestOfBlogs(['b1', 'b2'], 10, 10, 0), []);
      });

      it('keeps a post deleted before its PostCreated arrived from ever appearing', async () => {
        await store.deletePost('p1', T);
        await store.deletePost('p1', T);
        assert.equal(await store.putPost(post('p1')), false);
        assert.deepEqual([...(await store.posts(['p1'])).keys()], []);
        assert.deepEqual(await store.blogPosts(['b1'], 10, 0), new Map([['b1', []]]));
      });
    });

    describe('blogs', () => {
      it('returns stored blogs and the newest ones created since a time', async () => {
        await store.putBlog({ blogId: 'b1', ownerUserId: 'u1', name: 'one', createdAtMs: T });
        await store.putBlog({ blogId: 'b2', ownerUserId: 'u2', name: 'two', createdAtMs: T + 5 });
        await store.putBlog({ blogId: 'b0', ownerUserId: 'u0', name: 'zero', createdAtMs: T - 5 });
        const blogs = await store.blogs(['b1', 'nope']);
        assert.deepEqual(
          [...blogs.values()],
          [{ blogId: 'b1', ownerUserId: 'u1', name: 'one', createdAtMs: T }],
        );
        assert.deepEqual(await store.newBlogs(T, 10), [
          { id: 'b2', score: T + 5 },
          { id: 'b1', score: T },
        ]);
        assert.deepEqual(ids(await store.newBlogs(0, 1)), ['b2']);
      });
    });

    describe('hidden content', () => {
      it('lists blocked blogs (the later of block and unblock wins) and hidden posts', async () => {
        await store.setBlock('u1', 'b1', T + 2, true);
        await store.setBlock('u1', 'b1', T + 1, false);
        await store.setBlock('u1', 'b2', T, true);
        await store.setBlock('u1', 'b2', T, false);
        await store.hidePost('u1', 'p9', T);
        assert.deepEqual(await store.hiddenFrom('u1'), {
          blogs: new Set(['b1']),
          posts: new Set(['p9']),
        });
        assert.deepEqual(await store.hiddenFrom('u2'), { blogs: new Set(), posts: new Set() });
      });
    });

    describe('fan-out on read', () => {
      it('merges the newest posts of several blogs, at most perBlog of each, from a time on', async () => {
        for (let i = 0; i < 4; i++) {
          await store.putPost(post(`a${i}`, { blogId: 'ba', createdAtMs: T + 10 * i }));
          await store.putPost(post(`b${i}`, { blogId: 'bb', createdAtMs: T + 10 * i + 5 }));
        }
        assert.deepEqual(ids(await store.newestOfBlogs(['ba', 'bb', 'nope'], 10, 2, T)), [
          'b3',
          'a3',
          'b2',
          'a2',
        ]);
        assert.deepEqual(ids(await store.newestOfBlogs(['ba', 'bb'], 3, 10, T + 12)), [
          'b3',
          'a3',
          'b2',
        ]);
      });
    });

    describe('follows', () => {
      it('lists followed blogs most recently followed first, up to the cap', async () => {
        for (let i = 0; i < 5; i++) await store.setFollow('u1', `b${i}`, T + i, true);
        assert.deepEqual(await store.followedBlogs('u1', 10), ['b4', 'b3', 'b2']);
        assert.deepEqual(await store.followedBlogs('u1', 1), ['b4']);
        assert.deepEqual(await store.followedBlogs('nobody', 10), []);
      });

      it('lets the later of a follow and an unfollow win, whatever order they arrive in', async () => {
        await store.setFollow('u1', 'b1', T + 2, false);
        await store.setFollow('u1', 'b1', T + 1, true);
        assert.deepEqual(await store.followedBlogs('u1', 10), []);
        await store.setFollow('u1', 'b1', T + 3, true);
        assert.deepEqual(await store.followedBlogs('u1', 10), ['b1']);
        await store.setFollow('u1', 'b1', T + 2, false);
        assert.deepEqual(await store.followedBlogs('u1', 10), ['b1']);
      });

      it('lets an unfollow win a tie with a follow, in either order', async () => {
        await store.setFollow('u1', 'b1', T, true);
        await store.setFollow('u1', 'b1', T, false);
        await store.setFollow('u2', 'b1', T, false);
        await store.setFollow('u2', 'b1', T, true);
        assert.deepEqual(await store.followedBlogs('u1', 10), []);
        assert.deepEqual(await store.followedBlogs('u2', 10), []);
      });
    });

    describe('engagements', () => {
      it('adds popularity by log-sum-exp on the post, globally and per tag', async () => {
        await store.putPost(post('p1', { tags: ['cats', 'dogs'] }));
        for (const increment of [2, 3]) {
          await store.recordEngagement({
            userId: 'u1',
            postId: 'p1',
            atMs: T,
            tags: ['cats', 'dogs'],
            popularity: increment,
          });
        }
        const expected = logSumExp(2, 3);
        const state = (await store.posts(['p1'])).get('p1')!;
        assert.ok(Math.abs(state.popularity! - expected) < 1e-9);
        assert.equal(state.engagements, 2);
        for (const tag of [undefined, 'cats', 'dogs']) {
          const [top] = await store.popularPosts(tag, 10);
          assert.equal(top?.id, 'p1');
          assert.ok(Math.abs(top.score - expected) < 1e-9, `${tag}: ${top.score}`);
        }
      });

      it('keeps the most popular posts up to the cap, most popular first', async () => {
        for (let i = 0; i < 5; i++) {
          await store.recordEngagement({
            userId: 'u1',
            postId: `p${i}`,
            atMs: T,
            tags: [],
            popularity: i,
          });
        }
        assert.deepEqual(ids(await store.popularPosts(undefined, 10)), ['p4', 'p3', 'p2']);
        // A post dropped by the cap starts again from its new engagement alone.
        await store.recordEngagement({
          userId: 'u1',
          postId: 'p0',
          atMs: T,
          tags: [],
          popularity: 2.5,
        });
        assert.deepEqual(ids(await store.popularPosts(undefined, 10)), ['p4', 'p3', 'p0']);
      });

      it('counts an engagement that arrives before its post, and keeps it when the post comes', async () => {
        await store.recordEngagement({
          userId: 'u1',
          postId: 'early',
          atMs: T,
          tags: [],
          popularity: 1,
        });
        assert.deepEqual(await store.postForWrite('early'), { state: 'unknown' });
        assert.deepEqual([...(await store.posts(['early'])).keys()], []);
        await store.putPost(post('early'));
        const state = (await store.posts(['early'])).get('early')!;
        assert.equal(state.engagements, 1);
        assert.ok(Math.abs(state.popularity! - 1) < 1e-9);
      });

      it('credits the tags of an engagement recorded before its post once the post is stored, and nothing to an unknown post', async () => {
        const early = {
          userId: 'u1',
          postId: 'early',
          atMs: T,
          tags: [] as string[],
          popularity: 1,
          affinity: 1,
        };
        await store.recordEngagement(early);
        await store.creditTags({ ...early, postId: 'never-stored', tags: ['x'] });
        await store.putPost(post('early', { tags: ['x'] }));
        await store.creditTags({ ...early, tags: ['x'] });
        assert.deepEqual(ids(await store.userTags('u1', 10)), ['x']);
        assert.deepEqual(ids(await store.popularPosts('x', 10)), ['early']);
        const state = (await store.posts(['early'])).get('early')!;
        assert.equal(state.engagements, 1, 'the engagement itself counts once');
      });

      it('ranks a user’s tags by affinity, keeping the strongest up to the cap', async () => {
        const affinity = (tags: string[], value: number) =>
          store.recordEngagement({ userId: 'u1', postId: 'p', atMs: T, tags, affinity: value });
        await affinity(['a', 'b'], 1);
        await affinity(['b', 'c'], 1);
        await affinity(['d'], 0.5);
        await affinity(['e'], 5);
        const tags = await store.userTags('u1', 10);
        assert.deepEqual(ids(tags), ['e', 'b', 'c', 'd'].slice(0, 3));
        assert.ok(Math.abs(tags[1]!.score - logSumExp(1, 1)) < 1e-9);
        assert.deepEqual(await store.userTags('nobody', 10), []);
      });

      it('remembers recent engagers and engagements, newest first, capped', async () => {
        const engage = (userId: string, postId: string, atMs: number) =>
          store.recordEngagement({ userId, postId, atMs, tags: [], coEngagement: true });
        await engage('u1', 'p1', T + 1);
        await engage('u1', 'p2', T + 2);
        await engage('u2', 'p1', T + 3);
        await engage('u1', 'p3', T + 4);
        await engage('u1', 'p4', T + 5);
        // An older, redelivered engagement does not move p2 forward.
        await engage('u1', 'p2', T);
        const mine = await store.recentEngagements(['u1', 'u2', 'u3'], 10);
        assert.deepEqual(ids(mine.get('u1')!), ['p4', 'p3', 'p2']);
        assert.deepEqual(mine.get('u2'), [{ id: 'p1', score: T + 3 }]);
        assert.deepEqual(mine.get('u3'), []);
        const engagers = await store.recentEngagers(['p1'], 10);
        assert.deepEqual(ids(engagers.get('p1')!), ['u2', 'u1']);
      });

      it('walks from the user’s posts to their co-engagers’ posts, damped by popularity', async () => {
        const engage = (userId: string, postId: string) =>
          store.recordEngagement({
            userId,
            postId,
            atMs: T,
            tags: [],
            popularity: 1,
            coEngagement: true,
          });
        for (const p of ['seed', 'niche', 'hit']) await store.putPost(post(p));
        await engage('me', 'seed');
        await engage('twin', 'seed');
        await engage('twin', 'niche');
        await engage('twin', 'hit');
        for (const fan of ['f1', 'f2']) await engage(fan, 'hit');
        const walk = { seeds: 10, engagersPerSeed: 10, maxEngagers: 10, postsPerEngager: 10 };
        const damped = await store.coEngagementWalk('me', { ...walk, damping: 1 }, new Set(), 10);
        assert.deepEqual(ids(damped), ['niche', 'hit']);
        // Seed → twin (its only other engager): 1; twin → each of 3 posts: 1/3; / engagements.
        assert.ok(Math.abs(damped[0]!.score - 1 / 3) < 1e-9, `${damped[0]!.score}`);
        assert.ok(Math.abs(damped[1]!.score - 1 / 9) < 1e-9, `${damped[1]!.score}`);
        const excluded = await store.coEngagementWalk(
          'me',
          { ...walk, damping: 1 },
          new Set(['niche']),
          10,
        );
        assert.deepEqual(ids(excluded), ['hit']);
        assert.deepEqual(
          await store.coEngagementWalk('nobody', { ...walk, damping: 1 }, new Set(), 10),
          [],
        );
      });

      it('walks from the user’s posts to what their engagers engaged with next to them', async () => {
        const engage = (userId: string, postId: string, atMs: number) =>
          store.recordEngagement({
            userId,
            postId,
            atMs,
            tags: [],
            popularity: 1,
            coEngagement: true,
          });
        for (const p of ['seed', 'before', 'after', 'next', 'far']) await store.putPost(post(p));
        await engage('me', 'seed', T);
        // twin: before, seed, after. pal: seed, next, far (two places from the seed).
        await engage('twin', 'after', T + 3);
        await engage('twin', 'before', T + 1);
        await engage('twin', 'seed', T + 2);
        await engage('pal', 'seed', T + 1);
        await engage('pal', 'next', T + 2);
        await engage('pal', 'far', T + 3);
        const walk = { seeds: 10, engagersPerSeed: 10, window: 1, damping: 0 };
        const walked = await store.sessionWalk('me', walk, new Set(), 10);
        // The seed hands out 1 in all, over the three neighbours within the window.
        assert.deepEqual(ids(walked), ['after', 'before', 'next']);
        for (const { score } of walked) assert.ok(Math.abs(score - 1 / 3) < 1e-9, `${score}`);
        for (const fan of ['f1', 'f2', 'f3']) await engage(fan, 'after', T + 5);
        const damped = await store.sessionWalk('me', { ...walk, damping: 1 }, new Set(), 10);
        assert.deepEqual(ids(damped), ['before', 'next', 'after']);
        assert.ok(Math.abs(damped[2]!.score - 1 / 12) < 1e-9, `${damped[2]!.score}`);
        const excluded = await store.sessionWalk('me', walk, new Set(['before']), 10);
        assert.deepEqual(ids(excluded), ['after', 'next']);
        assert.deepEqual(await store.sessionWalk('nobody', walk, new Set(), 10), []);
      });

      it('records nothing a write leaves out', async () => {
        await store.putPost(post('p1'));
        await store.recordEngagement({ userId: 'u1', postId: 'p1', atMs: T, tags: ['cats'] });
        assert.equal((await store.posts(['p1'])).get('p1')?.engagements, 0);
        assert.deepEqual(await store.popularPosts(undefined, 10), []);
        assert.deepEqual(await store.userTags('u1', 10), []);
        assert.deepEqual((await store.recentEngagements(['u1'], 10)).get('u1'), []);
        assert.deepEqual(await store.activeTrendSubjects('tag', 10), []);
      });
    });

    describe('trend counts', () => {
      const trend = (postId: string, tags: string[], bucket5: number, activity = 1) =>
        store.recordEngagement({
          userId: 'u1',
          postId,
          atMs: T,
          tags,
          trend: { buckets: { '5m': bucket5, '1h': Math.floor(bucket5 / 12) }, activity },
        });

      it('counts engagements per bucket for the post and each of its tags', async () => {
        await trend('p1', ['cats', 'dogs'], 120);
        await trend('p1', ['cats', 'dogs'], 120);
        await trend('p1', ['cats', 'dogs'], 121);
        await trend('p2', ['cats'], 130);
        const fine = await store.trendCounts('tag', ['cats', 'dogs', 'none'], '5m');
        assert.deepEqual(
          fine.get('cats'),
          new Map([
            [120, 2],
            [121, 1],
            [130, 1],
          ]),
        );
        assert.deepEqual(
          fine.get('dogs'),
          new Map([
            [120, 2],
            [121, 1],
          ]),
        );
        assert.deepEqual(fine.get('none'), new Map());
        const coarse = await store.trendCounts('post', ['p1', 'p2'], '1h');
        assert.deepEqual(coarse.get('p1'), new Map([[10, 3]]));
        assert.deepEqual(coarse.get('p2'), new Map([[10, 1]]));
      });

      it('ranks the most active subjects, capped', async () => {
        await trend('p1', ['a'], 1, 1);
        await trend('p2', ['b'], 1, 3);
        await trend('p3', ['c'], 1, 2);
        await trend('p4', ['d'], 1, 0.5);
        assert.deepEqual(ids(await store.activeTrendSubjects('post', 10)), ['p2', 'p3', 'p1']);
        assert.deepEqual(ids(await store.activeTrendSubjects('tag', 2)), ['b', 'c']);
      });

      it('prunes buckets far behind the newest once there are too many', async () => {
        const keep = CONTRACT_LIMITS.trendBuckets!['5m'];
        const buckets = keep + PRUNE_SLACK + 1;
        for (let b = 0; b < buckets; b++) await trend('p1', [], 1000 + b);
        const counts = (await store.trendCounts('post', ['p1'], '5m')).get('p1')!;
        const newest = 1000 + buckets - 1;
        assert.deepEqual(
          [...counts.keys()].sort((a, b) => a - b),
          Array.from({ length: keep }, (_, i) => newest - keep + 1 + i),
        );
      });
    });
  });
}
