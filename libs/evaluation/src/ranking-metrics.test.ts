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
