import assert from 'node:assert/strict';
import { commonv1 } from '@feedmesh/contracts';
import type { CandidateStore } from './candidate-store.js';
import { InMemoryCandidateStore } from './in-memory-candidate-store.js';
import { READ_ON } from './read-on.js';
import { RequestLookup } from './request-lookup.js';
import { engagement, postCreated, postDeleted } from './test-fixtures/events.js';
import { DAY, HOUR, ids, NOW, TestWorld } from './test-fixtures/world.js';

const { EngagementKind, Surface } = commonv1;

async function likes(world: TestWorld, postId: string, count: number, atMs: number) {
  for (let i = 0; i < count; i++) await world.apply(engagement(`fan-${postId}-${i}`, postId, atMs));
}

describe('PopularCandidateSource', () => {
  it('orders posts by decayed engagement: recent likes outweigh more, older ones', async () => {
    const world = new TestWorld();
    await world.apply(
      postCreated('old-hit', 'b1', NOW - 3 * DAY),
      postCreated('fresh-hit', 'b2', NOW - HOUR),
      postCreated('quiet', 'b3', NOW - HOUR),
    );
    // Half-life 24 h: 4 likes two days ago are worth 1 now; 2 likes now are worth 2.
    await likes(world, 'old-hit', 4, NOW - 2 * DAY);
    await likes(world, 'fresh-hit', 2, NOW);
    await likes(world, 'quiet', 1, NOW);
    const proposed = await world.propose('popular', { userId: 'u1' });
    assert.deepEqual(ids(proposed), ['fresh-hit', 'old-hit', 'quiet']);
    assert.ok(Math.abs(proposed[0]!.score - 2) < 1e-9);
    assert.ok(Math.abs(proposed[1]!.score - 1) < 1e-9);
    assert.equal(proposed[0]!.reason, 'popular right now');
  });

  it('weighs a reblog above a like and ignores hides', async () => {
    const world = new TestWorld();
    await world.apply(postCreated('liked', 'b1', NOW), postCreated('reblogged', 'b1', NOW));
    await world.apply(
      engagement('u1', 'liked', NOW),
      engagement('u2', 'reblogged', NOW, EngagementKind.ENGAGEMENT_KIND_REBLOG),
      engagement('u3', 'liked', NOW, EngagementKind.ENGAGEMENT_KIND_HIDE),
      engagement('u4', 'liked', NOW, EngagementKind.ENGAGEMENT_KIND_REPORT),
    );
    const proposed = await world.propose('popular', { userId: 'u9' });
    assert.deepEqual(ids(proposed), ['reblogged', 'liked']);
    assert.ok(Math.abs(proposed[1]!.score - 1) < 1e-9);
  });

  it('on a tag page, proposes the posts popular in that tag', async () => {
    const world = new TestWorld();
    await world.apply(
      postCreated('cat', 'b1', NOW, { tags: ['Cats'] }),
      postCreated('dog', 'b1', NOW, { tags: ['dogs'] }),
    );
    await likes(world, 'cat', 1, NOW);
    await likes(world, 'dog', 5, NOW);
    const proposed = await world.propose('popular', {
      userId: 'u1',
      surface: Surface.SURFACE_TAG,
      tag: 'cats',
    });
    assert.deepEqual(ids(proposed), ['cat']);
    assert.equal(proposed[0]!.reason, 'popular in #cats');
  });

  it('reads past excluded and deleted posts to fill its budget', async () => {
    const world = new TestWorld();
    for (let i = 0; i < 5; i++) {
      await world.apply(postCreated(`p${i}`, 'b1', NOW));
      await likes(world, `p${i}`, 5 - i, NOW);
    }
    await world.apply(postDeleted('p1', NOW));
    const proposed = await world.propose('popular', { userId: 'u1', exclude: new Set(['p0']) }, 2);
    assert.deepEqual(ids(proposed), ['p2', 'p3']);
  });

  it('reads its ranking a bounded number of times, each wider, when blocked posts fill every read', async () => {
    // The real store, with its popularity reads counted.
    const inner = new InMemoryCandidateStore();
    const reads: number[] = [];
    const store = new Proxy(inner, {
      get(target, property, receiver) {
        if (property === 'popularPosts') {
          return (tag: string | undefined, limit: number) => {
            reads.push(limit);
            return target.popularPosts(tag, limit);
          };
        }
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as CandidateStore;
    const world = new TestWorld({ store });
    // 500 popular posts, all of a blog the user blocked: no read ever fills the budget of 10.
    for (let i = 0; i < 500; i++) {
      await world.apply(postCreated(`p${i}`, 'blocked', NOW), engagement(`fan${i}`, `p${i}`, NOW));
    }
    const source = world.pipeline.sources.find((s) => s.name === 'popular')!;
    const proposed = await source.candidates(
      {
        userId: 'u1',
        surface: Surface.SURFACE_FOR_YOU,
        tag: undefined,
        exclude: new Set(),
        nowMs: NOW,
        lookup: new RequestLookup(store, new Set(['blocked'])),
      },
      { maxCandidates: 10, timeoutMs: 5_000 },
      new AbortController().signal,
    );
    assert.deepEqual(proposed, []);
    assert.equal(reads.length, READ_ON.maxReads);
    assert.deepEqual(
      reads,
      Array.from({ length: READ_ON.maxReads }, (_, i) => 10 * READ_ON.widenFactor ** i),
    );
  });
});
