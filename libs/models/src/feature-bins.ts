import { isMissing, type NamedMatrix } from './feature-input.js';

/**
 * Feature values cut into at most `maxBins` quantile bins per column, the form histogram
 * gradient boosting trains on. Bin 0 holds missing values (flagged, or not finite); bin b >= 1
 * holds values in [thresholds[b - 2], thresholds[b - 1]), so a split "bins 1..b go left" is the
 * served rule `x < thresholds[b - 1]`.
 */
export interface BinnedFeatures {
  readonly rows: number;
  readonly width: number;
  /** Ascending cut points per column; column f has thresholds[f].length + 1 value bins. */
  readonly thresholds: readonly Float64Array[];
  /** Column-major codes: codes[f * rows + r]. */
  readonly codes: Uint8Array;
}

/** Up to this many values per column are sorted to place the cut points. */
const QUANTILE_SAMPLE = 200_000;

export function binFeatures(matrix: NamedMatrix, maxBins: number): BinnedFeatures {
  if (maxBins < 2 || maxBins > 255) throw new RangeError('maxBins must be in [2, 255]');
  const rows = matrix.rows;
  const width = matrix.names.length;
  const stride = Math.max(1, Math.floor(rows / QUANTILE_SAMPLE));
  const thresholds: Float64Array[] = [];
  for (let f = 0; f < width; f += 1) {
    const sample: number[] = [];
    for (let r = 0; r < rows; r += stride) {
      const value = valueAt(matrix, r, f, width);
      if (!Number.isNaN(value)) sample.push(value);
    }
    thresholds.push(cutPoints(sample, maxBins - 1));
  }
  return binWith(matrix, thresholds);
}

/** Bins another matrix (validation rows) with cut points learned elsewhere. */
export function binWith(matrix: NamedMatrix, thresholds: readonly Float64Array[]): BinnedFeatures {
  const rows = matrix.rows;
  const width = matrix.names.length;
  const codes = new Uint8Array(rows * width);
  for (let f = 0; f < width; f += 1) {
    const cuts = thresholds[f] as Float64Array;
    for (let r = 0; r < rows; r += 1) {
      const value = valueAt(matrix, r, f, width);
      codes[f * rows + r] = Number.isNaN(value) ? 0 : 1 + upperBound(cuts, value);
    }
  }
  return { rows, width, thresholds, codes };
}

function valueAt(matrix: NamedMatrix, r: number, f: number, width: number): number {
  const at = r * width + f;
  const value = matrix.values[at] as number;
  if (!Number.isFinite(value) || isMissing(matrix.missing, at)) return Number.NaN;
  return value;
}

/**
 * Cut points between distinct values so each bin holds about the same number of rows. Walks
 * the distinct values with their counts: a value shared by many rows (a rank cap, a zero)
 * gets a bin of its own instead of swallowing the cuts around it.
 */
function cutPoints(unsorted: number[], maxCuts: number): Float64Array {
  // A typed array sorts numerically without a comparator call per pair (several times faster
  // on 200k values); NaN never reaches here.
  const values = Float64Array.from(unsorted).sort();
  const distinct: number[] = [];
  const counts: number[] = [];
  for (const v of values) {
    if (distinct.length > 0 && distinct[distinct.length - 1] === v) {
      counts[counts.length - 1] = (counts[counts.length - 1] as number) + 1;
    } else {
      distinct.push(v);
      counts.push(1);
    }
  }
  if (distinct.length <= 1) return new Float64Array(0);
  const cuts: number[] = [];
  if (distinct.length <= maxCuts + 1) {
    for (let i = 1; i < distinct.length; i += 1)
      cuts.push(midpoint(distinct[i - 1]!, distinct[i]!));
    return Float64Array.from(cuts);
  }
  let remaining = values.length;
  let binsLeft = maxCuts + 1;
  let inBin = 0;
  for (let i = 0; i + 1 < distinct.length && binsLeft > 1; i += 1) {
    const count = counts[i] as number;
    inBin += count;
    remaining -= count;
    // Close the bin once it holds its share of what is left, re-spreading the rest.
    if (inBin >= (inBin + remaining) / binsLeft) {
      cuts.push(midpoint(distinct[i]!, distinct[i + 1]!));
      binsLeft -= 1;
      inBin = 0;
    }
  }
  return Float64Array.from(cuts);
}

function midpoint(a: number, b: number): number {
  const m = a + (b - a) / 2;
  return m > a ? m : b;
}

/** The number of cuts <= value. */
function upperBound(cuts: Float64Array, value: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cuts[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
