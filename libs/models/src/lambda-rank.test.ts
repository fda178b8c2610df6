import assert from 'node:assert/strict';
import { meanNdcgAt, queryOffsets } from './lambda-rank.js';

const discount = (position: number) => 1 / Math.log2(position + 2);

describe('mean nDCG@k', () => {
  it('scores a perfect order 1 and a relevant row ranked last below it', () => {
    const offsets = queryOffsets([1, 1, 1]);
    assert.equal(meanNdcgAt(Float64Array.of(0.9, 0.5, 0.1), [1, 0, 0], offsets, 10), 1);
    assert.equal(
      meanNdcgAt(Float64Array.of(0.9, 0.5, 0.1), [0, 0, 1], offsets, 10),
      discount(2) / discount(0),
    );
  });

  it('gives tied rows the mean discount of their positions, whatever their input order', () => {
    const scores = new Float64Array(5).fill(0.3);
    const offsets = queryOffsets([1, 1, 1, 1, 1]);
    const mean = [0, 1, 2, 3, 4].reduce((s, p) => s + discount(p), 0) / 5;
    const first = meanNdcgAt(scores, [1, 0, 0, 0, 0], offsets, 10);
    const last = meanNdcgAt(scores, [0, 0, 0, 0, 1], offsets, 10);
    assert.equal(first, last);
    assert.ok(Math.abs(first - mean / discount(0)) < 1e-12, `${first}`);
  });

  it('counts only the positions of a tied group that fall within k', () => {
    // One row above a tie of four spanning positions 1-4; k = 3 keeps positions 1 and 2.
    const scores = Float64Array.of(0.2, 0.2, 0.9, 0.2, 0.2);
    const offsets = queryOffsets([7, 7, 7, 7, 7]);
    const expected = (discount(1) + discount(2)) / 4 / discount(0);
    const ndcg = meanNdcgAt(scores, [0, 0, 0, 1, 0], offsets, 3);
    assert.ok(Math.abs(ndcg - expected) < 1e-12, `${ndcg} vs ${expected}`);
    // Distinct scores still rank as before: the relevant row first is perfect.
    assert.equal(meanNdcgAt(scores, [0, 0, 1, 0, 0], offsets, 3), 1);
  });
});
