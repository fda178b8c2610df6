import assert from 'node:assert/strict';
import { blogCreated, engagement, postCreated, postDeleted } from './test-fixtures/events.js';
import { DAY, HOUR, ids, NOW, TestWorld } from './test-fixtures/world.js';

describe('FreshCreatorsCandidateSource', () => {
  it('proposes posts of blogs created within the new-creator age, as new creators', async () => {
    const world = new TestWorld();
    await world.apply(
      blogCreated('newbie', NOW - 2 * DAY, 'newbie'),
      blogCreated('veteran', NOW - 400 * DAY, 'veteran'),
      postCreated('p-new', 'newbie', NOW - DAY),
      postCreated('p-old', 'veteran', NOW - DAY),
    );
    const proposed = await world.propose('fresh', { userId: 'u1' });
    assert.deepEqual(ids(proposed), ['p-new']);
    assert.equal(proposed[0]!.reason, 'new creator @newbie');
  });

  it('measures a blog’s age at request time: a blog stops being new as time passes', async () => {
    const world = new TestWorld();
    await world.apply(blogCreated('b1', NOW - 29 * DAY), postCreated('p1', 'b1', NOW - HOUR));
    assert.deepEqual(ids(await world.propose('fresh', { userId: 'u1' })), ['p1']);
    world.now = NOW + 2 * DAY;
    assert.deepEqual(await world.propose('fresh', { userId: 'u1' }), []);
  });

  it('finds posts written before their blog’s BlogCreated arrived', async () => {
    const world = new TestWorld();
    await world.apply(postCreated('p1', 'b1', NOW - HOUR), blogCreated('b1', NOW - 2 * HOUR));
    assert.deepEqual(ids(await world.propose('fresh', { userId: 'u1' })), ['p1']);
  });

  it('puts the best-engaged first, then the newest, and never a deleted post', async () => {
    const world = new TestWorld();
    await world.apply(
      blogCreated('b1', NOW - DAY),
      blogCreated('b2', NOW - DAY),
      postCreated('older', 'b1', NOW - 5 * HOUR),
      postCreated('newer', 'b1', NOW - 4 * HOUR),
      postCreated('liked', 'b2', NOW - 6 * HOUR),
      postCreated('gone', 'b2', NOW - HOUR),
      engagement('u2', 'liked', NOW - HOUR),
      engagement('u3', 'gone', NOW - HOUR),
      postDeleted('gone', NOW - HOUR),
    );
    assert.deepEqual(ids(await world.propose('fresh', { userId: 'u1' })), [
      'liked',
      'newer',
      'older',
    ]);
  });

  it('fills its budget past the new posts the user has already seen', async () => {
    const world = new TestWorld();
    // 300 new blogs with one post each; u1 has seen the 200 newest blogs' posts.
    for (let i = 0; i < 300; i++) {
      await world.apply(
        blogCreated(`b${i}`, NOW - 2 * DAY + i * 60_000),
        postCreated(`p${i}`, `b${i}`, NOW - DAY),
      );
    }
    const seen = new Set(Array.from({ length: 200 }, (_, i) => `p${299 - i}`));
    const proposed = await world.propose('fresh', { userId: 'u1', exclude: seen }, 20);
    assert.equal(proposed.length, 20);
    assert.ok(ids(proposed).every((id) => !seen.has(id)));
  });

  it('fills its budget past deleted posts when the newest new creators’ posts are deleted', async () => {
    const world = new TestWorld();
    // 300 new blogs with one post each; the posts of the 200 newest blogs were deleted.
    for (let i = 0; i < 300; i++) {
      await world.apply(
        blogCreated(`b${i}`, NOW - 2 * DAY + i * 60_000),
        postCreated(`p${i}`, `b${i}`, NOW - DAY),
      );
    }
    for (let i = 100; i < 300; i++) await world.apply(postDeleted(`p${i}`, NOW - HOUR));
    const proposed = await world.propose('fresh', { userId: 'u1' }, 20);
    assert.equal(proposed.length, 20);
    assert.ok(ids(proposed).every((id) => Number(id.slice(1)) < 100));
  });

  it('fills its budget from a new blog whose newest posts are deleted', async () => {
    const world = new TestWorld();
    await world.apply(blogCreated('b1', NOW - 2 * DAY));
    for (let i = 0; i < 10; i++) {
      await world.apply(postCreated(`p${i}`, 'b1', NOW - DAY + i * 60_000));
    }
    for (let i = 5; i < 10; i++) await world.apply(postDeleted(`p${i}`, NOW - HOUR));
    const proposed = await world.propose('fresh', { userId: 'u1' }, 5);
    assert.deepEqual(ids(proposed).sort(), ['p0', 'p1', 'p2', 'p3', 'p4']);
  });
});
