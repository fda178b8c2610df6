import assert from 'node:assert/strict';
import { assign } from './assignment.js';
import { validateExperimentsConfig } from './experiment-config.js';
import { experimentReportFromEvents } from './experiment-report.js';
import { rerandomizedAggregates, rerandomizedExposures } from './rerandomized-exposures.js';
import { aggregateExperimentEvents, type ExperimentAggregates } from './user-aggregates.js';
import { growthbookHash } from './growthbook-hash.js';
import { DAY, START, syntheticExperimentLog } from './test-support/synthetic-log.js';

describe('rerandomizedExposures (an A/A check of the analysis on a real log)', () => {
  const config = validateExperimentsConfig({
    layers: [
      {
        id: 'ranking',
        experiments: [{ key: 'lift', variants: [{ name: 'control' }, { name: 'better-model' }] }],
      },
    ],
  });
  const experiment = config.layers[0]!.experiments[0]!;
  const events = syntheticExperimentLog({
    experiment: 'lift',
    users: 400,
    variantOf: (user) => assign(user, config)[0]?.variant,
    likeLift: { 'better-model': 1.5 },
    days: 3,
    seed: 7,
  });
  const likeRate = async (source: Parameters<typeof rerandomizedExposures>[0]) => {
    const report = await experimentReportFromEvents({ events: source, config, experiment: 'lift' });
    const metric = report.metrics.find((m) => m.id === 'like_rate')!;
    return { report, comparison: metric.comparisons[0]! };
  };

  it('keeps every exposed user, one variant each, and leaves the rest of the log as it was', async () => {
    const resplit = rerandomizedExposures(events, experiment, 'another-seed');
    const seen: typeof events = [];
    for await (const event of (resplit as () => AsyncIterable<(typeof events)[number]>)()) {
      seen.push(event);
    }
    assert.equal(seen.length, events.length);
    const variantsOf = new Map<string, Set<string>>();
    let moved = 0;
    seen.forEach((event, i) => {
      const before = events[i]!;
      const exposures =
        event.payload?.$case === 'impression' ? event.payload.value.experiments : [];
      if (exposures.length === 0) {
        assert.equal(event, before, 'an event without an exposure is passed through');
        return;
      }
      const [after] = exposures;
      const [original] = (before.payload as { value: { experiments: typeof exposures } }).value
        .experiments;
      if (after!.variant !== original!.variant) moved += 1;
      const userId = (event.payload as { value: { userId: string } }).value.userId;
      const set = variantsOf.get(userId) ?? new Set();
      set.add(after!.variant);
      variantsOf.set(userId, set);
    });
    assert.ok(
      [...variantsOf.values()].every((set) => set.size === 1),
      'a user drew two variants',
    );
    assert.ok(moved > 0, 'no exposure changed variant');

    const { report: original } = await likeRate(events);
    const { report: again } = await likeRate(resplit);
    const users = (r: typeof original) => r.variants.reduce((sum, v) => sum + v.users, 0);
    assert.equal(users(again), users(original));
    assert.equal(again.srm.mismatch, false, JSON.stringify(again.srm));
  });

  it('turns a real lift into chance: significant as logged, rarely across re-splits', async () => {
    const { comparison: real } = await likeRate(events);
    assert.ok(real.pValue < 0.001 && real.difference > 0, `as logged p = ${real.pValue}`);
    let significant = 0;
    const splits = 40;
    for (let seed = 0; seed < splits; seed++) {
      const { comparison } = await likeRate(rerandomizedExposures(events, experiment, `s${seed}`));
      if (comparison.pValue < 0.05) significant += 1;
    }
    // About 5% by chance (2 of 40); a split that kept the lift would be significant every time.
    assert.ok(significant <= 10, `${significant} of ${splits} re-splits significant`);
  });

  it('re-splits every user when the weights add up to a shade under 1, as the config allows', async () => {
    // The config accepts weights within 0.001 of 1: 0.4995 + 0.5 leaves the hashes from 0.9995
    // to 1 to no variant. Before, the draw over the whole of [0, 1) fell into that gap for one
    // user in 2,000 and threw a TypeError (reading "name" of undefined), so any real log broke
    // the re-split.
    const shy = validateExperimentsConfig({
      layers: [
        {
          id: 'ranking',
          experiments: [
            {
              key: 'lift',
              variants: [
                { name: 'control', weight: 0.4995 },
                { name: 'better-model', weight: 0.5 },
              ],
            },
          ],
        },
      ],
    }).layers[0]!.experiments[0]!;
    const seed = 'gap';
    const inGap = Array.from({ length: 100_000 }, (_, i) => `gap-user-${i}`).find(
      (userId) => growthbookHash(seed, userId, 2) >= 0.9995,
    );
    assert.ok(inGap, 'some id hashes into the gap');
    const logged = await aggregateExperimentEvents(events, {
      experiment: 'lift',
      startMs: START,
      endMs: START + 3 * DAY,
    });
    const [someone] = [...logged.variants.values()].flat();
    assert.ok(someone);
    const aggregates: ExperimentAggregates = {
      ...logged,
      variants: new Map([['control', [{ ...someone, userId: inGap }]]]),
    };
    const resplit = rerandomizedAggregates(aggregates, shy, seed);
    const users = [...resplit.variants.values()].flat();
    assert.equal(users.length, 1);
    assert.ok(['control', 'better-model'].includes(users[0]!.variant));
  });

  describe('rerandomizedAggregates', () => {
    const window = async () => {
      const { startMs, endMs } = await experimentReportFromEvents({
        events,
        config,
        experiment: 'lift',
      });
      return { experiment: 'lift', startMs, endMs };
    };
    const byUser = (aggregates: ExperimentAggregates) =>
      new Map([...aggregates.variants.values()].flat().map((user) => [user.userId, user]));

    it('moves each user where the re-split log would put them, with their activity as it was', async () => {
      const options = await window();
      const logged = await aggregateExperimentEvents(events, options);
      const fromLog = await aggregateExperimentEvents(
        rerandomizedExposures(events, experiment, 'another-seed'),
        options,
      );
      assert.equal(logged.multipleVariantUsers, 0, 'the fixture logs one variant a user');
      const relabelled = rerandomizedAggregates(logged, experiment, 'another-seed');
      assert.deepEqual(byUser(relabelled), byUser(fromLog));
      const counts = (aggregates: ExperimentAggregates) =>
        [...aggregates.variants].map(([name, users]) => `${name} ${users.length}`).sort();
      assert.deepEqual(counts(relabelled), counts(fromLog));
      const moved = [...byUser(relabelled)].filter(
        ([userId, user]) => byUser(logged).get(userId)!.variant !== user.variant,
      );
      assert.ok(moved.length > 100, `${moved.length} of 400 users moved`);
    });

    it('refuses the aggregates of another experiment', async () => {
      const logged = await aggregateExperimentEvents(events, await window());
      assert.throws(
        () => rerandomizedAggregates(logged, { ...experiment, key: 'other' }, 's'),
        /experiment: the aggregates are of "lift", not "other"/,
      );
    });
  });
});
