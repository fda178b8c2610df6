/**
 * Ranking metrics as ../shared/data/README.md defines them. `ranked` is a list of ids, best
 * first; relevance is a set (binary) or a map of graded gains. An id repeated in `ranked`
 * counts at its first rank only (later copies are misses), so no figure exceeds 1. `k` must
 * be a positive integer (a RangeError names it otherwise).
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
  const hits = hitsAt(ranked, relevant, k);
  return relevant.size === 0 ? 0 : hits / relevant.size;
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
  topOf(ranked, k).forEach((id, index) => {
    if (id !== undefined) dcg += (gains.get(id) ?? 0) / Math.log2(index + 2);
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
  const top = topOf(ranked, k);
  if (relevant.size === 0) return 0;
  let hits = 0;
  let sum = 0;
  top.forEach((id, index) => {
    if (id !== undefined && relevant.has(id)) {
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
  return topOf(ranked, k).filter((id) => id !== undefined && relevant.has(id)).length;
}

/** The top k of `ranked`, a repeated id left undefined (a miss) after its first rank. */
function topOf(ranked: readonly string[], k: number): (string | undefined)[] {
  if (!Number.isInteger(k) || k < 1) {
    throw new RangeError(`k must be a positive integer, got ${k}`);
  }
  const seen = new Set<string>();
  return ranked.slice(0, k).map((id) => {
    if (seen.has(id)) return undefined;
    seen.add(id);
    return id;
  });
}
