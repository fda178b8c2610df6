import assert from 'node:assert/strict';
import { engagement, postCreated } from './test-fixtures/events.js';
import { HOUR, ids, longEngagementHistory, MINUTE, NOW, TestWorld } from './test-fixtures/world.js';

describe('SessionCandidateSource', () => {
  it('proposes what others engaged with right after a post this user engaged with', async () => {
    const world = new TestWorld();
    const posts = ['seed', 'next', 'much-later', 'elsewhere'];
    await world.apply(...posts.map((p) => postCreated(p, 'b1', NOW - 10 * HOUR)));
    await world.apply(engagement('me', 'seed', NOW - 5 * HOUR));
    await world.apply(
      engagement('reader', 'seed', NOW - 3 * HOUR),
      engagement('reader', 'next', NOW - 3 * HOUR + MINUTE),
      engagement('stranger', 'elsewhere', NOW - HOUR),
    );
    // Thirty engagements later, the reader's session has long moved on.
    for (let i = 0; i < 30; i++) {
      await world.apply(
        postCreated(`filler${i}`, 'b2', NOW - 10 * HOUR),
        engagement('reader', `filler${i}`, NOW - 2 * HOUR + i * MINUTE),
      );
    }
    await world.apply(engagement('reader', 'much-later', NOW - HOUR));
    const proposed = await world.propose('session', { userId: 'me' });
    assert.equal(ids(proposed)[0], 'next');
    assert.ok(!ids(proposed).includes('much-later'), 'beyond the window of the seed');
    assert.ok(!ids(proposed).includes('elsewhere'), 'nobody engaged with it next to the seed');
    assert.equal(proposed[0]!.reason, 'engaged right before or after what you engaged with');
  });

  it('proposes nothing for a user with no engagements, and never their own posts', async () => {
    const world = new TestWorld();
    await world.apply(
      postCreated('p1', 'b1', NOW - HOUR),
      postCreated('p2', 'b1', NOW - HOUR),
      engagement('a', 'p1', NOW - HOUR),
      engagement('a', 'p2', NOW - HOUR + MINUTE),
      engagement('b', 'p1', NOW - HOUR),
      engagement('b', 'p2', NOW - HOUR + MINUTE),
    );
    assert.deepEqual(await world.propose('session', { userId: 'newcomer' }), []);
    assert.deepEqual(await world.propose('session', { userId: 'a' }), []);
  });

  it('never proposes a post the user engaged with, older than its seeds too', async () => {
    const world = await longEngagementHistory();
    const proposed = (await world.propose('session', { userId: 'u1' })).map((c) => c.post.postId);
    assert.ok(proposed.includes('new'), proposed.join(', '));
    assert.ok(!proposed.includes('p0'), proposed.join(', '));
  });
});
