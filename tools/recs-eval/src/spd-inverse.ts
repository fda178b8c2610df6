/**
 * The inverse of a symmetric positive-definite n x n matrix (row-major), through its
 * Cholesky factor: A = L L^T, U = L^-T, A^-1 = U U^T. Every inner loop is a dot product of
 * two contiguous rows, which is what keeps it fast enough in plain JavaScript. Overwrites `a`.
 */
export function invertSymmetricPositiveDefinite(a: Float64Array, n: number): Float64Array {
  // Cholesky-Banachiewicz, row by row, L in the lower triangle of `a`.
  for (let i = 0; i < n; i += 1) {
    const ri = i * n;
    for (let j = 0; j <= i; j += 1) {
      const rj = j * n;
      let sum = a[ri + j] as number;
      for (let k = 0; k < j; k += 1) sum -= (a[ri + k] as number) * (a[rj + k] as number);
      if (i === j) {
        if (!(sum > 0)) throw new Error('matrix is not positive definite');
        a[ri + i] = Math.sqrt(sum);
      } else {
        a[ri + j] = sum / (a[rj + j] as number);
      }
    }
  }
  // U[j][i] = (L^-1)[i][j], stored row-major, so row j of U is column j of L^-1.
  const u = new Float64Array(n * n);
  for (let j = 0; j < n; j += 1) {
    const rj = j * n;
    u[rj + j] = 1 / (a[rj + j] as number);
    for (let i = j + 1; i < n; i += 1) {
      const ri = i * n;
      let sum = 0;
      for (let k = j; k < i; k += 1) sum += (a[ri + k] as number) * (u[rj + k] as number);
      u[rj + i] = -sum / (a[ri + i] as number);
    }
  }
  // (A^-1)[x][y] = sum_k (L^-1)[k][x] (L^-1)[k][y] = sum_{k >= max(x, y)} U[x][k] U[y][k].
  const inverse = a;
  for (let x = 0; x < n; x += 1) {
    const rx = x * n;
    for (let y = x; y < n; y += 1) {
      const ry = y * n;
      let sum = 0;
      for (let k = y; k < n; k += 1) sum += (u[rx + k] as number) * (u[ry + k] as number);
      inverse[rx + y] = sum;
      inverse[ry + x] = sum;
    }
  }
  return inverse;
}
