/** A sparse square matrix in compressed rows. */
export interface CsrMatrix {
  readonly size: number;
  readonly rowStart: Int32Array;
  readonly columns: Int32Array;
  readonly values: Float64Array;
}

/**
 * A dense size x width block stored column by column (column j is
 * [j * size, (j + 1) * size)): the shape randomized SVD works on.
 */
export interface ColumnBlock {
  readonly size: number;
  readonly width: number;
  readonly data: Float64Array;
}

export function csrTimesBlock(m: CsrMatrix, x: ColumnBlock): ColumnBlock {
  const width = x.width;
  // Row-major copies keep the inner loop on contiguous memory.
  const rowsIn = new Float64Array(x.size * width);
  for (let j = 0; j < width; j++)
    for (let r = 0; r < x.size; r++) rowsIn[r * width + j] = x.data[j * x.size + r]!;
  const rowsOut = new Float64Array(m.size * width);
  for (let row = 0; row < m.size; row++) {
    const outBase = row * width;
    for (let k = m.rowStart[row]!; k < m.rowStart[row + 1]!; k++) {
      const inBase = m.columns[k]! * width;
      const value = m.values[k]!;
      for (let j = 0; j < width; j++) rowsOut[outBase + j]! += value * rowsIn[inBase + j]!;
    }
  }
  const out = new Float64Array(m.size * width);
  for (let r = 0; r < m.size; r++)
    for (let j = 0; j < width; j++) out[j * m.size + r] = rowsOut[r * width + j]!;
  return { size: m.size, width, data: out };
}

/** Orthonormalizes the block's columns in place (modified Gram-Schmidt, two passes for stability). */
export function orthonormalize(x: ColumnBlock): void {
  const { size, width, data } = x;
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < width; j++) {
      const cj = j * size;
      for (let i = 0; i < j; i++) {
        const ci = i * size;
        let dot = 0;
        for (let r = 0; r < size; r++) dot += data[ci + r]! * data[cj + r]!;
        for (let r = 0; r < size; r++) data[cj + r]! -= dot * data[ci + r]!;
      }
      let norm = 0;
      for (let r = 0; r < size; r++) norm += data[cj + r]! ** 2;
      norm = Math.sqrt(norm);
      for (let r = 0; r < size; r++) data[cj + r] = norm > 1e-12 ? data[cj + r]! / norm : 0;
    }
  }
}

/** Xᵀ Y for two blocks of equal size: a width x width matrix, row-major. */
export function blockGram(x: ColumnBlock, y: ColumnBlock): Float64Array {
  const out = new Float64Array(x.width * y.width);
  for (let i = 0; i < x.width; i++) {
    for (let j = 0; j < y.width; j++) {
      let dot = 0;
      for (let r = 0; r < x.size; r++) dot += x.data[i * x.size + r]! * y.data[j * y.size + r]!;
      out[i * y.width + j] = dot;
    }
  }
  return out;
}

/**
 * Eigen-decomposition of a small symmetric matrix (row-major n x n) by cyclic Jacobi
 * rotations; eigenvalues descending, eigenvectors as the columns of a row-major n x n matrix.
 */
export function symmetricEigen(
  matrix: Float64Array,
  n: number,
): { values: number[]; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (i, j) => a[j * n + j]! - a[i * n + i]!,
  );
  const values = order.map((i) => a[i * n + i]!);
  const vectors = new Float64Array(n * n);
  order.forEach((from, to) => {
    for (let k = 0; k < n; k++) vectors[k * n + to] = v[k * n + from]!;
  });
  return { values, vectors };
}

/**
 * Top singular vectors of a symmetric sparse matrix by randomized range finding with power
 * iterations (Halko, Martinsson, Tropp 2011): U (size x rank, column blocks) and the
 * singular values, descending.
 */
export function randomizedSvd(
  m: CsrMatrix,
  rank: number,
  random: () => number,
  options: { oversample?: number; powerIterations?: number } = {},
): { u: ColumnBlock; singularValues: number[] } {
  const width = Math.min(m.size, rank + (options.oversample ?? 10));
  let q: ColumnBlock = {
    size: m.size,
    width,
    data: Float64Array.from({ length: m.size * width }, () => random() * 2 - 1),
  };
  q = csrTimesBlock(m, q);
  orthonormalize(q);
  for (let i = 0; i < (options.powerIterations ?? 3); i++) {
    q = csrTimesBlock(m, q);
    orthonormalize(q);
  }
  // M symmetric: B = Qᵀ M = (M Q)ᵀ, and B Bᵀ = (MQ)ᵀ(MQ).
  const mq = csrTimesBlock(m, q);
  const { values, vectors } = symmetricEigen(blockGram(mq, mq), width);
  const keep = Math.min(rank, width);
  const u = new Float64Array(m.size * keep);
  for (let j = 0; j < keep; j++) {
    for (let i = 0; i < width; i++) {
      const w = vectors[i * width + j]!;
      if (w === 0) continue;
      for (let r = 0; r < m.size; r++) u[j * m.size + r]! += q.data[i * m.size + r]! * w;
    }
  }
  return {
    u: { size: m.size, width: keep, data: u },
    singularValues: values.slice(0, keep).map((value) => Math.sqrt(Math.max(0, value))),
  };
}
