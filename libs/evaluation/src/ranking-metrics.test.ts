import assert from 'node:assert/strict';
import {
  averagePrecisionAt,
  binaryNdcgAt,
  ndcgAt,
  precisionAt,
  recallAt,
} from './ranking-metrics.js';

describe('ranking metrics', () => {
  const ranked = ['a', 'x', 'b', 'y', 'c'];
  const relevant = new Set(['a', 'b', 'z']);

  it('counts precision and recall at k', () => {
    assert.equal(precisionAt(ranked, relevant, 5), 2 / 5);
    assert.equal(recallAt(ranked, relevant, 5), 2 / 3);
    assert.equal(recallAt(ranked, relevant, 1), 1 / 3);
  });

  it('computes binary nDCG against an ideal list of min(relevant, k) hits', () => {
    const dcg = 1 / Math.log2(2) + 1 / Math.log2(4);
    const ideal = 1 / Math.log2(2) + 1 / Math.log2(3) + 1 / Math.log2(4);
    assert.ok(Math.abs(binaryNdcgAt(ranked, relevant, 5) - dcg / ideal) < 1e-12);
    // With k = 2 the ideal holds two hits.
    assert.ok(Math.abs(binaryNdcgAt(ranked, relevant, 2) - 1 / (1 + 1 / Math.log2(3))) < 1e-12);
  });

  it('computes graded nDCG with the given gains', () => {
    const gains = new Map([
      ['a', 1],
      ['b', 7],
    ]);
    const dcg = 1 / Math.log2(2) + 7 / Math.log2(4);
    const ideal = 7 / Math.log2(2) + 1 / Math.log2(3);
    assert.ok(Math.abs(ndcgAt(ranked, gains, 10) - dcg / ideal) < 1e-12);
  });

  it('divides average precision by every relevant item', () => {
    assert.ok(Math.abs(averagePrecisionAt(ranked, relevant, 10) - (1 / 1 + 2 / 3) / 3) < 1e-12);
    assert.equal(averagePrecisionAt(ranked, new Set(), 10), 0);
  });
});

describe('ranking metrics on awkward lists', () => {
  const relevant = new Set(['a', 'b']);

  it('counts an item repeated in the ranked list once, as a miss after its first rank', () => {
    const ranked = ['a', 'a', 'a', 'x'];
    assert.equal(precisionAt(ranked, relevant, 4), 1 / 4);
    assert.equal(recallAt(ranked, relevant, 4), 1 / 2);
    assert.equal(averagePrecisionAt(ranked, relevant, 4), 1 / 2);
    const ideal = 1 + 1 / Math.log2(3);
    assert.ok(Math.abs(binaryNdcgAt(ranked, relevant, 4) - 1 / ideal) < 1e-12);
    const gains = new Map([
      ['a', 3],
      ['b', 1],
    ]);
    assert.ok(Math.abs(ndcgAt(ranked, gains, 4) - 3 / (3 + 1 / Math.log2(3))) < 1e-12);
  });

  it('scores an empty list and a user with no relevant items 0, not NaN', () => {
    for (const metric of [precisionAt, recallAt, averagePrecisionAt, binaryNdcgAt]) {
      assert.equal(metric([], relevant, 10), 0);
      assert.equal(metric(['a'], new Set(), 10), 0);
    }
  });

  it('refuses a k that is not a positive integer, naming k', () => {
    for (const k of [0, -1, 2.5, Number.NaN]) {
      for (const metric of [precisionAt, recallAt, averagePrecisionAt, binaryNdcgAt]) {
        assert.throws(
          () => metric(['a', 'b'], relevant, k),
          /^RangeError: k must be a positive integer/,
        );
      }
      assert.throws(() => ndcgAt(['a'], new Map([['a', 1]]), k), /^RangeError: k must be/);
    }
  });
});
