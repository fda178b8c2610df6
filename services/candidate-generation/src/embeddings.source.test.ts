import assert from 'node:assert/strict';
import { trainEmbeddings, type WeightedEngagement } from '@feedmesh/embeddings';
import { engagement, postCreated, postDeleted } from './test-fixtures/events.js';
import { DAY, HOUR, ids, NOW, TestWorld } from './test-fixtures/world.js';

/**
 * Knitters k0-k9 like knitting posts, cyclists c0-c9 like cycling posts: two tastes the
 * model can tell apart. Each user leaves out one post of their side, so there is something
 * left to propose.
 */
async function twoTastes(world: TestWorld) {
  const engagements: WeightedEngagement[] = [];
  for (const [user, tag, post] of [
    ['k', 'knitting', 'knit'],
    ['c', 'cycling', 'bike'],
  ] as const) {
    for (let p = 0; p < 8; p++) {
      await world.apply(postCreated(`${post}${p}`, `${tag}-blog`, NOW - 3 * DAY, { tags: [tag] }));
    }
    for (let u = 0; u < 10; u++) {
      for (let p = 0; p < 8; p++) {
        if (p === u % 8) continue;
        await world.apply(engagement(`${user}${u}`, `${post}${p}`, NOW - 2 * DAY));
        engagements.push({ userId: `${user}${u}`, postId: `${post}${p}`, weight: 1 });
      }
    }
  }
  const contents = Array.from({ length: 8 }, (_, p) => [
    { postId: `knit${p}`, blogId: 'knitting-blog', tags: ['knitting'] },
    { postId: `bike${p}`, blogId: 'cycling-blog', tags: ['cycling'] },
  ]).flat();
  world.pipeline.embeddings.load(
    trainEmbeddings(engagements, contents, {
      trainedAtMs: NOW - DAY,
      factors: 4,
      iterations: 8,
      regularization: 5,
      alpha: 10,
    }),
  );
}

describe('EmbeddingsCandidateSource', () => {
  it('proposes the posts nearest the user’s taste, never one they engaged with', async () => {
    const world = new TestWorld();
    await twoTastes(world);
    const proposed = await world.propose('embeddings', { userId: 'k3' }, 3);
    assert.equal(proposed[0]!.post.postId, 'knit3', 'the one knitting post k3 has not liked');
    assert.equal(proposed[0]!.reason, 'similar to what you engaged with');
    assert.ok(
      ids(proposed)
        .slice(1)
        .every((id) => id.startsWith('bike')),
    );
  });

  it('retrieves a post created after training, from its tags and blog, without retraining', async () => {
    const world = new TestWorld();
    await twoTastes(world);
    await world.apply(postCreated('new-knit', 'knitting-blog', NOW - HOUR, { tags: ['knitting'] }));
    await world.apply(postCreated('new-bike', 'cycling-blog', NOW - HOUR, { tags: ['cycling'] }));
    const forKnitter = ids(await world.propose('embeddings', { userId: 'k1' }, 2));
    assert.deepEqual(forKnitter.sort(), ['knit1', 'new-knit']);
    const forCyclist = ids(await world.propose('embeddings', { userId: 'c1' }, 2));
    assert.deepEqual(forCyclist.sort(), ['bike1', 'new-bike']);
  });

  it('places a new untagged post by its first engagers', async () => {
    const world = new TestWorld();
    await twoTastes(world);
    await world.apply(
      postCreated('mystery', 'someone-new', NOW - HOUR),
      engagement('c2', 'mystery', NOW - HOUR),
      engagement('c5', 'mystery', NOW - HOUR),
    );
    const forCyclist = await world.propose('embeddings', { userId: 'c1' }, 2);
    assert.ok(ids(forCyclist).includes('mystery'), ids(forCyclist).join());
    const forKnitter = await world.propose('embeddings', { userId: 'k1' }, 20);
    const score = (list: typeof forKnitter) => list.find((c) => c.post.postId === 'mystery')!.score;
    assert.ok(score(forCyclist) > score(forKnitter), 'a cyclist’s post is nearer cyclists');
  });

  it('folds a user the model never saw in from their engagements', async () => {
    const world = new TestWorld();
    await twoTastes(world);
    await world.apply(
      engagement('newcomer', 'bike0', NOW - HOUR),
      engagement('newcomer', 'bike1', NOW - HOUR),
    );
    const proposed = ids(await world.propose('embeddings', { userId: 'newcomer' }, 3));
    assert.ok(
      proposed.every((id) => id.startsWith('bike')),
      proposed.join(),
    );
  });

  it('drops a deleted post from the index, and proposes nothing without a model', async () => {
    const world = new TestWorld();
    await twoTastes(world);
    await world.apply(postDeleted('knit3', NOW));
    assert.ok(!ids(await world.propose('embeddings', { userId: 'k3' }, 20)).includes('knit3'));
    assert.deepEqual(await new TestWorld().propose('embeddings', { userId: 'k3' }), []);
  });
});
