import assert from 'node:assert/strict';
import { blogCreated, follow, postCreated, postDeleted, unfollow } from './test-fixtures/events.js';
import { DAY, HOUR, ids, NOW, TestWorld } from './test-fixtures/world.js';

describe('FollowingCandidateSource', () => {
  it('proposes the posts of followed blogs, newest first, naming the blog', async () => {
    const world = new TestWorld();
    await world.apply(
      blogCreated('b1', NOW - 100 * DAY, 'catblog'),
      blogCreated('b2', NOW - 100 * DAY, 'dogblog'),
      blogCreated('b3', NOW - 100 * DAY, 'unfollowed'),
      postCreated('p1', 'b1', NOW - 3 * HOUR),
      postCreated('p2', 'b2', NOW - 2 * HOUR),
      postCreated('p3', 'b1', NOW - 1 * HOUR),
      postCreated('p4', 'b3', NOW - 1 * HOUR),
      follow('u1', 'b1', NOW - 10 * DAY),
      follow('u1', 'b2', NOW - 10 * DAY),
    );
    const proposed = await world.propose('following', { userId: 'u1' });
    assert.deepEqual(ids(proposed), ['p3', 'p2', 'p1']);
    assert.equal(proposed[0]!.reason, 'you follow @catblog');
    assert.equal(proposed[1]!.reason, 'you follow @dogblog');
    assert.ok(proposed[0]!.score > proposed[1]!.score && proposed[1]!.score > proposed[2]!.score);
  });

  it('stops proposing a blog once the user unfollows it', async () => {
    const world = new TestWorld();
    await world.apply(
      postCreated('p1', 'b1', NOW - HOUR),
      follow('u1', 'b1', NOW - 2 * DAY),
      unfollow('u1', 'b1', NOW - DAY),
    );
    assert.deepEqual(await world.propose('following', { userId: 'u1' }), []);
  });

  it('never proposes a deleted or excluded post, and keeps to its budget', async () => {
    const world = new TestWorld();
    await world.apply(follow('u1', 'b1', NOW - DAY));
    for (let i = 0; i < 6; i++)
      await world.apply(postCreated(`p${i}`, 'b1', NOW - (10 - i) * HOUR));
    await world.apply(postDeleted('p5', NOW - HOUR));
    const proposed = await world.propose(
      'following',
      { userId: 'u1', exclude: new Set(['p4']) },
      3,
    );
    // The reason names the blog by id when its BlogCreated was never seen.
    assert.deepEqual(ids(proposed), ['p3', 'p2', 'p1']);
    assert.equal(proposed[0]!.reason, 'you follow @b1');
  });

  it('leaves out posts older than the retention', async () => {
    const world = new TestWorld();
    await world.apply(
      follow('u1', 'b1', NOW - 90 * DAY),
      postCreated('ancient', 'b1', NOW - 60 * DAY),
      postCreated('recent', 'b1', NOW - DAY),
    );
    assert.deepEqual(ids(await world.propose('following', { userId: 'u1' })), ['recent']);
  });

  it('proposes nothing for a user who follows no one', async () => {
    const world = new TestWorld();
    await world.apply(postCreated('p1', 'b1', NOW - HOUR));
    assert.deepEqual(await world.propose('following', { userId: 'newcomer' }), []);
  });
});
