import assert from 'node:assert/strict';
import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import { engagement, follow, postCreated, postDeleted } from './test-fixtures/events.js';
import { NOW, TestWorld } from './test-fixtures/world.js';
import type { EngagementWrite, PostForWrite, PostRecord } from './candidate-store.js';
import { InMemoryCandidateStore } from './in-memory-candidate-store.js';

/**
 * A store whose reads of a post for a write (`postForWrite`) wait for `releaseReads` after
 * reading it, and whose posts are stored only when `releasePuts` is called: the steps of two
 * events applied side by side can be ordered at will.
 */
class HeldStore extends InMemoryCandidateStore {
  private heldReads: Promise<void> = Promise.resolve();
  private heldPuts: Promise<void> = Promise.resolve();
  releaseReads: () => void = () => {};
  releasePuts: () => void = () => {};

  holdReads(): void {
    this.heldReads = new Promise((resolve) => (this.releaseReads = resolve));
  }

  holdPuts(): void {
    this.heldPuts = new Promise((resolve) => (this.releasePuts = resolve));
  }

  override async postForWrite(postId: string): Promise<PostForWrite> {
    const read = await super.postForWrite(postId);
    await this.heldReads;
    return read;
  }

  override async putPost(post: PostRecord): Promise<boolean> {
    await this.heldPuts;
    return super.putPost(post);
  }
}

/**
 * A store whose next `failures` engagement writes throw, as a store that can fail does, and
 * whose engagement writes wait for `releaseRecords` once `holdRecords` is called.
 */
class FailingStore extends InMemoryCandidateStore {
  failures = 0;
  private heldRecords: Promise<void> = Promise.resolve();
  releaseRecords: () => void = () => {};

  holdRecords(): void {
    this.heldRecords = new Promise((resolve) => (this.releaseRecords = resolve));
  }

  override async recordEngagement(engagement: EngagementWrite): Promise<void> {
    await this.heldRecords;
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('store unavailable');
    }
    return super.recordEngagement(engagement);
  }
}

