import { InvalidArgumentError } from '@feedmesh/errors';
import { choleskySolve } from './dense.js';

export interface FoldInOptions {
  /** The other side's Gram matrix (YᵀY over every trained row), d × d. */
  readonly gram: Float64Array;
  readonly regularization: number;
  readonly alpha: number;
  /** The engaged other-side vectors (each of length d) and their interaction weights. */
  readonly vectors: readonly ArrayLike<number>[];
  readonly weights: readonly number[];
  /**
   * Where the answer is pulled when the evidence is thin: a user's trained vector, or a new
   * post's content vector (its tags and blog). Default: the origin, as in training.
   */
  readonly prior?: ArrayLike<number>;
}

/**
 * One row of implicit ALS solved exactly with the other side held fixed: a vector for a user
 * or post the model was not trained on (or has learned more about since), without retraining.
 * Minimizes Σ c (p − x·y)² + λ |x − prior|² over all trained rows y, which is the training
 * objective with the penalty centred on `prior`:
 *   (YᵀY + λI + Σ (c − 1) y yᵀ) x = Σ c·y + λ·prior.
 * O(n·d² + d³) for n engaged vectors. Undefined when nothing is known (no vectors, no prior).
 */
export function foldIn(d: number, options: FoldInOptions): Float32Array | undefined {
  const { gram, regularization: lambda, alpha, vectors, weights, prior } = options;
  checkFoldIn(d, options);
  if (vectors.length === 0 && prior === undefined) return undefined;
  const a = new Float64Array(d * d);
  a.set(gram);
  const b = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    a[i * d + i]! += lambda;
    if (prior) b[i] = lambda * prior[i]!;
  }
  vectors.forEach((y, n) => {
    const c = 1 + alpha * (weights[n] ?? 1);
    for (let i = 0; i < d; i++) {
      const yi = y[i]!;
      b[i]! += c * yi;
      const scaled = (c - 1) * yi;
      if (scaled === 0) continue;
      for (let j = 0; j < d; j++) a[i * d + j]! += scaled * y[j]!;
    }
  });
  if (!choleskySolve(a, b, d)) return undefined;
  return Float32Array.from(b);
}

/** Parts of another dimension would be read past their end (NaN) or cut short: refused. */
function checkFoldIn(d: number, { gram, vectors, prior }: FoldInOptions): void {
  if (gram.length !== d * d) {
    throw new InvalidArgumentError('gram', `must hold ${d} × ${d} numbers, not ${gram.length}`);
  }
  vectors.forEach((vector, n) => {
    if (vector.length !== d) {
      throw new InvalidArgumentError(
        `vectors[${n}]`,
        `must hold ${d} numbers, not ${vector.length}`,
      );
    }
  });
  if (prior !== undefined && prior.length !== d) {
    throw new InvalidArgumentError('prior', `must hold ${d} numbers, not ${prior.length}`);
  }
}

/** The mean of the given vectors (each of length d), or undefined for none. */
export function meanVector(
  d: number,
  vectors: readonly ArrayLike<number>[],
): Float32Array | undefined {
  if (vectors.length === 0) return undefined;
  const mean = new Float32Array(d);
  for (const v of vectors) for (let i = 0; i < d; i++) mean[i]! += v[i]! / vectors.length;
  return mean;
}
