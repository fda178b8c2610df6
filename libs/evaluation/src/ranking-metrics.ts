/**
 * Ranking metrics as ../shared/data/README.md defines them. `ranked` is a list of ids, best
 * first; relevance is a set (binary) or a map of graded gains.
 */

/** Hits in the top k, divided by k. */
export function precisionAt(
  ranked: readonly string[],
  relevant: ReadonlySet<string>,
  k: number,
): number {
  return hitsAt(ranked, relevant, k) / k;
}

/** Hits in the top k, divided by the number of relevant items. */
export function recallAt(
  ranked: readonly string[],
  relevant: ReadonlySet<string>,
  k: number,
): number {
  return relevant.size === 0 ? 0 : hitsAt(ranked, relevant, k) / relevant.size;
}

/**
 * Binary-gain nDCG: the sum over hits of 1/log2(1 + rank), divided by the same sum for an
 * ideal list of min(relevant, k) hits.
 */
export function binaryNdcgAt(
  ranked: readonly string[],
  relevant: ReadonlySet<string>,
  k: number,
): number {
  const gains = new Map([...relevant].map((id) => [id, 1]));
  return ndcgAt(ranked, gains, k);
}

/**
 * Graded nDCG with the gains given (e.g. 2^g - 1 for Cranfield) and a log2(1 + rank)
 * discount; the ideal list orders every judged item by gain.
 */
export function ndcgAt(
  ranked: readonly string[],
  gains: ReadonlyMap<string, number>,
  k: number,
): number {
  let dcg = 0;
  ranked.slice(0, k).forEach((id, index) => {
    dcg += (gains.get(id) ?? 0) / Math.log2(index + 2);
  });
  const ideal = [...gains.values()]
    .filter((gain) => gain > 0)
    .sort((a, b) => b - a)
    .slice(0, k)
    .reduce((sum, gain, index) => sum + gain / Math.log2(index + 2), 0);
  return ideal === 0 ? 0 : dcg / ideal;
}

/**
 * Average precision over the top k: the sum over hits of (hits so far / rank), divided by the
 * number of relevant items (not by min(relevant, k), as the README's MAP says).
 */
export function averagePrecisionAt(
  ranked: readonly string[],
  relevant: ReadonlySet<string>,
  k: number,
): number {
  if (relevant.size === 0) return 0;
  let hits = 0;
  let sum = 0;
  ranked.slice(0, k).forEach((id, index) => {
    if (relevant.has(id)) {
      hits++;
      sum += hits / (index + 1);
    }
  });
  return sum / relevant.size;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, v) => sum + v, 0) / values.length;
}

function hitsAt(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  return ranked.slice(0, k).filter((id) => relevant.has(id)).length;
}
