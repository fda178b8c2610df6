import assert from 'node:assert/strict';
import { commonv1 } from '@feedmesh/contracts';
import { engagement, postCreated, postDeleted } from './test-fixtures/events.js';
import { DAY, HOUR, ids, MINUTE, NOW, TEST_SETTINGS, TestWorld } from './test-fixtures/world.js';

const { Surface } = commonv1;

/**
 * #knitting gets 3 likes every 5 minutes for 14 hours (longer than the baseline looks back); #eclipse nothing until 20 likes in the
 * last 20 minutes; #tiny 3 likes in the last hour.
 */
async function burstAndSteady(world: TestWorld) {
  await world.apply(
    postCreated('knit', 'b1', NOW - DAY, { tags: ['knitting'] }),
    postCreated('eclipse', 'b2', NOW - DAY, { tags: ['eclipse', 'sky'] }),
    postCreated('tiny', 'b3', NOW - DAY, { tags: ['tiny'] }),
  );
  for (let t = NOW - 14 * HOUR; t < NOW; t += 5 * MINUTE) {
    for (let i = 0; i < 3; i++) await world.apply(engagement(`k${i}`, 'knit', t + MINUTE));
  }
  for (let i = 0; i < 20; i++) {
    await world.apply(engagement(`e${i}`, 'eclipse', NOW - 20 * MINUTE + i * MINUTE));
  }
  for (let i = 0; i < 3; i++) await world.apply(engagement(`t${i}`, 'tiny', NOW - 30 * MINUTE));
}