describe('CandidateIndexer', () => {
  it('keeps post metadata: blog, normalized tags, creation time, reblog root, a 280-char summary', async () => {
    const world = new TestWorld();
    const text = `${'a'.repeat(279)}😀 and more`;
    await world.apply(
      postCreated('p1', 'b1', NOW, {
        tags: ['#Cats', 'cats', ' Dogs ', ''],
        text,
        reblogOf: 'root',
      }),
    );
    const post = (await world.store.posts(['p1'])).get('p1');
    assert.deepEqual(post, {
      postId: 'p1',
      blogId: 'b1',
      tags: ['cats', 'dogs'],
      createdAtMs: NOW,
      reblogOf: 'root',
      popularity: undefined,
      engagements: 0,
    });
    // Cut before the emoji rather than through it.
    assert.equal((await world.store.summaries(['p1'])).get('p1'), 'a'.repeat(279));
  });

  it('ignores events it has no use for', async () => {
    const world = new TestWorld();
    await world.apply(
      { eventId: 'e1', atMs: NOW, payload: { $case: 'sessionStarted', value: { userId: 'u1' } } },
      { eventId: 'e2', atMs: NOW, payload: undefined },
    );
  });

  describe('a like applied before its post (the log partitions them apart)', () => {
    const post = postCreated('p1', 'b1', NOW - 60_000, { tags: ['music', 'vinyl'] });
    const likes = [
      engagement('u1', 'p1', NOW - 30_000),
      engagement('u2', 'p1', NOW - 20_000),
      engagement('u1', 'p1', NOW - 10_000, commonv1.EngagementKind.ENGAGEMENT_KIND_REBLOG),
    ];

    /** What the tags hold: the users' affinities, the tag's popular posts, its trend counts. */
    async function tagIndexes(world: TestWorld) {
      const { store } = world;
      return {
        u1: await store.userTags('u1', 10),
        u2: await store.userTags('u2', 10),
        popular: await store.popularPosts('music', 10),
        trending: await store.activeTrendSubjects('tag', 10),
        counts: await store.trendCounts('tag', ['music', 'vinyl'], '5m'),
      };
    }

    it('builds the same tag indexes as when the post came first', async () => {
      const inOrder = new TestWorld();
      await inOrder.apply(post, ...likes);
      const likesFirst = new TestWorld();
      await likesFirst.apply(...likes, post);
      const expected = await tagIndexes(inOrder);
      assert.equal(expected.u1.length, 2, 'u1 likes both tags');
      assert.deepEqual(
        expected.popular.map((p) => p.id),
        ['p1'],
      );
      assert.deepEqual(expected.trending.map((t) => t.id).sort(), ['music', 'vinyl']);
      assert.deepEqual(await tagIndexes(likesFirst), expected);
      assert.deepEqual(likesFirst.pipeline.indexer.earlyEngagements, { waiting: 0, forgotten: 0 });
    });

    it('credits them once, however often the post is created again', async () => {
      const once = new TestWorld();
      await once.apply(...likes, post);
      const twice = new TestWorld();
      await twice.apply(...likes, post, post);
      assert.deepEqual(await tagIndexes(twice), await tagIndexes(once));
    });

    it('credits a like that read the post unknown while its first PostCreated was stored, without it being delivered again', async () => {
      const like = likes[0]!;
      const inOrder = new TestWorld();
      await inOrder.apply(post, like);
      const store = new HeldStore();
      const raced = new TestWorld({ store });
      // The like reads p1 unknown; the first PostCreated is stored (no early likes to take
      // yet); only then does the like go on.
      store.holdReads();
      const liking = raced.apply(like);
      await raced.apply(post);
      store.releaseReads();
      await liking;
      assert.deepEqual(raced.pipeline.indexer.earlyEngagements, { waiting: 0, forgotten: 0 });
      assert.equal((await raced.store.userTags('u1', 10)).length, 2, 'u1 likes both tags');
      assert.deepEqual(await tagIndexes(raced), await tagIndexes(inOrder));
      // Credited once: a PostCreated delivered again finds nothing waiting.
      await raced.apply(post);
      assert.deepEqual(await tagIndexes(raced), await tagIndexes(inOrder));
    });

    it('credits a like applied while its first PostCreated was being stored', async () => {
      const like = likes[0]!;
      const inOrder = new TestWorld();
      await inOrder.apply(post, like);
      const store = new HeldStore();
      const raced = new TestWorld({ store });
      // The PostCreated is under way but p1 not stored yet: the like reads it unknown, before
      // and after it is recorded.
      store.holdPuts();
      const creating = raced.apply(post);
      await raced.apply(like);
      store.releasePuts();
      await creating;
      assert.deepEqual(raced.pipeline.indexer.earlyEngagements, { waiting: 0, forgotten: 0 });
      assert.deepEqual(await tagIndexes(raced), await tagIndexes(inOrder));
    });

    it('leaves nothing waiting for a post deleted while a like of it read it unknown', async () => {
      const store = new HeldStore();
      const world = new TestWorld({ store });
      store.holdReads();
      const liking = world.apply(likes[0]!);
      await world.apply(postDeleted('p1', NOW - 5_000));
      store.releaseReads();
      await liking;
      assert.deepEqual(world.pipeline.indexer.earlyEngagements, { waiting: 0, forgotten: 0 });
      await world.apply(post);
      assert.deepEqual(await world.store.userTags('u1', 10), []);
    });

    it('credits nothing to a post deleted before it came', async () => {
      const world = new TestWorld();
      await world.apply(...likes, postDeleted('p1', NOW - 5_000), post);
      assert.deepEqual(await world.store.userTags('u1', 10), []);
      assert.deepEqual(await world.store.popularPosts('music', 10), []);
      assert.deepEqual(world.pipeline.indexer.earlyEngagements.waiting, 0);
    });
  });

  describe('an engagement delivered more than once (delivery is at least once)', () => {
    const post = postCreated('p1', 'b1', NOW - 60_000, { tags: ['music'] });
    const like = engagement('u1', 'p1', NOW - 30_000);

    /** What one like of p1 changes: its popularity and count, u1's tag affinity. */
    async function counted(world: TestWorld) {
      const { store } = world;
      return {
        post: (await store.posts(['p1'])).get('p1'),
        popular: await store.popularPosts(undefined, 10),
        u1: await store.userTags('u1', 10),
      };
    }

    async function once() {
      const world = new TestWorld();
      await world.apply(post, like);
      return counted(world);
    }

    it('counts it once', async () => {
      const world = new TestWorld();
      await world.apply(post, like, like);
      assert.deepEqual(await counted(world), await once());
    });

    it('counts it once when the deliveries are applied side by side', async () => {
      const store = new FailingStore();
      const world = new TestWorld({ store });
      await world.apply(post);
      store.holdRecords();
      const first = world.apply(like);
      const second = world.apply(like);
      store.releaseRecords();
      await Promise.all([first, second]);
      assert.deepEqual(await counted(world), await once());
    });

    it('applies the redelivery of one whose store write failed, once', async () => {
      const store = new FailingStore();
      const world = new TestWorld({ store });
      await world.apply(post);
      store.failures = 1;
      await assert.rejects(world.apply(like), /store unavailable/);
      await world.apply(like);
      const expected = await once();
      assert.equal(expected.post?.engagements, 1);
      assert.deepEqual(await counted(world), expected);
      // Applied now: a further delivery is a duplicate.
      await world.apply(like);
      assert.deepEqual(await counted(world), expected);
    });

    it('applies a delivery that came while another failed to store it, once', async () => {
      const store = new FailingStore();
      const world = new TestWorld({ store });
      await world.apply(post);
      store.failures = 1;
      store.holdRecords();
      const failing = world.apply(like);
      const waiting = world.apply(like);
      store.releaseRecords();
      await assert.rejects(failing, /store unavailable/);
      await waiting;
      assert.deepEqual(await counted(world), await once());
    });
  });

  const malformed: [string, eventsv1.Event, string][] = [
    ['a post without an id', postCreated('', 'b1', NOW), 'post_created.post_id'],
    ['a follow of a bad blog id', follow('u1', 'no spaces', NOW), 'follow.blog_id'],
    ['an engagement without a user', engagement('', 'p1', NOW), 'engagement.user_id'],
    ['a post without a time', postCreated('p1', 'b1', 0), 'at_ms'],
  ];
  for (const [what, event, field] of malformed) {
    it(`throws on ${what}, so the event is retried and then dead-lettered`, async () => {
      const world = new TestWorld();
      const error = await world.apply(event).catch((e: unknown) => e);
      assert.ok(error instanceof InvalidArgumentError, String(error));
      assert.equal(error.field, field);
    });
  }
});
