import { gram } from './dense.js';
import type { Interactions } from './interactions.js';
import { seededUniform } from './seeded.js';

export interface ImplicitAlsOptions {
  /** Vector length. Default 64. */
  readonly factors?: number;
  /** Alternations (users, then items). Default 15. */
  readonly iterations?: number;
  /** L2 penalty λ on every vector. Default 10. */
  readonly regularization?: number;
  /** Confidence of an interaction of weight w: 1 + alpha · w. Default 5. */
  readonly alpha?: number;
  /** Conjugate-gradient steps per vector and alternation. Default 3. */
  readonly cgSteps?: number;
  readonly seed?: number;
}

export interface ImplicitAlsModel {
  readonly factors: number;
  readonly regularization: number;
  readonly alpha: number;
  /** users × factors, row-major. */
  readonly userVectors: Float32Array;
  /** items × factors, row-major. */
  readonly itemVectors: Float32Array;
}

/**
 * Implicit-feedback matrix factorization (Hu, Koren and Volinsky 2008): every (user, item)
 * cell is a preference p (1 if engaged, else 0) with confidence c = 1 + alpha · weight, and
 * the vectors minimize Σ c (p − x·y)² + λ (Σ|x|² + Σ|y|²). Each half-step solves every row's
 * d × d system by a few conjugate-gradient steps from the previous value (Takács, Pilászy and
 * Tikk 2011), so an alternation costs O(nnz · d · steps + rows · d²), never a cell per
 * (user, item) pair. Deterministic for a seed.
 */
export function trainImplicitAls(
  data: Interactions,
  options: ImplicitAlsOptions = {},
): ImplicitAlsModel {
  const d = options.factors ?? 64;
  const iterations = options.iterations ?? 15;
  const lambda = options.regularization ?? 10;
  const alpha = options.alpha ?? 5;
  const steps = options.cgSteps ?? 3;
  const random = seededUniform(options.seed ?? 42);
  const init = (n: number) => {
    const v = new Float32Array(n * d);
    for (let i = 0; i < v.length; i++) v[i] = (random() - 0.5) * 0.02;
    return v;
  };
  const userVectors = init(data.users);
  const itemVectors = init(data.items);
  const scratch = new CgScratch(d);
  for (let it = 0; it < iterations; it++) {
    solveRows(
      userVectors,
      itemVectors,
      data.items,
      data.userPtr,
      data.userItems,
      data.userWeights,
      lambda,
      alpha,
      steps,
      d,
      scratch,
    );
    solveRows(
      itemVectors,
      userVectors,
      data.users,
      data.itemPtr,
      data.itemUsers,
      data.itemWeights,
      lambda,
      alpha,
      steps,
      d,
      scratch,
    );
  }
  return { factors: d, regularization: lambda, alpha, userVectors, itemVectors };
}

class CgScratch {
  readonly x: Float64Array;
  readonly r: Float64Array;
  readonly p: Float64Array;
  readonly ap: Float64Array;
  constructor(d: number) {
    this.x = new Float64Array(d);
    this.r = new Float64Array(d);
    this.p = new Float64Array(d);
    this.ap = new Float64Array(d);
  }
}

function solveRows(
  target: Float32Array,
  fixed: Float32Array,
  fixedRows: number,
  ptr: Int32Array,
  cols: Int32Array,
  weights: Float32Array,
  lambda: number,
  alpha: number,
  steps: number,
  d: number,
  s: CgScratch,
): void {
  const yty = gram(fixed, fixedRows, d);
  const rows = ptr.length - 1;
  const { x, r, p, ap } = s;
  for (let u = 0; u < rows; u++) {
    const base = u * d;
    for (let k = 0; k < d; k++) x[k] = target[base + k]!;
    // r = b − A x, with b = Σ c·y and A = YᵀY + λI + Σ (c − 1)·y yᵀ.
    applyDense(yty, x, r, d, lambda);
    for (let k = 0; k < d; k++) r[k] = -r[k]!;
    for (let e = ptr[u]!; e < ptr[u + 1]!; e++) {
      const c = 1 + alpha * weights[e]!;
      const yb = cols[e]! * d;
      let yx = 0;
      for (let k = 0; k < d; k++) yx += fixed[yb + k]! * x[k]!;
      const coef = c - (c - 1) * yx;
      for (let k = 0; k < d; k++) r[k]! += coef * fixed[yb + k]!;
    }
    let rs = 0;
    for (let k = 0; k < d; k++) {
      p[k] = r[k]!;
      rs += r[k]! * r[k]!;
    }
    for (let step = 0; step < steps && rs > 1e-20; step++) {
      applyDense(yty, p, ap, d, lambda);
      for (let e = ptr[u]!; e < ptr[u + 1]!; e++) {
        const c = 1 + alpha * weights[e]!;
        const yb = cols[e]! * d;
        let yp = 0;
        for (let k = 0; k < d; k++) yp += fixed[yb + k]! * p[k]!;
        const coef = (c - 1) * yp;
        for (let k = 0; k < d; k++) ap[k]! += coef * fixed[yb + k]!;
      }
      let pap = 0;
      for (let k = 0; k < d; k++) pap += p[k]! * ap[k]!;
      if (!(pap > 0)) break;
      const a = rs / pap;
      let rsNew = 0;
      for (let k = 0; k < d; k++) {
        x[k]! += a * p[k]!;
        r[k]! -= a * ap[k]!;
        rsNew += r[k]! * r[k]!;
      }
      const beta = rsNew / rs;
      for (let k = 0; k < d; k++) p[k] = r[k]! + beta * p[k]!;
      rs = rsNew;
    }
    for (let k = 0; k < d; k++) target[base + k] = x[k]!;
  }
}

/** out = (G + λI) v */
function applyDense(
  g: Float64Array,
  v: Float64Array,
  out: Float64Array,
  d: number,
  lambda: number,
) {
  for (let i = 0; i < d; i++) {
    let sum = lambda * v[i]!;
    const gi = i * d;
    for (let j = 0; j < d; j++) sum += g[gi + j]! * v[j]!;
    out[i] = sum;
  }
}
