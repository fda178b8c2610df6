import assert from 'node:assert/strict';
import { assign, assignExperiment, mergedOverrides } from './assignment.js';
import { parseExperimentsConfig, validateExperimentsConfig } from './experiment-config.js';
import { EXAMPLE_CONFIG } from './test-support/example-config.js';
import { sampleRatioMismatch } from './statistics.js';

const USERS = Array.from({ length: 20_000 }, (_, i) => `u${i}`);

/** GrowthBook's `run` cases (hash version 1, seed = key "my-test", ids "1".."9"). */
function growthbookRunConfig(extra: Record<string, unknown>, variants = ['0', '1']) {
  return validateExperimentsConfig({
    layers: [
      {
        id: 'l',
        experiments: [
          {
            key: 'my-test',
            hashVersion: 1,
            variants: variants.map((name) => ({ name })),
            ...extra,
          },
        ],
      },
    ],
  });
}

function variantIndexes(config: ReturnType<typeof growthbookRunConfig>): (number | null)[] {
  return ['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((id) => {
    const a = assign(id, config)[0];
    return a ? Number(a.variant) : null;
  });
}

describe('assignment', () => {
  it("gives the variants of GrowthBook's published run cases", () => {
    // cases.json "run": default weights, uneven weights, coverage 0.4, three-way test.
    assert.deepEqual(variantIndexes(growthbookRunConfig({})), [1, 0, 0, 1, 1, 1, 0, 1, 0]);
    assert.deepEqual(
      variantIndexes(growthbookRunConfigWeights([0.1, 0.9])),
      [1, 1, 0, 1, 1, 1, 0, 1, 1],
    );
    assert.deepEqual(variantIndexes(growthbookRunConfig({ coverage: 0.4 })), [
      null,
      0,
      0,
      null,
      1,
      null,
      0,
      1,
      null,
    ]);
    assert.deepEqual(
      variantIndexes(growthbookRunConfig({}, ['0', '1', '2'])),
      [2, 0, 0, 2, 1, 2, 0, 1, 0],
    );
    const renamed = validateExperimentsConfig({
      layers: [
        {
          id: 'l',
          experiments: [
            { key: 'my-test-3', hashVersion: 1, variants: [{ name: '0' }, { name: '1' }] },
          ],
        },
      ],
    });
    assert.equal(assign('1', renamed)[0]?.variant, '0');
  });

  it('is deterministic: the same user gets the same variants from a freshly parsed config', () => {
    const a = parseExperimentsConfig(EXAMPLE_CONFIG);
    const b = parseExperimentsConfig(EXAMPLE_CONFIG);
    for (const user of USERS.slice(0, 500)) assert.deepEqual(assign(user, a), assign(user, b));
  });

  it('puts a user in at most one experiment of a layer, and the layer slices hold the users they claim', () => {
    const config = parseExperimentsConfig(EXAMPLE_CONFIG);
    let inModel = 0;
    let inWeights = 0;
    for (const user of USERS) {
      const ranking = assign(user, config).filter((a) => a.layer === 'ranking');
      assert.ok(ranking.length <= 1, `${user} is in ${ranking.length} ranking experiments`);
      if (ranking[0]?.experiment === 'feed-model-v2') inModel += 1;
      if (ranking[0]?.experiment === 'objective-weights') inWeights += 1;
    }
    // feed-model-v2 holds half the layer at full coverage; objective-weights the other half at 50%.
    const check = sampleRatioMismatch(
      [inModel, inWeights, USERS.length - inModel - inWeights],
      [0.5, 0.25, 0.25],
    );
    assert.ok(!check.mismatch, `split ${inModel}/${inWeights}: p=${check.pValue}`);
  });

  it('splits users by the configured weights', () => {
    const config = validateExperimentsConfig({
      layers: [
        {
          id: 'l',
          experiments: [
            {
              key: 'w',
              variants: [
                { name: 'a', weight: 0.3 },
                { name: 'b', weight: 0.7 },
              ],
            },
          ],
        },
      ],
    });
    const counts = { a: 0, b: 0 };
    for (const user of USERS) counts[assign(user, config)[0]?.variant as 'a' | 'b'] += 1;
    const check = sampleRatioMismatch([counts.a, counts.b], [0.3, 0.7]);
    assert.ok(!check.mismatch, JSON.stringify(counts));
    assert.ok(Math.abs(counts.a / USERS.length - 0.3) < 0.02, JSON.stringify(counts));
  });

  it('assigns independently across layers', () => {
    const config = validateExperimentsConfig({
      layers: [
        { id: 'one', experiments: [{ key: 'x', variants: [{ name: 'a' }, { name: 'b' }] }] },
        { id: 'two', experiments: [{ key: 'y', variants: [{ name: 'a' }, { name: 'b' }] }] },
      ],
    });
    const cells = new Map<string, number>([
      ['a/a', 0],
      ['a/b', 0],
      ['b/a', 0],
      ['b/b', 0],
    ]);
    for (const user of USERS) {
      const [x, y] = assign(user, config);
      assert.equal(x?.experiment, 'x');
      assert.equal(y?.experiment, 'y');
      const key = `${x?.variant}/${y?.variant}`;
      cells.set(key, (cells.get(key) ?? 0) + 1);
    }
    // Independent layers fill the four cells evenly; correlated ones would pile into two.
    const check = sampleRatioMismatch([...cells.values()], [1, 1, 1, 1]);
    assert.ok(!check.mismatch, JSON.stringify([...cells]));
  });

  it('leaves users outside the coverage and users without an id out of the experiment', () => {
    const config = validateExperimentsConfig({
      layers: [
        {
          id: 'l',
          experiments: [{ key: 'c', coverage: 0.2, variants: [{ name: 'a' }, { name: 'b' }] }],
        },
      ],
    });
    const inside = USERS.filter((user) => assign(user, config).length > 0).length;
    assert.ok(Math.abs(inside / USERS.length - 0.2) < 0.02, `${inside} of ${USERS.length}`);
    assert.deepEqual(assign('', config), []);
    const experiment = config.layers[0]?.experiments[0];
    assert.ok(experiment);
    assert.equal(assignExperiment('', experiment), undefined);
  });

  it('moves nobody when traffic ramps up or the config grows around an experiment', () => {
    // Ramping up (coverage 0.2 to 0.6, namespace [0, 0.3) to [0, 0.6)), giving the rest of the
    // layer to a new experiment, adding a layer and changing what a variant overrides only
    // let users in: everyone who was in the experiment keeps their variant.
    const ramped = (experiment: Record<string, unknown>, more: unknown[] = []) =>
      validateExperimentsConfig({
        layers: [
          {
            id: 'ranking',
            experiments: [
              {
                key: 'ramp',
                variants: [
                  { name: 'control', weight: 0.5 },
                  { name: 'treatment', weight: 0.5, overrides: { model: 'feed-v2' } },
                ],
                ...experiment,
              },
              ...more,
            ],
          },
        ],
      });
    const before = ramped({ coverage: 0.2, namespace: [0, 0.3] });
    const overridesChanged = ramped({
      coverage: 0.2,
      namespace: [0, 0.3],
      variants: [
        { name: 'control', weight: 0.5 },
        { name: 'treatment', weight: 0.5, overrides: { model: 'feed-v3' } },
      ],
    });
    const layerAdded = validateExperimentsConfig({
      layers: [
        {
          id: 'ranking',
          experiments: [
            {
              key: 'ramp',
              coverage: 0.2,
              namespace: [0, 0.3],
              variants: [{ name: 'control' }, { name: 'treatment' }],
            },
          ],
        },
        { id: 'mixing', experiments: [{ key: 'mix', variants: [{ name: 'a' }, { name: 'b' }] }] },
      ],
    });
    const cases = [
      {
        change: 'coverage 0.6',
        after: ramped({ coverage: 0.6, namespace: [0, 0.3] }),
        entrants: true,
      },
      {
        change: 'namespace [0, 0.6)',
        after: ramped({ coverage: 0.2, namespace: [0, 0.6] }),
        entrants: true,
      },
      {
        change: 'the rest of the layer to a new experiment',
        after: ramped({ coverage: 1, namespace: [0, 0.6] }, [
          { key: 'next', namespace: [0.6, 1], variants: [{ name: 'a' }, { name: 'b' }] },
        ]),
        entrants: true,
      },
      { change: 'new overrides', after: overridesChanged, entrants: false },
      { change: 'a new layer', after: layerAdded, entrants: false },
    ];
    const ramp = (config: typeof before, user: string) =>
      assign(user, config).find((a) => a.experiment === 'ramp')?.variant;
    for (const { change, after, entrants } of cases) {
      let entered = 0;
      for (const user of USERS) {
        const was = ramp(before, user);
        const is = ramp(after, user);
        if (was !== undefined)
          assert.equal(is, was, `${change}: ${user} moved from ${was} to ${is}`);
        else if (is !== undefined) entered += 1;
      }
      assert.equal(entered > 0, entrants, `${change}: ${entered} users entered`);
    }
  });

  it('merges the overrides of every layer a user is in', () => {
    const config = parseExperimentsConfig(EXAMPLE_CONFIG);
    const user = USERS.find((u) => {
      const a = assign(u, config);
      return a.some((x) => x.variant === 'treatment') && a.some((x) => x.variant === 'quota-20');
    });
    assert.ok(user, 'some user is in both treatment and quota-20');
    assert.deepEqual(mergedOverrides(assign(user, config)), {
      model: 'feed-v2',
      objectiveWeights: { like: 1, reblog: 2, hide: -4 },
      sourceBudgets: { fresh: { maxCandidates: 120 } },
      mixer: { newCreatorShare: 0.2 },
    });
  });
});

function growthbookRunConfigWeights(weights: number[]) {
  return validateExperimentsConfig({
    layers: [
      {
        id: 'l',
        experiments: [
          {
            key: 'my-test',
            hashVersion: 1,
            variants: weights.map((weight, i) => ({ name: String(i), weight })),
          },
        ],
      },
    ],
  });
}