describe('TrendingDetector', () => {
  it('makes a burst on a tag trend while a steady tag does not', async () => {
    const world = new TestWorld();
    await burstAndSteady(world);
    const trending = await world.pipeline.trending.trending(HOUR, NOW);
    assert.deepEqual(
      trending.tags.map((t) => t.id),
      ['eclipse', 'sky'],
    );
    const eclipse = trending.tags[0]!;
    assert.equal(eclipse.observed, 20);
    assert.equal(eclipse.expected, 0);
    assert.ok(eclipse.score >= 19);
    assert.deepEqual(
      trending.posts.map((t) => t.id),
      ['eclipse'],
    );
  });

  it('scores a steady tag near zero: observed matches expected', async () => {
    const world = new TestWorld();
    await burstAndSteady(world);
    const relaxed = new TestWorld({
      store: world.store,
      settings: {
        ...TEST_SETTINGS,
        trending: {
          ...TEST_SETTINGS.trending,
          minScore: -1_000,
          releaseScore: -1_000,
          minCount: 1,
        },
      },
    });
    const all = await relaxed.pipeline.trending.trending(HOUR, NOW);
    const knitting = all.tags.find((t) => t.id === 'knitting');
    assert.ok(knitting, 'knitting is scored');
    assert.equal(knitting.observed, 33);
    assert.ok(Math.abs(knitting.expected - 33) < 1e-6, `expected ${knitting.expected}`);
    assert.ok(Math.abs(knitting.score) < 1e-6);
  });

  it('does not let a few engagements trend, however new the tag', async () => {
    const world = new TestWorld();
    await burstAndSteady(world);
    const trending = await world.pipeline.trending.trending(HOUR, NOW);
    assert.ok(!trending.tags.some((t) => t.id === 'tiny'));
  });

  it('measures a week-long window in hourly buckets', async () => {
    const world = new TestWorld();
    await burstAndSteady(world);
    const trending = await world.pipeline.trending.trending(7 * DAY, NOW);
    // Over a week, everything here is new: all three busy tags rose from nothing.
    assert.deepEqual(
      trending.tags.map((t) => t.id),
      ['knitting', 'eclipse', 'sky'],
    );
  });

  describe('hysteresis: a trend starts at minScore (2) and stops below releaseScore (1)', () => {
    /** #x: 20 likes just before NOW, then `later` likes 50 minutes after it. */
    async function fading(later: number): Promise<TestWorld> {
      const world = new TestWorld();
      await world.apply(postCreated('p', 'b', NOW - DAY, { tags: ['x'] }));
      for (let i = 0; i < 20; i++) await world.apply(engagement(`a${i}`, 'p', NOW - 10 * MINUTE));
      for (let i = 0; i < later; i++) {
        await world.apply(engagement(`b${i}`, 'p', NOW + 50 * MINUTE));
      }
      return world;
    }
    const xOf = (now: { tags: readonly { id: string; score: number }[] }) =>
      now.tags.find((t) => t.id === 'x');

    it('keeps a trending tag while its score eases to between the two', async () => {
      const world = await fading(12);
      assert.ok(xOf(await world.pipeline.trending.trending(HOUR, NOW)), 'x trends at NOW');
      const later = xOf(await world.pipeline.trending.trending(HOUR, NOW + 65 * MINUTE));
      assert.ok(later, 'x still trends an hour on');
      assert.ok(later.score >= 1 && later.score < 2, `score ${later.score}`);
      // The same counts do not start a trend: a detector that saw no earlier trend leaves x out.
      const fresh = new TestWorld({ store: world.store });
      assert.equal(xOf(await fresh.pipeline.trending.trending(HOUR, NOW + 65 * MINUTE)), undefined);
    });

    it('drops it once its score falls below releaseScore', async () => {
      const world = await fading(8);
      assert.ok(xOf(await world.pipeline.trending.trending(HOUR, NOW)), 'x trends at NOW');
      assert.equal(xOf(await world.pipeline.trending.trending(HOUR, NOW + 65 * MINUTE)), undefined);
    });
  });

  describe('memory: the rankings and hysteresis of the 32 windows asked for most recently', () => {
    it('stays bounded however many distinct windows a caller asks for', async () => {
      const world = new TestWorld({
        settings: { ...TEST_SETTINGS, trending: { ...TEST_SETTINGS.trending, cacheMs: 60_000 } },
      });
      await burstAndSteady(world);
      for (let minutes = 1; minutes <= 100; minutes++) {
        await world.pipeline.trending.trending(minutes * MINUTE, NOW);
      }
      assert.deepEqual(world.pipeline.trending.rememberedWindows(), {
        rankings: 32,
        hysteresis: 32,
      });
    });

    it('keeps the hysteresis of a window still among them', async () => {
      const world = new TestWorld();
      await world.apply(postCreated('p', 'b', NOW - DAY, { tags: ['x'] }));
      for (let i = 0; i < 20; i++) await world.apply(engagement(`a${i}`, 'p', NOW - 10 * MINUTE));
      for (let i = 0; i < 12; i++) await world.apply(engagement(`b${i}`, 'p', NOW + 50 * MINUTE));
      const x = (now: { tags: readonly { id: string }[] }) => now.tags.some((t) => t.id === 'x');
      assert.ok(x(await world.pipeline.trending.trending(HOUR, NOW)));
      for (let minutes = 1; minutes <= 31; minutes++) {
        await world.pipeline.trending.trending(minutes * MINUTE, NOW);
      }
      // The same counts would not start a trend (see the hysteresis tests): x is remembered.
      assert.ok(x(await world.pipeline.trending.trending(HOUR, NOW + 65 * MINUTE)));
    });
  });
});

describe('TrendingCandidateSource', () => {
  it('proposes trending posts, saying which trending tag they carry', async () => {
    const world = new TestWorld();
    await burstAndSteady(world);
    const proposed = await world.propose('trending', { userId: 'u1' });
    assert.deepEqual(ids(proposed), ['eclipse']);
    assert.equal(proposed[0]!.reason, 'trending in #eclipse');
  });

  it('on a tag page, proposes only trending posts with the tag', async () => {
    const world = new TestWorld();
    await burstAndSteady(world);
    const onSky = await world.propose('trending', {
      userId: 'u1',
      surface: Surface.SURFACE_TAG,
      tag: 'sky',
    });
    assert.deepEqual(ids(onSky), ['eclipse']);
    const onKnitting = await world.propose('trending', {
      userId: 'u1',
      surface: Surface.SURFACE_TAG,
      tag: 'knitting',
    });
    assert.deepEqual(onKnitting, []);
  });

  it('never proposes a trending post once it is deleted', async () => {
    const world = new TestWorld();
    await burstAndSteady(world);
    await world.apply(postDeleted('eclipse', NOW));
    assert.deepEqual(await world.propose('trending', { userId: 'u1' }), []);
  });
});
