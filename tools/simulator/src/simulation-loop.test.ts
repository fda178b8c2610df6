import assert from 'node:assert/strict';
import { createWorld, TOPICS, type WorldUser } from '@feedmesh/world';
import { runSimulation } from './run-simulation.js';
import { SimulatedClock } from './simulated-clock.js';
import type { SimulationSummary } from './simulation-summary.js';
import { startScriptedGateway, type ScriptedPost } from './test-support/scripted-gateway.js';

const NOW = Date.UTC(2026, 0, 1);
const world = createWorld({ preset: 'small', users: 40, seed: 21, now: NOW, lapsedShare: 0 });
const established = world.truth.establishedBlogIds[0]!;

/** Posts about one topic, from an established blog. */
function postsAbout(topic: number, count: number, prefix: string): ScriptedPost[] {
  const tags = TOPICS[topic]!.tags;
  return Array.from({ length: count }, (_, i) => ({
    postId: `${prefix}-${topic}-${i}`,
    blogId: established,
    tags: [tags[i % tags.length]!],
  }));
}

/** The user's favourite topic, or a topic they do not care about at all. */
const favourite = (user: WorldUser) => user.interests[0]!.topic;
const ignored = (user: WorldUser) =>
  TOPICS.findIndex((_, t) => !user.interests.some((i) => i.topic === t));

/** Even users are served their favourite topic, odd users a topic outside their interests. */
const served = (userId: string) => Number(userId.slice(1)) % 2 === 0;

function feedOf(userId: string): ScriptedPost[] {
  const user = world.truth.user(userId)!;
  return served(userId)
    ? postsAbout(favourite(user), 400, userId)
    : postsAbout(ignored(user), 400, userId);
}

async function simulate(seed: number): Promise<{ summary: SimulationSummary; events: number }> {
  const gateway = await startScriptedGateway({
    feedOf,
    variantOf: (userId) => (served(userId) ? 'interests' : 'elsewhere'),
  });
  try {
    const summary = await runSimulation({
      gatewayAddress: gateway.address,
      world: world.truth,
      clock: new SimulatedClock(NOW),
      days: 4,
      seed,
      runTag: 'loop',
      postsPerDay: 0,
      newCreatorsPerDay: 0,
      perUser: true,
    });
    return { summary, events: gateway.published.length };
  } finally {
    await gateway.stop();
  }
}

describe('the simulation loop, served scripted feeds', function () {
  this.timeout(60_000);
  let first: Awaited<ReturnType<typeof simulate>>;

  before(async () => {
    first = await simulate(3);
  });

  const group = (summary: SimulationSummary, wanted: boolean) =>
    (summary.perUser ?? []).filter((r) => served(r.userId) === wanted);
  const mean = (values: readonly number[]) =>
    values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

  it('makes users served their interests engage more and hide less than users served elsewhere', () => {
    const rate = (wanted: boolean, pick: 'engagedItems' | 'hides') => {
      const records = group(first.summary, wanted);
      return mean(records.map((r) => r[pick])) / mean(records.map((r) => r.impressions));
    };
    assert.ok(rate(true, 'engagedItems') > 5 * rate(false, 'engagedItems'));
    assert.ok(rate(true, 'hides') < rate(false, 'hides'));
  });

  it('leaves users served their interests more satisfied, visiting more and lapsing less', () => {
    const happy = group(first.summary, true);
    const unhappy = group(first.summary, false);
    assert.ok(mean(happy.map((r) => r.satisfaction)) > mean(unhappy.map((r) => r.satisfaction)));
    const visitsPerActivity = (records: typeof happy) =>
      mean(records.map((r) => r.sessions / r.activity));
    assert.ok(
      visitsPerActivity(happy) > 1.3 * visitsPerActivity(unhappy),
      `${visitsPerActivity(happy)} vs ${visitsPerActivity(unhappy)}`,
    );
    const lapsed = (records: typeof happy) => records.filter((r) => r.lapsedAtEnd).length;
    assert.ok(lapsed(happy) < lapsed(unhappy), `${lapsed(happy)} vs ${lapsed(unhappy)}`);
  });

  it('records the variant the gateway reported for each user', () => {
    for (const record of first.summary.perUser ?? []) {
      if (record.sessions === 0) continue;
      assert.deepEqual(record.experiments, {
        exp: served(record.userId) ? 'interests' : 'elsewhere',
      });
    }
  });

  it('runs the same way again with the same seed and feeds, and differently with another seed', async () => {
    const { wallMs: _a, ...again } = (await simulate(3)).summary;
    const { wallMs: _b, ...before } = first.summary;
    assert.deepEqual(again, before);
    const other = await simulate(4);
    assert.notEqual(
      other.summary.sessions + other.summary.impressions,
      first.summary.sessions + first.summary.impressions,
    );
  });
});
