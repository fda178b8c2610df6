import type { DocumentFrequencies } from './document-frequencies.js';

/** A sparse vector: feature -> weight. */
export type SparseVector = ReadonlyMap<string, number>;

/** Sublinear TF-IDF of a bag of features, L2-normalized (empty for an empty bag). */
export function tfidfVector(
  features: readonly string[],
  df: DocumentFrequencies,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of features) counts.set(f, (counts.get(f) ?? 0) + 1);
  const vector = new Map<string, number>();
  for (const [f, n] of counts) vector.set(f, (1 + Math.log(n)) * df.idf(f));
  return normalizeSparse(vector);
}

export function normalizeSparse(vector: Map<string, number>): Map<string, number> {
  let sum = 0;
  for (const w of vector.values()) sum += w * w;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (const [f, w] of vector) vector.set(f, w / norm);
  return vector;
}

export function sparseDot(a: SparseVector, b: SparseVector): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let dot = 0;
  for (const [f, w] of small) dot += w * (large.get(f) ?? 0);
  return dot;
}
