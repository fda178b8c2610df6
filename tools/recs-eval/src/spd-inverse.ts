/**
 * The inverse of a symmetric positive-definite n x n matrix (row-major), through its
 * Cholesky factor: A = L L^T, U = L^-T, A^-1 = U U^T. Every inner loop is a dot product of
 * contiguous rows, which is what keeps it fast enough in plain JavaScript; each walks two
 * dot products that share a row at once (one read of the shared row for both), each still
 * summed in its own order, so the result is the same to the bit as one at a time. Overwrites
 * `a`.
 */
export function invertSymmetricPositiveDefinite(a: Float64Array, n: number): Float64Array {
  // Cholesky-Banachiewicz, row by row, L in the lower triangle of `a`.
  for (let i = 0; i < n; i += 1) {
    const ri = i * n;
    let j = 0;
    for (; j + 1 <= i; j += 2) {
      // Columns j and j + 1 (j < i): L[j + 1][j] and L[i][j] are ready once column j is.
      const rj = j * n;
      const rj1 = rj + n;
      let sum = a[ri + j] as number;
      let sum1 = a[ri + j + 1] as number;
      for (let k = 0; k < j; k += 1) {
        const x = a[ri + k] as number;
        sum -= x * (a[rj + k] as number);
        sum1 -= x * (a[rj1 + k] as number);
      }
      const lij = sum / (a[rj + j] as number);
      a[ri + j] = lij;
      sum1 -= lij * (a[rj1 + j] as number);
      if (j + 1 === i) {
        if (!(sum1 > 0)) throw new Error('matrix is not positive definite');
        a[ri + i] = Math.sqrt(sum1);
      } else {
        a[ri + j + 1] = sum1 / (a[rj1 + j + 1] as number);
      }
    }
    if (j === i) {
      let sum = a[ri + i] as number;
      for (let k = 0; k < i; k += 1) sum -= (a[ri + k] as number) * (a[ri + k] as number);
      if (!(sum > 0)) throw new Error('matrix is not positive definite');
      a[ri + i] = Math.sqrt(sum);
    }
  }
  // U[j][i] = (L^-1)[i][j], stored row-major, so row j of U is column j of L^-1.
  const u = new Float64Array(n * n);
  for (let j = 0; j < n; j += 1) {
    const rj = j * n;
    u[rj + j] = 1 / (a[rj + j] as number);
    let i = j + 1;
    for (; i + 1 < n; i += 2) {
      // Rows i and i + 1: U[j][i + 1] needs U[j][i] last.
      const ri = i * n;
      const ri1 = ri + n;
      let sum = 0;
      let sum1 = 0;
      for (let k = j; k < i; k += 1) {
        const x = u[rj + k] as number;
        sum += (a[ri + k] as number) * x;
        sum1 += (a[ri1 + k] as number) * x;
      }
      const uji = -sum / (a[ri + i] as number);
      u[rj + i] = uji;
      sum1 += (a[ri1 + i] as number) * uji;
      u[rj + i + 1] = -sum1 / (a[ri1 + i + 1] as number);
    }
    if (i < n) {
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
    let y = x;
    for (; y + 1 < n; y += 2) {
      // Columns y and y + 1: y's sum starts one term earlier.
      const ry = y * n;
      const ry1 = ry + n;
      let sum = 0 + (u[rx + y] as number) * (u[ry + y] as number);
      let sum1 = 0;
      for (let k = y + 1; k < n; k += 1) {
        const v = u[rx + k] as number;
        sum += v * (u[ry + k] as number);
        sum1 += v * (u[ry1 + k] as number);
      }
      inverse[rx + y] = sum;
      inverse[ry + x] = sum;
      inverse[rx + y + 1] = sum1;
      inverse[ry1 + x] = sum1;
    }
    if (y < n) {
      const ry = y * n;
      let sum = 0;
      for (let k = y; k < n; k += 1) sum += (u[rx + k] as number) * (u[ry + k] as number);
      inverse[rx + y] = sum;
      inverse[ry + x] = sum;
    }
  }
  return inverse;
}
