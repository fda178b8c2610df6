import assert from 'node:assert/strict';
import { applyCellOps, decayedAt, foldDecayed, type CellOp } from './cell-ops.js';

const H = 1_000;
const decayedAdd = (weight: number): CellOp => ({ code: 'd', cell: 0, a: H, b: weight });

describe('cell ops', () => {
  it('halves a decayed counter every half-life', () => {
    assert.equal(decayedAt(8, 0, H, H), 4);
    assert.equal(decayedAt(8, 0, H, 3 * H), 1);
    assert.ok(Math.abs(decayedAt(8, 0, H, H / 2) - 8 * Math.SQRT1_2) < 1e-12);
  });

  it('does not grow a counter when the request clock is behind its last event', () => {
    assert.equal(decayedAt(3, 10 * H, H, 9 * H), 3);
  });

  it('folds a newer event by decaying the value to its time first', () => {
    // 4 at t=0, then +1 at t=2h: 4 * 2^-2 + 1.
    assert.deepEqual(foldDecayed(4, 0, 2 * H, H, 1), [2, 2 * H]);
  });

  it('folds a late event by decaying its weight to the counter time', () => {
    // 1 at t=2h already counted, then a late +4 from t=0: 1 + 4 * 2^-2, still at 2h.
    assert.deepEqual(foldDecayed(1, 2 * H, 0, H, 4), [2, 2 * H]);
  });

  it('reaches the same counter whichever order events arrive in', () => {
    const events = [
      { at: 0, weight: 1 },
      { at: 3 * H, weight: 2 },
      { at: 1.5 * H, weight: 5 },
      { at: 7 * H, weight: 0.5 },
    ];
    const fold = (order: typeof events) => {
      const cells = new Float64Array(2);
      for (const { at, weight } of order) applyCellOps(cells, at, [decayedAdd(weight)]);
      return cells;
    };
    const inOrder = fold([...events].sort((a, b) => a.at - b.at));
    const reversed = fold([...events].sort((a, b) => b.at - a.at));
    const expected = 1 * 2 ** -7 + 2 * 2 ** -4 + 5 * 2 ** -5.5 + 0.5;
    assert.ok(Math.abs(inOrder[0]! - expected) < 1e-12);
    assert.ok(Math.abs(reversed[0]! - expected) < 1e-12);
    assert.equal(inOrder[1], 7 * H);
    assert.equal(reversed[1], 7 * H);
  });

  it('merges attributes: max and min take any value over unset, add sums, set overwrites', () => {
    const cells = new Float64Array([Number.NaN, Number.NaN, 0, 7]);
    const ops = (x: number): CellOp[] => [
      { code: 'x', cell: 0, a: x, b: 0 },
      { code: 'n', cell: 1, a: x, b: 0 },
      { code: '+', cell: 2, a: x, b: 0 },
      { code: 's', cell: 3, a: x, b: 0 },
    ];
    applyCellOps(cells, 0, ops(5));
    applyCellOps(cells, 0, ops(3));
    applyCellOps(cells, 0, ops(9));
    assert.deepEqual([...cells], [9, 3, 17, 9]);
  });
});
