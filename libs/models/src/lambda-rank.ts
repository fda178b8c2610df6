/**
 * LambdaMART's gradients (Burges, "From RankNet to LambdaRank to LambdaMART", 2010) and the
 * nDCG used to stop it. A query is a run of contiguous rows; labels are graded gains (0/1
 * here: a candidate the user engaged with or not).
 */

/** Start of each query's rows, plus the end: offsets[q]..offsets[q + 1]. */
export function queryOffsets(groups: ArrayLike<number>): Int32Array {
  const offsets: number[] = [0];
  for (let r = 1; r < groups.length; r += 1) {
    if (groups[r] !== groups[r - 1]) offsets.push(r);
  }
  if (groups.length > 0) offsets.push(groups.length);
  return Int32Array.from(offsets);
}

function discount(position: number): number {
  return 1 / Math.log2(position + 2);
}

/**
 * For every (more relevant, less relevant) pair of a query: the RankNet gradient
 * sigmoid(-(s_i - s_j)), weighed by how much swapping the two would change the query's nDCG.
 * Writes per-row gradients and hessians (of the loss, so a relevant row gets a negative
 * gradient: it should rise). Queries with one relevance level contribute nothing.
 */
export function lambdaRankGradients(
  scores: Float64Array,
  labels: ArrayLike<number>,
  offsets: Int32Array,
  gradients: Float64Array,
  hessians: Float64Array,
): void {
  gradients.fill(0);
  hessians.fill(0);
  for (let q = 0; q + 1 < offsets.length; q += 1) {
    const from = offsets[q] as number;
    const to = offsets[q + 1] as number;
    const size = to - from;
    const order = Array.from({ length: size }, (_, i) => from + i).sort(
      (a, b) => (scores[b] as number) - (scores[a] as number),
    );
    const position = new Map<number, number>();
    order.forEach((row, p) => position.set(row, p));
    const gains = order.map((row) => 2 ** (labels[row] as number) - 1);
    const ideal = [...gains].sort((a, b) => b - a).reduce((s, g, p) => s + g * discount(p), 0);
    if (ideal === 0) continue;
    for (let a = 0; a < size; a += 1) {
      const gainA = gains[a] as number;
      if (gainA === 0) continue;
      const i = order[a] as number;
      for (let b = 0; b < size; b += 1) {
        const gainB = gains[b] as number;
        if (gainB >= gainA) continue;
        const j = order[b] as number;
        const delta = (Math.abs(discount(a) - discount(b)) * (gainA - gainB)) / ideal;
        const rho = 1 / (1 + Math.exp((scores[i] as number) - (scores[j] as number)));
        const lambda = rho * delta;
        const weight = Math.max(rho * (1 - rho) * delta, 1e-12);
        gradients[i] = (gradients[i] as number) - lambda;
        gradients[j] = (gradients[j] as number) + lambda;
        hessians[i] = (hessians[i] as number) + weight;
        hessians[j] = (hessians[j] as number) + weight;
      }
    }
    position.clear();
  }
  for (let r = 0; r < hessians.length; r += 1) {
    if ((hessians[r] as number) === 0) hessians[r] = 1e-12;
  }
}

/**
 * Mean binary-gain nDCG@k over queries with at least one relevant row. Rows with equal scores
 * share their positions: each gets the mean discount of the positions the tied group spans
 * (McSherry & Najork, "Computing information retrieval performance measures efficiently in
 * the presence of tied scores", 2008), so a model that cannot tell rows apart is not credited
 * with whatever order its input happened to be in.
 */
export function meanNdcgAt(
  scores: Float64Array,
  labels: ArrayLike<number>,
  offsets: Int32Array,
  k: number,
): number {
  let total = 0;
  let queries = 0;
  for (let q = 0; q + 1 < offsets.length; q += 1) {
    const from = offsets[q] as number;
    const to = offsets[q + 1] as number;
    let relevant = 0;
    for (let r = from; r < to; r += 1) relevant += (labels[r] as number) > 0 ? 1 : 0;
    if (relevant === 0) continue;
    const order = Array.from({ length: to - from }, (_, i) => from + i).sort(
      (a, b) => (scores[b] as number) - (scores[a] as number),
    );
    let dcg = 0;
    let start = 0;
    while (start < Math.min(k, order.length)) {
      const score = scores[order[start] as number] as number;
      let end = start + 1;
      while (end < order.length && scores[order[end] as number] === score) end += 1;
      let relevantInGroup = 0;
      for (let p = start; p < end; p += 1) {
        if ((labels[order[p] as number] as number) > 0) relevantInGroup += 1;
      }
      let discounts = 0;
      for (let p = start; p < Math.min(k, end); p += 1) discounts += discount(p);
      dcg += (relevantInGroup * discounts) / (end - start);
      start = end;
    }
    let ideal = 0;
    for (let p = 0; p < Math.min(k, relevant); p += 1) ideal += discount(p);
    total += dcg / ideal;
    queries += 1;
  }
  return queries === 0 ? 0 : total / queries;
}
