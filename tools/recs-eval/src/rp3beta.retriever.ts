import { itemUniverse, type Interactions } from './interactions.js';
import type { Retriever } from './retriever.js';

export interface Rp3BetaOptions {
  /** Popularity penalty: a target item's weight is divided by its degree^beta. Default 0.6. */
  readonly beta?: number;
  /** Items with fewer ratings are left out (score -Infinity). Default 2. */
  readonly minRatings?: number;
  /**
   * The rating counts `minRatings` applies to; default this fold's. Passing the counts of all
   * training ratings gives every fold the same items, so features mean the same on each.
   */
  readonly universeCounts?: Int32Array;
}

export interface ItemGraph {
  /** The modelled items, and each catalog item's row in the dense matrices (-1: none). */
  readonly universe: Int32Array;
  readonly local: Int32Array;
  /** Users who rated both items of a pair: universe x universe, row-major. */
  readonly cooccurrence: Float32Array;
}

/**
 * RP3beta (Paudel et al., "Updatable, accurate, diverse, and scalable recommendations for
 * interactive applications", 2016): the probability of a 3-step random walk item -> user ->
 * item, divided by the target's popularity^beta. Also exposes the co-occurrence counts the
 * ranker's similarity features read.
 */
export function rp3BetaRetriever(
  data: Interactions,
  options: Rp3BetaOptions = {},
): Retriever & { readonly graph: ItemGraph } {
  const beta = options.beta ?? 0.6;
  const minRatings = options.minRatings ?? 2;
  const { universe, local } = itemUniverse(data, minRatings, options.universeCounts);
  const n = universe.length;
  const cooccurrence = new Float32Array(n * n);
  const walk = new Float32Array(n * n);
  for (const history of data.history) {
    const rows = Array.from(history, (i) => local[i] as number).filter((j) => j >= 0);
    const userStep = 1 / Math.max(1, history.length);
    for (const a of rows) {
      const base = a * n;
      for (const b of rows) {
        cooccurrence[base + b] = (cooccurrence[base + b] as number) + 1;
        walk[base + b] = (walk[base + b] as number) + userStep;
      }
    }
  }
  const degree = (i: number) => Math.max(1, data.itemCounts[i] as number);
  const penalty = Float32Array.from(universe, (i) => degree(i) ** -beta);
  for (let a = 0; a < n; a += 1) {
    const itemStep = 1 / degree(universe[a] as number);
    const base = a * n;
    for (let b = 0; b < n; b += 1) {
      walk[base + b] = a === b ? 0 : (walk[base + b] as number) * itemStep * (penalty[b] as number);
    }
  }
  const row = new Float32Array(n);
  return {
    name: 'rp3beta',
    graph: { universe, local, cooccurrence },
    scoreUser(user, out) {
      row.fill(0);
      for (const item of data.history[user] ?? []) {
        const a = local[item] as number;
        if (a < 0) continue;
        const base = a * n;
        for (let b = 0; b < n; b += 1) row[b] = (row[b] as number) + (walk[base + b] as number);
      }
      out.fill(Number.NEGATIVE_INFINITY);
      for (let b = 0; b < n; b += 1) out[universe[b] as number] = row[b] as number;
    },
  };
}
