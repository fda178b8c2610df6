import { seededUniform } from './seeded.js';
import { nearestCentroid } from './vector-index.js';

export interface IvfTrainingOptions {
  /** Inverted lists. Default: about √n, at least 1 and at most 4,096. */
  readonly lists?: number;
  /** k-means rounds on the sample. Default 8. */
  readonly iterations?: number;
  /** Vectors the centroids are fitted on. Default 20,000. */
  readonly sample?: number;
  readonly seed?: number;
}

export interface IvfLayout {
  /** lists × d, unit length. */
  readonly centroids: Float32Array;
  /** The list of every vector. */
  readonly assignment: Int32Array;
}

/**
 * Spherical k-means on a sample (directions matter for inner products, not lengths), then
 * every vector assigned to its best centroid. The trainer runs it once per model, so the
 * serving side only loads the layout.
 */
export function trainIvf(
  vectors: Float32Array,
  d: number,
  options: IvfTrainingOptions = {},
): IvfLayout {
  const n = vectors.length / d;
  const lists = Math.max(1, Math.min(options.lists ?? Math.round(Math.sqrt(n)), 4096, n));
  const random = seededUniform(options.seed ?? 7);
  const sampleSize = Math.min(n, options.sample ?? 20_000);
  const sample = new Int32Array(sampleSize);
  for (let i = 0; i < sampleSize; i++) sample[i] = Math.floor(random() * n);
  const centroids = new Float32Array(lists * d);
  for (let c = 0; c < lists; c++) {
    const from = sample[Math.floor(random() * sampleSize)]! * d;
    for (let k = 0; k < d; k++) centroids[c * d + k] = vectors[from + k]!;
  }
  normalizeRows(centroids, lists, d);
  const sums = new Float64Array(lists * d);
  for (let round = 0; round < (options.iterations ?? 8); round++) {
    sums.fill(0);
    for (const row of sample) {
      const c = nearestCentroid(centroids, lists, d, vectors, row * d);
      const norm = Math.hypot(...vectors.subarray(row * d, row * d + d)) || 1;
      for (let k = 0; k < d; k++) sums[c * d + k]! += vectors[row * d + k]! / norm;
    }
    for (let c = 0; c < lists; c++) {
      let any = false;
      for (let k = 0; k < d; k++) if (sums[c * d + k] !== 0) any = true;
      if (!any) continue; // an empty cluster keeps its centroid
      for (let k = 0; k < d; k++) centroids[c * d + k] = sums[c * d + k]!;
    }
    normalizeRows(centroids, lists, d);
  }
  const assignment = assignAll(vectors, d, centroids, lists);
  return { centroids, assignment };
}

/**
 * Each vector's best centroid, in two levels when there are many: the centroids are grouped
 * (k-means over the centroids), a vector picks its best few groups, then its best centroid
 * within them. About a sixth of the dot products of a full scan at a thousand lists, for an
 * occasional second-best list, which costs the search little since it probes many lists.
 */
function assignAll(vectors: Float32Array, d: number, centroids: Float32Array, lists: number) {
  const n = vectors.length / d;
  const assignment = new Int32Array(n);
  if (lists <= 64) {
    for (let row = 0; row < n; row++) {
      assignment[row] = nearestCentroid(centroids, lists, d, vectors, row * d);
    }
    return assignment;
  }
  const groups = Math.ceil(Math.sqrt(lists));
  const grouping = trainIvf(centroids, d, { lists: groups, iterations: 6, sample: lists, seed: 3 });
  const members: number[][] = Array.from({ length: groups }, () => []);
  grouping.assignment.forEach((group, list) => members[group]!.push(list));
  const probe = Math.min(groups, 4);
  const groupScores = new Float64Array(groups);
  for (let row = 0; row < n; row++) {
    const base = row * d;
    for (let g = 0; g < groups; g++) {
      let sum = 0;
      for (let k = 0; k < d; k++) sum += grouping.centroids[g * d + k]! * vectors[base + k]!;
      groupScores[g] = sum;
    }
    const order = [...groupScores.keys()].sort((a, b) => groupScores[b]! - groupScores[a]!);
    let best = 0;
    let bestScore = -Infinity;
    for (const g of order.slice(0, probe)) {
      for (const list of members[g]!) {
        let sum = 0;
        for (let k = 0; k < d; k++) sum += centroids[list * d + k]! * vectors[base + k]!;
        if (sum > bestScore) {
          bestScore = sum;
          best = list;
        }
      }
    }
    assignment[row] = best;
  }
  return assignment;
}

function normalizeRows(m: Float32Array, rows: number, d: number): void {
  for (let r = 0; r < rows; r++) {
    let sq = 0;
    for (let k = 0; k < d; k++) sq += m[r * d + k]! ** 2;
    const norm = Math.sqrt(sq) || 1;
    for (let k = 0; k < d; k++) m[r * d + k]! /= norm;
  }
}
