import assert from 'node:assert/strict';
import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import { blogCreated, engagement, follow, postCreated } from './test-fixtures/events.js';
import { DAY, HOUR, NOW, TestWorld } from './test-fixtures/world.js';

const { Surface } = commonv1;
const everySource = new Map(
  ['following', 'tags', 'co-engagement', 'embeddings', 'trending', 'popular', 'fresh'].map(
    (name) => [name, { maxCandidates: 100, timeoutMs: 0 }],
  ),
);

let n = 0;
function block(userId: string, blogId: string, atMs: number, blocked = true): eventsv1.Event {
  return {
    eventId: `block-${++n}`,
    atMs,
    payload: blocked
      ? { $case: 'block', value: { userId, blogId } }
      : { $case: 'unblock', value: { userId, blogId } },
  };
}

/** u1 follows a blog, likes cats; a new blog's popular cat post is seen by every source. */
async function catWorld(world: TestWorld) {
  await world.apply(
    blogCreated('loud', NOW - DAY, 'loud'),
    blogCreated('calm', NOW - 300 * DAY, 'calm'),
    postCreated('loud-cat', 'loud', NOW - HOUR, { tags: ['cats'] }),
    postCreated('calm-cat', 'calm', NOW - HOUR, { tags: ['cats'] }),
    postCreated('seed', 'calm', NOW - 2 * HOUR, { tags: ['cats'] }),
    follow('u1', 'loud', NOW - DAY),
    follow('u1', 'calm', NOW - DAY),
    engagement('u1', 'seed', NOW - HOUR),
  );
  for (let i = 0; i < 8; i++) {
    await world.apply(
      engagement(`fan${i}`, 'seed', NOW - 50 * 60_000),
      engagement(`fan${i}`, 'loud-cat', NOW - 40 * 60_000 + i),
    );
  }
}

async function proposedTo(world: TestWorld, userId: string) {
  const response = await world.generate({
    userId,
    surface: Surface.SURFACE_FOR_YOU,
    budgets: everySource,
  });
  return new Map(response.candidates.map((c) => [c.postId, c.sources.map((s) => s.source)]));
}

