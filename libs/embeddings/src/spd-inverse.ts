/** The matrix given to `invertSymmetricPositiveDefinite` is not positive definite. */
export class NotPositiveDefiniteError extends Error {
  constructor(readonly row: number) {
    super(`matrix is not positive definite (row ${row})`);
    this.name = 'NotPositiveDefiniteError';
  }
}

/**
 * The inverse of a symmetric positive-definite n × n matrix (row-major), through its Cholesky
 * factor: A = L Lᵀ, U = L⁻ᵀ, A⁻¹ = U Uᵀ. Every inner loop is a dot product of two contiguous
 * rows, which is what keeps it fast enough in plain JavaScript (about n³/2 multiply-adds).
 * Overwrites `a`, and returns it holding the inverse. Throws NotPositiveDefiniteError with the
 * upper triangle of `a` untouched, so a caller can restore the matrix and retry.
 */
export function invertSymmetricPositiveDefinite(a: Float64Array, n: number): Float64Array {
  // Cholesky-Banachiewicz, row by row, L in the lower triangle of `a`.
  for (let i = 0; i < n; i += 1) {
    const ri = i * n;
    for (let j = 0; j <= i; j += 1) {
      const rj = j * n;
      const sum = a[ri + j]! - dotRows(a, ri, a, rj, 0, j);
      if (i === j) {
        if (!(sum > 0)) throw new NotPositiveDefiniteError(i);
        a[ri + i] = Math.sqrt(sum);
      } else {
        a[ri + j] = sum / a[rj + j]!;
      }
    }
  }
  // U[j][i] = (L⁻¹)[i][j], stored row-major, so row j of U is column j of L⁻¹.
  const u = new Float64Array(n * n);
  for (let j = 0; j < n; j += 1) {
    const rj = j * n;
    u[rj + j] = 1 / a[rj + j]!;
    for (let i = j + 1; i < n; i += 1) {
      const ri = i * n;
      const sum = dotRows(a, ri, u, rj, j, i);
      u[rj + i] = -sum / a[ri + i]!;
    }
  }
  // (A⁻¹)[x][y] = Σ_k (L⁻¹)[k][x] (L⁻¹)[k][y] = Σ_{k ≥ max(x, y)} U[x][k] U[y][k].
  for (let x = 0; x < n; x += 1) {
    const rx = x * n;
    for (let y = x; y < n; y += 1) {
      const ry = y * n;
      const sum = dotRows(u, rx, u, ry, y, n);
      a[rx + y] = sum;
      a[ry + x] = sum;
    }
  }
  return a;
}

/** Σ_{k in from..to-1} x[xRow + k] · y[yRow + k], four products at a time (the hot loop). */
function dotRows(
  x: Float64Array,
  xRow: number,
  y: Float64Array,
  yRow: number,
  from: number,
  to: number,
): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = from;
  for (; k + 3 < to; k += 4) {
    s0 += x[xRow + k]! * y[yRow + k]!;
    s1 += x[xRow + k + 1]! * y[yRow + k + 1]!;
    s2 += x[xRow + k + 2]! * y[yRow + k + 2]!;
    s3 += x[xRow + k + 3]! * y[yRow + k + 3]!;
  }
  for (; k < to; k += 1) s0 += x[xRow + k]! * y[yRow + k]!;
  return s0 + s1 + s2 + s3;
}
