import assert from 'node:assert/strict';
import { trainSessionEase, type TimedEngagement } from '@feedmesh/embeddings';
import { engagement, postCreated, postDeleted } from './test-fixtures/events.js';
import { DAY, HOUR, ids, MINUTE, NOW, TestWorld } from './test-fixtures/world.js';

/**
 * Ten readers read s0, s1, ..., s7 in that order, a minute apart; `me` read only s3. The
 * trainer's model relates each post most to the ones read right before and after it.
 */
async function serial(world: TestWorld) {
  const timed: TimedEngagement[] = [];
  for (let p = 0; p < 8; p++) await world.apply(postCreated(`s${p}`, 'serial-blog', NOW - 3 * DAY));
  for (let u = 0; u < 10; u++) {
    for (let p = 0; p < 8; p++) {
      const atMs = NOW - 2 * DAY + p * MINUTE;
      await world.apply(engagement(`reader${u}`, `s${p}`, atMs));
      timed.push({ userId: `reader${u}`, postId: `s${p}`, atMs });
    }
  }
  await world.apply(engagement('me', 's3', NOW - HOUR));
  return trainSessionEase(timed, { window: 1, regularization: 50 });
}

describe('RelatedCandidateSource', () => {
  it('proposes the posts the trainer’s model relates to what the user engaged with', async () => {
    const world = new TestWorld();
    world.pipeline.related.load(await serial(world));
    const proposed = await world.propose('related', { userId: 'me' }, 2);
    assert.deepEqual(ids(proposed).sort(), ['s2', 's4']);
    assert.equal(proposed[0]!.reason, 'related to what you engaged with');
  });

  it('never proposes what the user engaged with, an excluded post or a deleted one', async () => {
    const world = new TestWorld();
    world.pipeline.related.load(await serial(world));
    await world.apply(postDeleted('s4', NOW - HOUR));
    const proposed = ids(
      await world.propose('related', { userId: 'me', exclude: new Set(['s2']) }),
    );
    assert.ok(proposed.length > 0);
    for (const id of ['s3', 's2', 's4']) assert.ok(!proposed.includes(id), id);
  });

  it('proposes nothing before a model is loaded', async () => {
    const world = new TestWorld();
    await serial(world);
    assert.deepEqual(await world.propose('related', { userId: 'me' }), []);
  });
});
