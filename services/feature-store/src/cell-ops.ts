/**
 * The update operations on an entity's packed state (a Float64Array of cells). The Redis store
 * runs the same operations in Lua (`redis-scripts.ts`); both must stay in step, which the
 * store contract suite checks.
 */

/**
 * `d`: add `b` to the decayed counter at `cell` (value) / `cell + 1` (time), half-life `a` ms.
 * `x` / `n`: keep the max / min of the cell and `a` (an unset NaN cell takes `a`).
 * `s`: set to `a`. `+`: add `a`.
 */
export type CellOpCode = 'd' | 'x' | 'n' | 's' | '+';

export interface CellOp {
  readonly code: CellOpCode;
  readonly cell: number;
  readonly a: number;
  readonly b: number;
}

/**
 * A decayed counter holds (value, time) with value = Σ wᵢ·2^(-(time - tᵢ)/h). An event at `at`
 * folds in exactly whether it is newer than `time` (decay the value forward, then add) or older
 * (add its weight already decayed to `time`), so any delivery order sums the same terms.
 */
export function foldDecayed(
  value: number,
  time: number,
  at: number,
  halfLifeMs: number,
  weight: number,
): [value: number, time: number] {
  if (at >= time) return [value * 2 ** (-(at - time) / halfLifeMs) + weight, at];
  return [value + weight * 2 ** (-(time - at) / halfLifeMs), time];
}

/** The counter's value at `nowMs`; a clock behind the last event does not grow it. */
export function decayedAt(value: number, time: number, halfLifeMs: number, nowMs: number): number {
  if (value === 0) return 0;
  return value * 2 ** (-Math.max(0, nowMs - time) / halfLifeMs);
}

export function applyCellOps(cells: Float64Array, atMs: number, ops: readonly CellOp[]): void {
  for (const { code, cell, a, b } of ops) {
    const current = cells[cell] ?? Number.NaN;
    switch (code) {
      case 'd': {
        const [value, time] = foldDecayed(current, cells[cell + 1] ?? 0, atMs, a, b);
        cells[cell] = value;
        cells[cell + 1] = time;
        break;
      }
      case 'x':
        if (Number.isNaN(current) || a > current) cells[cell] = a;
        break;
      case 'n':
        if (Number.isNaN(current) || a < current) cells[cell] = a;
        break;
      case 's':
        cells[cell] = a;
        break;
      case '+':
        cells[cell] = current + a;
        break;
    }
  }
}
