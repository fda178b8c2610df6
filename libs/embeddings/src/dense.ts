/**
 * The few dense operations the embeddings need, on flat row-major arrays: d is small (16-256),
 * so plain loops over typed arrays beat a matrix library's allocations.
 */

export function dot(
  a: ArrayLike<number>,
  aOffset: number,
  b: ArrayLike<number>,
  bOffset: number,
  d: number,
): number {
  // Eight products a step: V8 does not unroll loops, and unrolled, the vector index's scan
  // ran 1.6-1.7 times as fast (bench/scan.ts).
  let sum = 0;
  let k = 0;
  for (const end = d - (d % 8); k < end; k += 8) {
    const i = aOffset + k;
    const j = bOffset + k;
    sum +=
      a[i]! * b[j]! +
      a[i + 1]! * b[j + 1]! +
      a[i + 2]! * b[j + 2]! +
      a[i + 3]! * b[j + 3]! +
      a[i + 4]! * b[j + 4]! +
      a[i + 5]! * b[j + 5]! +
      a[i + 6]! * b[j + 6]! +
      a[i + 7]! * b[j + 7]!;
  }
  for (; k < d; k++) sum += a[aOffset + k]! * b[bOffset + k]!;
  return sum;
}

/** Rows' Gram matrix RᵀR (d × d) of `rows` vectors of `d` numbers. */
export function gram(vectors: Float32Array, rows: number, d: number): Float64Array {
  const g = new Float64Array(d * d);
  for (let r = 0; r < rows; r++) {
    const base = r * d;
    for (let i = 0; i < d; i++) {
      const vi = vectors[base + i]!;
      if (vi === 0) continue;
      const gi = i * d;
      for (let j = i; j < d; j++) g[gi + j]! += vi * vectors[base + j]!;
    }
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) g[i * d + j] = g[j * d + i]!;
  return g;
}

/**
 * Solves A x = b for a symmetric positive definite A (d × d, overwritten by its Cholesky
 * factor); b is overwritten by x. Returns false when A is not positive definite.
 */
export function choleskySolve(a: Float64Array, b: Float64Array, d: number): boolean {
  for (let j = 0; j < d; j++) {
    let s = a[j * d + j]!;
    for (let k = 0; k < j; k++) s -= a[j * d + k]! * a[j * d + k]!;
    if (!(s > 0)) return false;
    const l = Math.sqrt(s);
    a[j * d + j] = l;
    for (let i = j + 1; i < d; i++) {
      let t = a[i * d + j]!;
      for (let k = 0; k < j; k++) t -= a[i * d + k]! * a[j * d + k]!;
      a[i * d + j] = t / l;
    }
  }
  for (let i = 0; i < d; i++) {
    let t = b[i]!;
    for (let k = 0; k < i; k++) t -= a[i * d + k]! * b[k]!;
    b[i] = t / a[i * d + i]!;
  }
  for (let i = d - 1; i >= 0; i--) {
    let t = b[i]!;
    for (let k = i + 1; k < d; k++) t -= a[k * d + i]! * b[k]!;
    b[i] = t / a[i * d + i]!;
  }
  return true;
}
