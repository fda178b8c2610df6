import assert from 'node:assert/strict';
import type { EngagementWrite } from './candidate-store.js';
import { EarlyEngagements } from './early-engagements.js';

const like = (postId: string, userId = 'u1'): EngagementWrite => ({
  userId,
  postId,
  atMs: 1,
  tags: [],
  affinity: 1,
});

describe('EarlyEngagements: likes waiting for their post', () => {
  it('gives back what was remembered for a post, once', () => {
    const early = new EarlyEngagements();
    early.remember(like('p1', 'u1'));
    early.remember(like('p1', 'u2'));
    early.remember(like('p2'));
    assert.deepEqual(early.stats, { waiting: 3, forgotten: 0 });
    assert.deepEqual(
      early.take('p1').map((e) => e.userId),
      ['u1', 'u2'],
    );
    assert.deepEqual(early.take('p1'), []);
    assert.deepEqual(early.stats, { waiting: 1, forgotten: 0 });
  });

  it('keeps within its bounds, forgetting the posts first remembered and counting what it forgot', () => {
    const early = new EarlyEngagements({ posts: 2, perPost: 2, total: 3 });
    early.remember(like('p1'));
    early.remember(like('p1'));
    early.remember(like('p1')); // over perPost
    assert.deepEqual(early.stats, { waiting: 2, forgotten: 1 });
    early.remember(like('p2'));
    early.remember(like('p2')); // over total: p1 goes
    assert.deepEqual(early.stats, { waiting: 2, forgotten: 3 });
    assert.deepEqual(early.take('p1'), []);
    early.remember(like('p3'));
    early.remember(like('p4')); // over posts: p2 goes
    assert.deepEqual(early.take('p2'), []);
    assert.equal(early.take('p4').length, 1);
    assert.deepEqual(early.stats, { waiting: 1, forgotten: 5 });
  });
});