describe('Hidden content', () => {
  it('never proposes a post of a blog the user blocked, from any source, until unblocked', async () => {
    const world = new TestWorld();
    await catWorld(world);
    const before = await proposedTo(world, 'u1');
    assert.ok((before.get('loud-cat')?.length ?? 0) >= 3, JSON.stringify([...before]));

    await world.apply(block('u1', 'loud', NOW - 10 * 60_000));
    const after = await proposedTo(world, 'u1');
    assert.equal(after.has('loud-cat'), false);
    assert.ok(after.has('calm-cat'), 'other blogs are untouched');
    assert.ok((await proposedTo(world, 'u2')).has('loud-cat'), 'other users are untouched');

    await world.apply(block('u1', 'loud', NOW - 60_000, false));
    assert.ok((await proposedTo(world, 'u1')).has('loud-cat'));
  });

  it('keeps the later of a block and an unblock, whatever order they arrive in', async () => {
    const world = new TestWorld();
    await catWorld(world);
    await world.apply(block('u1', 'loud', NOW - 60_000), block('u1', 'loud', NOW - 120_000, false));
    assert.equal((await proposedTo(world, 'u1')).has('loud-cat'), false);
  });

  it('never proposes again a post the user hid or reported', async () => {
    const world = new TestWorld();
    await catWorld(world);
    await world.apply(
      engagement('u1', 'loud-cat', NOW - 60_000, commonv1.EngagementKind.ENGAGEMENT_KIND_HIDE),
      engagement('u1', 'calm-cat', NOW - 60_000, commonv1.EngagementKind.ENGAGEMENT_KIND_REPORT),
    );
    const proposed = await proposedTo(world, 'u1');
    assert.equal(proposed.has('loud-cat'), false);
    assert.equal(proposed.has('calm-cat'), false);
    assert.ok((await proposedTo(world, 'u2')).has('loud-cat'));
  });

  it('costs the popular source none of its budget: it reads past a blocked blog’s posts', async () => {
    const world = new TestWorld();
    // The three most popular posts are of a blog u1 blocked; five others are less popular.
    for (let i = 0; i < 3; i++) await world.apply(postCreated(`loud${i}`, 'loud', NOW - HOUR));
    for (let i = 0; i < 5; i++) await world.apply(postCreated(`calm${i}`, 'calm', NOW - HOUR));
    for (const [postId, fans] of [
      ...[0, 1, 2].map((i) => [`loud${i}`, 10] as const),
      ...[0, 1, 2, 3, 4].map((i) => [`calm${i}`, 5 - i] as const),
    ]) {
      for (let f = 0; f < fans; f++) await world.apply(engagement(`fan${f}`, postId, NOW - HOUR));
    }
    await world.apply(block('u1', 'loud', NOW - 10 * 60_000));
    const response = await world.generate({
      userId: 'u1',
      surface: Surface.SURFACE_FOR_YOU,
      budgets: new Map([['popular', { maxCandidates: 4, timeoutMs: 0 }]]),
    });
    assert.deepEqual(
      response.candidates.map((c) => c.postId),
      ['calm0', 'calm1', 'calm2', 'calm3'],
    );
  });

  it('costs the following source none of its budget: a followed blog the user blocked takes no places', async () => {
    const world = new TestWorld();
    // u1 follows both blogs and blocked the prolific one, whose posts are all newer.
    for (let i = 0; i < 10; i++) {
      await world.apply(postCreated(`loud${i}`, 'loud', NOW - HOUR + i * 60_000));
    }
    for (let i = 0; i < 5; i++) await world.apply(postCreated(`calm${i}`, 'calm', NOW - 2 * HOUR));
    await world.apply(
      follow('u1', 'loud', NOW - DAY),
      follow('u1', 'calm', NOW - DAY),
      block('u1', 'loud', NOW - 10 * 60_000),
    );
    const response = await world.generate({
      userId: 'u1',
      surface: Surface.SURFACE_FOR_YOU,
      budgets: new Map([['following', { maxCandidates: 5, timeoutMs: 0 }]]),
    });
    assert.deepEqual(response.candidates.map((c) => c.postId).sort(), [
      'calm0',
      'calm1',
      'calm2',
      'calm3',
      'calm4',
    ]);
  });

  it('costs the tags source none of its budget: on a tag page it reads past a blocked blog’s posts', async () => {
    const world = new TestWorld();
    // u1 blocked the blog holding the tag's 50 most popular and newest posts; another blog
    // has 10 quieter, older posts of the tag.
    for (let i = 0; i < 50; i++) {
      await world.apply(
        postCreated(`loud${i}`, 'loud', NOW - HOUR + i * 1_000, { tags: ['cats'] }),
        engagement('fan0', `loud${i}`, NOW - HOUR),
        engagement('fan1', `loud${i}`, NOW - HOUR),
      );
    }
    for (let i = 0; i < 10; i++) {
      await world.apply(postCreated(`calm${i}`, 'calm', NOW - 2 * HOUR, { tags: ['cats'] }));
    }
    await world.apply(block('u1', 'loud', NOW - 10 * 60_000));
    const response = await world.generate({
      userId: 'u1',
      surface: Surface.SURFACE_TAG,
      tag: 'cats',
      budgets: new Map([['tags', { maxCandidates: 10, timeoutMs: 0 }]]),
    });
    const fromTags = response.candidates
      .filter((c) => c.sources.some((s) => s.source === 'tags'))
      .map((c) => c.postId)
      .sort();
    assert.deepEqual(
      fromTags,
      Array.from({ length: 10 }, (_, i) => `calm${i}`),
    );
  });

  it('costs the fresh source none of its budget: new blogs the user blocked take no places', async () => {
    const world = new TestWorld();
    // 200 new blogs u1 blocked, newer than the one new blog u1 did not.
    await world.apply(blogCreated('calm', NOW - 5 * DAY), postCreated('calm0', 'calm', NOW - HOUR));
    for (let i = 0; i < 200; i++) {
      await world.apply(
        blogCreated(`loud${i}`, NOW - DAY + i * 60_000),
        postCreated(`loud${i}-post`, `loud${i}`, NOW - HOUR),
        block('u1', `loud${i}`, NOW - 10 * 60_000),
      );
    }
    const response = await world.generate({
      userId: 'u1',
      surface: Surface.SURFACE_FOR_YOU,
      budgets: new Map([['fresh', { maxCandidates: 5, timeoutMs: 0 }]]),
    });
    assert.deepEqual(
      response.candidates.map((c) => c.postId),
      ['calm0'],
    );
  });
});
