import { itemUniverse, type Interactions } from './interactions.js';
import type { Retriever } from './retriever.js';
import { invertSymmetricPositiveDefinite } from './spd-inverse.js';

export interface EaseOptions {
  /** L2 penalty of the item-item weights (Steck 2019). Default 300, as in the README table. */
  readonly lambda?: number;
  /**
   * Items with fewer ratings than this are left out of the model (score -Infinity): the
   * closed form inverts an items x items matrix, cubic in its size.
   */
  readonly minRatings?: number;
  /**
   * The rating counts `minRatings` applies to; default this fold's. Passing the counts of all
   * training ratings gives every fold the same items, so features mean the same on each.
   */
  readonly universeCounts?: Int32Array;
}

/** EASE with its item-item weights exposed: the ranker reads B between a candidate and the history. */
export type EaseRetriever = Retriever & {
  readonly universe: Int32Array;
  /** Each catalog item's row in `weights` (-1: not modelled). */
  readonly local: Int32Array;
  /** The item-item weights B, universe x universe, row-major: B[a * n + b]. */
  readonly weights: Float32Array;
};

/**
 * EASE: B = I - P diagMat(1 / diag(P)) with P = (X^T X + lambda I)^-1, a user's scores x_u B
 * (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019).
 */
export function easeRetriever(data: Interactions, options: EaseOptions = {}): EaseRetriever {
  const lambda = options.lambda ?? 300;
  const minRatings = options.minRatings ?? 1;
  const { universe, local } = itemUniverse(data, minRatings, options.universeCounts);
  const n = universe.length;

  const gram = new Float64Array(n * n);
  for (const history of data.history) {
    const rows = Array.from(history, (i) => local[i] as number).filter((j) => j >= 0);
    for (const a of rows) {
      const base = a * n;
      for (const b of rows) gram[base + b] = (gram[base + b] as number) + 1;
    }
  }
  for (let j = 0; j < n; j += 1) gram[j * n + j] = (gram[j * n + j] as number) + lambda;
  const p = invertSymmetricPositiveDefinite(gram, n);
  // weights[a * n + b] = -P[a][b] / P[b][b], zero diagonal.
  const weights = new Float32Array(n * n);
  for (let a = 0; a < n; a += 1) {
    for (let b = 0; b < n; b += 1) {
      weights[a * n + b] = a === b ? 0 : -(p[a * n + b] as number) / (p[b * n + b] as number);
    }
  }
  const row = new Float32Array(n);
  return {
    name: 'ease',
    universe,
    local,
    weights,
    scoreUser(user, out) {
      row.fill(0);
      for (const item of data.history[user] ?? []) {
        const a = local[item] as number;
        if (a < 0) continue;
        const base = a * n;
        for (let b = 0; b < n; b += 1) row[b] = (row[b] as number) + (weights[base + b] as number);
      }
      out.fill(Number.NEGATIVE_INFINITY);
      for (let b = 0; b < n; b += 1) out[universe[b] as number] = row[b] as number;
    },
  };
}
