import assert from 'node:assert/strict';
import { engagement, postCreated } from './test-fixtures/events.js';
import { HOUR, ids, longEngagementHistory, NOW, TestWorld } from './test-fixtures/world.js';

describe('CoEngagementCandidateSource', () => {
  it('proposes a post liked by a user who liked what this user liked', async () => {
    const world = new TestWorld();
    await world.apply(
      postCreated('shared', 'b1', NOW - 5 * HOUR),
      postCreated('their-find', 'b2', NOW - 5 * HOUR),
      postCreated('unrelated', 'b3', NOW - 5 * HOUR),
      engagement('me', 'shared', NOW - 3 * HOUR),
      engagement('twin', 'shared', NOW - 2 * HOUR),
      engagement('twin', 'their-find', NOW - HOUR),
      engagement('stranger', 'unrelated', NOW - HOUR),
    );
    const proposed = await world.propose('co-engagement', { userId: 'me' });
    assert.deepEqual(ids(proposed), ['their-find']);
    assert.equal(proposed[0]!.reason, 'liked by people who liked what you liked');
  });

  it('damps popular posts, so a niche shared taste beats what everyone likes', async () => {
    const world = new TestWorld();
    await world.apply(
      postCreated('seed', 'b1', NOW - 5 * HOUR),
      postCreated('niche', 'b2', NOW - 5 * HOUR),
      postCreated('blockbuster', 'b3', NOW - 5 * HOUR),
      engagement('me', 'seed', NOW - 4 * HOUR),
    );
    for (const twin of ['twin1', 'twin2']) {
      await world.apply(
        engagement(twin, 'seed', NOW - 3 * HOUR),
        engagement(twin, 'niche', NOW - 2 * HOUR),
        engagement(twin, 'blockbuster', NOW - 2 * HOUR),
      );
    }
    for (let i = 0; i < 50; i++)
      await world.apply(engagement(`crowd${i}`, 'blockbuster', NOW - HOUR));
    const proposed = await world.propose('co-engagement', { userId: 'me' });
    assert.deepEqual(ids(proposed), ['niche', 'blockbuster']);
    assert.ok(proposed[0]!.score > proposed[1]!.score * 4);
  });

  it('proposes nothing for a user with no engagements, and never their own seeds', async () => {
    const world = new TestWorld();
    await world.apply(
      postCreated('p1', 'b1', NOW - HOUR),
      engagement('a', 'p1', NOW - HOUR),
      engagement('b', 'p1', NOW - HOUR),
    );
    assert.deepEqual(await world.propose('co-engagement', { userId: 'newcomer' }), []);
    assert.deepEqual(await world.propose('co-engagement', { userId: 'a' }), []);
  });

  it('never proposes a post the user engaged with, older than its seeds too', async () => {
    const world = await longEngagementHistory();
    const proposed = (await world.propose('co-engagement', { userId: 'u1' })).map(
      (c) => c.post.postId,
    );
    assert.ok(proposed.includes('new'), proposed.join(', '));
    assert.ok(!proposed.includes('p0'), proposed.join(', '));
  });
});
