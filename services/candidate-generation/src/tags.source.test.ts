import assert from 'node:assert/strict';
import { commonv1 } from '@feedmesh/contracts';
import { engagement, postCreated, postDeleted } from './test-fixtures/events.js';
import { DAY, HOUR, ids, NOW, TestWorld } from './test-fixtures/world.js';

const { EngagementKind, Surface } = commonv1;

describe('TagsCandidateSource', () => {
  async function catLover(world: TestWorld) {
    // u1 engages with #cats often and with #dogs once: cats is their strongest tag.
    await world.apply(
      postCreated('seen-cat-1', 'b1', NOW - 3 * DAY, { tags: ['cats'] }),
      postCreated('seen-cat-2', 'b1', NOW - 3 * DAY, { tags: ['#Cats'] }),
      postCreated('seen-dog', 'b2', NOW - 3 * DAY, { tags: ['dogs'] }),
      engagement('u1', 'seen-cat-1', NOW - 2 * DAY),
      engagement('u1', 'seen-cat-2', NOW - 2 * DAY, EngagementKind.ENGAGEMENT_KIND_REBLOG),
      engagement('u1', 'seen-dog', NOW - 2 * DAY),
    );
  }

  it('proposes posts of the user’s strongest tag first, saying which tag', async () => {
    const world = new TestWorld();
    await catLover(world);
    await world.apply(
      postCreated('new-cat', 'b3', NOW - HOUR, { tags: ['cats'] }),
      postCreated('new-dog', 'b3', NOW - HOUR, { tags: ['dogs'] }),
      postCreated('new-bird', 'b3', NOW - HOUR, { tags: ['birds'] }),
    );
    const proposed = await world.propose('tags', {
      userId: 'u1',
      exclude: new Set(['seen-cat-1', 'seen-cat-2', 'seen-dog']),
    });
    assert.deepEqual(ids(proposed), ['new-cat', 'new-dog']);
    assert.equal(proposed[0]!.reason, 'you like #cats');
    assert.equal(proposed[1]!.reason, 'you like #dogs');
  });

  it('within a tag, prefers a popular post over an equally recent quiet one', async () => {
    const world = new TestWorld();
    await catLover(world);
    await world.apply(
      postCreated('quiet-cat', 'b3', NOW - HOUR, { tags: ['cats'] }),
      postCreated('loved-cat', 'b3', NOW - HOUR, { tags: ['cats'] }),
      engagement('u7', 'loved-cat', NOW),
      engagement('u8', 'loved-cat', NOW),
      postDeleted('seen-cat-1', NOW),
    );
    const proposed = await world.propose('tags', {
      userId: 'u1',
      exclude: new Set(['seen-cat-2']),
    });
    assert.deepEqual(ids(proposed).slice(0, 2), ['loved-cat', 'quiet-cat']);
    assert.ok(!ids(proposed).includes('seen-cat-1'), 'a deleted post is never proposed');
  });

  it('on a tag page, proposes the tag’s posts for anyone', async () => {
    const world = new TestWorld();
    await world.apply(
      postCreated('cat', 'b1', NOW - HOUR, { tags: ['cats'] }),
      postCreated('dog', 'b1', NOW - HOUR, { tags: ['dogs'] }),
    );
    const proposed = await world.propose('tags', {
      userId: 'stranger',
      surface: Surface.SURFACE_TAG,
      tag: 'cats',
    });
    assert.deepEqual(ids(proposed), ['cat']);
    assert.equal(proposed[0]!.reason, 'in #cats');
  });

  it('does not propose for being recent a post older than the retention (30 days)', async () => {
    const world = new TestWorld();
    await world.apply(
      postCreated('fresh', 'b1', NOW - HOUR, { tags: ['cats'] }),
      postCreated('ancient', 'b1', NOW - 200 * DAY, { tags: ['cats'] }),
    );
    const proposed = await world.propose('tags', {
      userId: 'stranger',
      surface: Surface.SURFACE_TAG,
      tag: 'cats',
    });
    assert.deepEqual(ids(proposed), ['fresh']);
  });

  it('proposes nothing for a user with no tag affinity yet', async () => {
    const world = new TestWorld();
    await world.apply(postCreated('cat', 'b1', NOW - HOUR, { tags: ['cats'] }));
    assert.deepEqual(await world.propose('tags', { userId: 'newcomer' }), []);
  });

  it('on a tag page, fills its budget past more seen posts than its read allows for', async () => {
    const world = new TestWorld();
    for (let i = 0; i < 60; i++) {
      await world.apply(postCreated(`cat${i}`, 'b1', NOW - HOUR - i * 60_000, { tags: ['cats'] }));
    }
    // The 40 newest are seen: more than the 20 a budget of 10 reads past at first.
    const seen = new Set(Array.from({ length: 40 }, (_, i) => `cat${i}`));
    const proposed = await world.propose(
      'tags',
      { userId: 'u1', surface: Surface.SURFACE_TAG, tag: 'cats', exclude: seen },
      10,
    );
    assert.deepEqual(
      ids(proposed),
      Array.from({ length: 10 }, (_, i) => `cat${40 + i}`),
    );
  });
});
