import assert from 'node:assert/strict';
import {
  ExperimentConfigError,
  parseExperimentsConfig,
  validateExperimentsConfig,
} from './experiment-config.js';
import { growthbookHash, inNamespace } from './growthbook-hash.js';
import { sampleRatioMismatch } from './statistics.js';
import { EXAMPLE_CONFIG } from './test-support/example-config.js';

function issuesOf(text: string): { path: string; problem: string }[] {
  try {
    parseExperimentsConfig(text, 'test.yaml');
  } catch (error) {
    assert.ok(error instanceof ExperimentConfigError, String(error));
    return [...error.issues];
  }
  assert.fail('expected the config to be rejected');
}

/** A config whose second experiment has the given variants (YAML list lines). */
function withVariants(variants: string): string {
  return `
layers:
  - id: ranking
    experiments:
      - key: first
        namespace: [0, 0.5]
        variants: [{ name: a }, { name: b }]
      - key: second
        namespace: [0.5, 1]
        variants:
${variants}
`;
}

describe('the experiment config', () => {
  it('loads layers, experiments, seeds, traffic and overrides from YAML', () => {
    const config = parseExperimentsConfig(EXAMPLE_CONFIG);
    assert.deepEqual(
      config.layers.map((layer) => [layer.id, layer.experiments.map((e) => e.key)]),
      [
        ['ranking', ['feed-model-v2', 'objective-weights']],
        ['mixing', ['new-creator-quota']],
      ],
    );
    const [model, weights] = config.layers[0]?.experiments ?? [];
    assert.equal(model?.seed, 'feed-model-v2', 'the seed defaults to the key');
    assert.equal(model?.hashVersion, 2);
    assert.equal(model?.startAtMs, Date.UTC(2026, 10, 1));
    assert.deepEqual(model?.variants[1]?.overrides, {
      model: 'feed-v2',
      objectiveWeights: { like: 1, reblog: 2, hide: -4 },
    });
    assert.deepEqual(weights?.ranges, [
      [0, 0.25],
      [0.5, 0.75],
    ]);
    assert.deepEqual(
      weights?.variants.map((v) => v.weight),
      [0.5, 0.5],
    );
    const quota = config.layers[1]?.experiments[0];
    assert.equal(quota?.seed, 'ncq-2026-11');
    assert.deepEqual(quota?.variants[1]?.overrides.sourceBudgets, {
      fresh: { maxCandidates: 80, timeoutMs: 40 },
    });
    assert.ok(
      Object.isFrozen(quota?.variants[1]?.overrides),
      'the loaded config cannot be changed by a caller',
    );
  });

  it('accepts an empty file as no experiments', () => {
    assert.deepEqual(parseExperimentsConfig('').layers, []);
  });

  it('names the path of a variant weight out of range', () => {
    const issues = issuesOf(
      withVariants(
        '          - { name: a, weight: 0.5 }\n          - { name: b, weight: 0.25 }\n          - { name: c, weight: 1.25 }',
      ),
    );
    assert.ok(
      issues.some(
        (i) =>
          i.path === 'layers[0].experiments[1].variants[2].weight' &&
          /between 0 and 1/.test(i.problem),
      ),
      JSON.stringify(issues),
    );
  });

  it('rejects weights that do not add up to 1, naming the variants', () => {
    const issues = issuesOf(
      withVariants('          - { name: a, weight: 0.5 }\n          - { name: b, weight: 0.4 }'),
    );
    assert.deepEqual(issues, [
      {
        path: 'layers[0].experiments[1].variants',
        problem: 'weights must add up to 1, they add up to 0.9',
      },
    ]);
  });

  it('rejects a weight missing on one variant when others set theirs', () => {
    const issues = issuesOf(
      withVariants('          - { name: a, weight: 0.5 }\n          - { name: b }'),
    );
    assert.equal(issues[0]?.path, 'layers[0].experiments[1].variants[1].weight');
  });

  it('rejects experiments of one layer whose namespaces overlap', () => {
    const issues = issuesOf(`
layers:
  - id: l
    experiments:
      - { key: a, namespace: [0, 0.6], variants: [{ name: x }, { name: y }] }
      - { key: b, namespace: [0.5, 1], variants: [{ name: x }, { name: y }] }
`);
    assert.equal(issues[0]?.path, 'layers[0].experiments[1].namespace');
    assert.match(issues[0]?.problem ?? '', /overlaps layers\[0\]\.experiments\[0\]\.namespace/);
  });

  it('rejects a duplicate experiment key, layer id or variant name', () => {
    const issues = issuesOf(`
layers:
  - id: l
    experiments:
      - { key: a, variants: [{ name: x }, { name: x }] }
  - id: l
    experiments:
      - { key: a, variants: [{ name: x }, { name: y }] }
`);
    const paths = issues.map((i) => i.path);
    assert.ok(paths.includes('layers[0].experiments[0].variants[1].name'), paths.join());
    assert.ok(paths.includes('layers[1].id'), paths.join());
    assert.ok(paths.includes('layers[1].experiments[0].key'), paths.join());
  });

  it('rejects two layers overriding the same pipeline parameter', () => {
    const issues = issuesOf(`
layers:
  - id: ranking
    experiments:
      - { key: a, variants: [{ name: x }, { name: y, overrides: { model: m2 } }] }
  - id: mixing
    experiments:
      - { key: b, variants: [{ name: x }, { name: y, overrides: { model: m3 } }] }
`);
    assert.equal(issues[0]?.path, 'layers[1].experiments[0].variants[1].overrides');
    assert.match(issues[0]?.problem ?? '', /model, which layer "ranking" already overrides/);
  });

  it('rejects a hash seed two layers share, whose experiments would split users the same way', () => {
    // Layers are meant to split users independently, each experiment with its own seed. With
    // one seed (here: b's explicit seed is a's key, a's default seed) both experiments hash
    // every user to the same position: all of a's treatment is b's treatment, so neither
    // experiment's difference can be told from the other's.
    const issues = issuesOf(`
layers:
  - id: ranking
    experiments:
      - { key: a, variants: [{ name: x }, { name: y }] }
  - id: mixing
    experiments:
      - { key: b, seed: a, variants: [{ name: x }, { name: y }] }
`);
    assert.equal(issues[0]?.path, 'layers[1].experiments[0].seed');
    assert.match(issues[0]?.problem ?? '', /layers\[0\]\.experiments\[0\]/);
    // Within one layer the experiments hold disjoint slices, so a shared seed splits no user
    // twice (a relaunch under a new key may keep the seed to keep its users' variants).
    validateExperimentsConfig({
      layers: [
        {
          id: 'l',
          experiments: [
            { key: 'a', namespace: [0, 0.5], variants: [{ name: 'x' }, { name: 'y' }] },
            { key: 'b', seed: 'a', namespace: [0.5, 1], variants: [{ name: 'x' }, { name: 'y' }] },
          ],
        },
      ],
    });
  });

  it('rejects version-1 seeds of equal length hashing the same users, whose splits are correlated', () => {
    // Version 1 is fnv1a32(id + seed) % 1000: two seeds of one length extend the same hash of
    // the id by as many characters, so their results differ by one of a few offsets. Over
    // 20,000 ids, seeds "x" and "y" put far fewer than half the users on the same side of a
    // 50/50 split, and seed "abcd" does not split the half of layer "l1" (namespace seed "__l1",
    // also 4 characters) evenly.
    const ids = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);
    const sameSide = ids.filter(
      (id) => growthbookHash('x', id, 1) < 0.5 === growthbookHash('y', id, 1) < 0.5,
    ).length;
    assert.ok(sameSide / ids.length < 0.3, `${sameSide} of ${ids.length} on the same side`);
    const slice = ids.filter((id) => inNamespace(id, ['l1', 0, 0.5]));
    const first = slice.filter((id) => growthbookHash('abcd', id, 1) < 0.5).length;
    assert.ok(
      sampleRatioMismatch([first, slice.length - first], [1, 1]).mismatch,
      `${first} of ${slice.length}`,
    );

    const across = issuesOf(`
layers:
  - id: ranking
    experiments:
      - { key: a, seed: x, hashVersion: 1, variants: [{ name: c }, { name: t }] }
  - id: mixing
    experiments:
      - { key: b, seed: y, hashVersion: 1, variants: [{ name: c }, { name: t }] }
`);
    assert.equal(across[0]?.path, 'layers[1].experiments[0].seed');
    assert.match(across[0]?.problem ?? '', /layers\[0\]\.experiments\[0\]/);
    assert.match(across[0]?.problem ?? '', /1 character/);

    const ownSlice = issuesOf(`
layers:
  - id: l1
    experiments:
      - { key: a, seed: abcd, hashVersion: 1, namespace: [0, 0.5], variants: [{ name: c }, { name: t }] }
`);
    assert.equal(ownSlice[0]?.path, 'layers[0].experiments[0].seed');
    assert.match(ownSlice[0]?.problem ?? '', /"__l1"/);

    // Another layer's slices: the variants would hold unequal shares of that layer's users.
    const otherSlices = issuesOf(`
layers:
  - id: l1
    experiments:
      - { key: a, namespace: [0, 0.5], variants: [{ name: c }, { name: t }] }
  - id: l2
    experiments:
      - { key: b, seed: abcd, hashVersion: 1, variants: [{ name: c }, { name: t }] }
`);
    assert.equal(otherSlices[0]?.path, 'layers[1].experiments[0].seed');
    assert.match(otherSlices[0]?.problem ?? '', /"__l1"/);

    // Seeds of other lengths, equal lengths within one layer's disjoint slices, and version 2
    // are fine.
    validateExperimentsConfig({
      layers: [
        {
          id: 'ranking',
          experiments: [
            {
              key: 'a',
              seed: 'xyz',
              hashVersion: 1,
              namespace: [0, 0.5],
              variants: [{ name: 'c' }, { name: 't' }],
            },
            {
              key: 'b',
              seed: 'uvw',
              hashVersion: 1,
              namespace: [0.5, 1],
              variants: [{ name: 'c' }, { name: 't' }],
            },
          ],
        },
        {
          id: 'mixing',
          experiments: [
            { key: 'c', seed: 'pq', hashVersion: 1, variants: [{ name: 'c' }, { name: 't' }] },
          ],
        },
        {
          id: 'other',
          experiments: [{ key: 'd', seed: 'rs', variants: [{ name: 'c' }, { name: 't' }] }],
        },
      ],
    });
  });

  it('rejects unknown fields, unknown objectives and bad ids with their paths', () => {
    const issues = issuesOf(`
layers:
  - id: l
    experiments:
      - key: "bad key"
        trafic: 0.5
        variants:
          - { name: x, overrides: { objectiveWeights: { clicks: 1 } } }
          - { name: y, overrides: { sourceBudgets: { fresh: { maxCandidates: -1 } } } }
`);
    const paths = issues.map((i) => i.path);
    assert.ok(paths.includes('layers[0].experiments[0].key'), paths.join());
    assert.ok(
      paths.some(
        (p) =>
          p.startsWith('layers[0].experiments[0]') &&
          issues.find((i) => i.path === p)?.problem.includes('trafic'),
      ),
      JSON.stringify(issues),
    );
    assert.ok(
      paths.some((p) =>
        p.startsWith('layers[0].experiments[0].variants[0].overrides.objectiveWeights'),
      ),
      paths.join(),
    );
    assert.ok(
      paths.includes(
        'layers[0].experiments[0].variants[1].overrides.sourceBudgets.fresh.maxCandidates',
      ),
      paths.join(),
    );
  });

  it('rejects a source budget of a source candidate-generation does not run, naming the sources', () => {
    const issues = issuesOf(`
layers:
  - id: l
    experiments:
      - key: k
        variants:
          - { name: a }
          - { name: b, overrides: { sourceBudgets: { frsh: { maxCandidates: 80 } } } }
`);
    const issue = issues.find((i) =>
      i.path.startsWith('layers[0].experiments[0].variants[1].overrides.sourceBudgets'),
    );
    assert.ok(issue, JSON.stringify(issues));
    assert.match(
      issue.problem,
      /^"frsh": not a candidate source; the sources are following, .*fresh$/,
    );
  });

  it('reports a YAML syntax error with its line', () => {
    const issues = issuesOf('layers:\n  - id: l\n    experiments: [\n');
    assert.match(issues[0]?.path ?? '', /^line \d+ column \d+$/);
  });

  it('puts the first path and the file in the error message', () => {
    assert.throws(
      () =>
        validateExperimentsConfig(
          { layers: [{ id: 'l', experiments: [{ key: 'k', variants: [{ name: 'a' }] }] }] },
          'x.yaml',
        ),
      (error: unknown) =>
        error instanceof ExperimentConfigError &&
        error.variable === 'layers[0].experiments[0].variants' &&
        /at least 2 variants/.test(error.message) &&
        /x\.yaml/.test(error.message),
    );
  });
});
