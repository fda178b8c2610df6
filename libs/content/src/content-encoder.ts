import { InvalidArgumentError } from '@feedmesh/errors';
import { DocumentFrequencies } from './document-frequencies.js';
import { seededRandom } from './hashing.js';
import { randomizedSvd, type CsrMatrix } from './linear-algebra.js';

export const CONTENT_ENCODER_FORMAT = 'feedmesh.content-encoder/1';

export interface ContentEncoderTrainingOptions {
  /** Vector length. */
  readonly dim?: number;
  /** Features in fewer documents than this get no vector (their co-occurrence is noise). */
  readonly minCount?: number;
  readonly maxVocabulary?: number;
  /** Features of one document counted toward co-occurrence at most (the rarest first). */
  readonly maxFeaturesPerDocument?: number;
  /** Context distribution smoothing of PPMI (Levy, Goldberg, Dagan 2015): 0.75 tames rare features. */
  readonly smoothing?: number;
  /** Exponent of the singular values folded into the term vectors (0.5: symmetric). */
  readonly eigenWeight?: number;
  readonly seed?: number;
}

export interface ContentEncoderJson {
  readonly format: typeof CONTENT_ENCODER_FORMAT;
  readonly dim: number;
  readonly documents: number;
  readonly features: readonly string[];
  /** Each feature's document frequency, in the order of `features`. */
  readonly frequencies: readonly number[];
  /** features.length x dim little-endian float32, base64. */
  readonly vectors: string;
}

/**
 * A content vector for a post from its features (text terms and '#tags'): each feature's
 * vector comes from a truncated SVD of the features' PPMI co-occurrence matrix, so words and
 * tags used on the same posts land near each other; a post is the IDF-weighted sum of its
 * features' vectors, L2-normalized. Trained offline, shipped as JSON, encoded synchronously.
 */
export class ContentEncoder {
  readonly dim: number;
  readonly #index: Map<string, number>;
  readonly #features: readonly string[];
  readonly #vectors: Float32Array;
  readonly #df: DocumentFrequencies;

  private constructor(
    dim: number,
    features: readonly string[],
    vectors: Float32Array,
    df: DocumentFrequencies,
  ) {
    this.dim = dim;
    this.#features = features;
    this.#vectors = vectors;
    this.#df = df;
    this.#index = new Map(features.map((f, i) => [f, i]));
  }

  /**
   * Learns feature vectors from the posts' features (which also set the vocabulary and IDF)
   * and from extra context documents that only add co-occurrence, such as the features of
   * two posts one user engaged with in a row.
   */
  static train(
    documents: readonly (readonly string[])[],
    options: ContentEncoderTrainingOptions = {},
    contextDocuments: Iterable<readonly string[]> = [],
  ): ContentEncoder {
    const dim = options.dim ?? 64;
    const minCount = options.minCount ?? 2;
    const maxVocabulary = options.maxVocabulary ?? 50_000;
    const maxPerDocument = options.maxFeaturesPerDocument ?? 64;
    const smoothing = options.smoothing ?? 0.75;
    const eigenWeight = options.eigenWeight ?? 0.5;
    if (!Number.isInteger(dim) || dim < 1)
      throw new InvalidArgumentError('dim', 'must be a positive integer');

    const df = new DocumentFrequencies();
    for (const doc of documents) df.add(doc);
    const features = [...df.terms()]
      .filter((f) => df.frequency(f) >= minCount)
      .sort((a, b) => df.frequency(b) - df.frequency(a) || (a < b ? -1 : 1))
      .slice(0, maxVocabulary);
    const index = new Map(features.map((f, i) => [f, i]));
    const size = features.length;
    if (size === 0) return new ContentEncoder(dim, [], new Float32Array(0), df);

    const counts = new PairCounts(size);
    for (const doc of concat(documents, contextDocuments)) {
      const ids = [...new Set(doc)]
        .map((f) => index.get(f))
        .filter((i): i is number => i !== undefined)
        .sort((a, b) => b - a)
        .slice(0, maxPerDocument);
      for (let a = 0; a < ids.length; a++) {
        for (let b = a + 1; b < ids.length; b++) counts.increment(ids[a]!, ids[b]!);
      }
    }
    const rows = Array.from({ length: size }, (_, i) => counts.row(i));
    const rowSums = rows.map((row) => row.reduce((s, [, n]) => s + n, 0));
    const total = rowSums.reduce((s, n) => s + n, 0);
    const smoothedTotal = rowSums.reduce((s, n) => s + n ** smoothing, 0);
    const rowStart = new Int32Array(size + 1);
    const columns: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < size; i++) {
      for (const [j, n] of rows[i]!) {
        // Smoothed on both sides so the matrix stays symmetric, as the SVD below assumes.
        const pmi = Math.log(
          ((n / total) * smoothedTotal * smoothedTotal) / (rowSums[i]! * rowSums[j]!) ** smoothing,
        );
        if (pmi > 0) {
          columns.push(j);
          values.push(pmi);
        }
      }
      rowStart[i + 1] = columns.length;
    }
    const matrix: CsrMatrix = {
      size,
      rowStart,
      columns: Int32Array.from(columns),
      values: Float64Array.from(values),
    };
    const rank = Math.min(dim, size);
    const { u, singularValues } = randomizedSvd(matrix, rank, seededRandom(options.seed ?? 7));
    const vectors = new Float32Array(size * dim);
    for (let i = 0; i < size; i++) {
      let norm = 0;
      for (let j = 0; j < u.width; j++) {
        const value = u.data[j * size + i]! * singularValues[j]! ** eigenWeight;
        vectors[i * dim + j] = value;
        norm += value * value;
      }
      norm = Math.sqrt(norm);
      if (norm > 0) for (let j = 0; j < dim; j++) vectors[i * dim + j]! /= norm;
    }
    return new ContentEncoder(dim, features, vectors, df);
  }

  static fromJSON(json: ContentEncoderJson): ContentEncoder {
    if (json.format !== CONTENT_ENCODER_FORMAT) {
      throw new InvalidArgumentError(
        'format',
        `expected ${CONTENT_ENCODER_FORMAT}, got ${String(json.format)}`,
      );
    }
    const bytes = Buffer.from(json.vectors, 'base64');
    if (bytes.length !== json.features.length * json.dim * 4) {
      throw new InvalidArgumentError('vectors', 'length does not match features x dim');
    }
    const vectors = new Float32Array(json.features.length * json.dim);
    for (let i = 0; i < vectors.length; i++) vectors[i] = bytes.readFloatLE(i * 4);
    const frequencies: Record<string, number> = {};
    json.features.forEach((f, i) => (frequencies[f] = json.frequencies[i] ?? 0));
    const df = DocumentFrequencies.fromJSON({
      format: 'feedmesh.document-frequencies/1',
      documents: json.documents,
      frequencies,
    });
    return new ContentEncoder(json.dim, json.features, vectors, df);
  }

  toJSON(): ContentEncoderJson {
    const bytes = Buffer.alloc(this.#vectors.length * 4);
    this.#vectors.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
    return {
      format: CONTENT_ENCODER_FORMAT,
      dim: this.dim,
      documents: this.#df.documents,
      features: this.#features,
      frequencies: this.#features.map((f) => this.#df.frequency(f)),
      vectors: bytes.toString('base64'),
    };
  }

  get vocabularySize(): number {
    return this.#features.length;
  }

  /** A feature's own vector, or undefined for a feature the encoder never learned. */
  featureVector(feature: string): Float32Array | undefined {
    const i = this.#index.get(feature);
    return i === undefined ? undefined : this.#vectors.subarray(i * this.dim, (i + 1) * this.dim);
  }

  /**
   * A post's vector from its features: sublinear-TF x IDF weighted sum of known features'
   * vectors, L2-normalized; all zeros when no feature is known.
   */
  encode(features: readonly string[]): Float32Array {
    const counts = new Map<number, number>();
    for (const f of features) {
      const i = this.#index.get(f);
      if (i !== undefined) counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    const out = new Float32Array(this.dim);
    for (const [i, n] of counts) {
      const weight = (1 + Math.log(n)) * this.#df.idf(this.#features[i]!);
      for (let j = 0; j < this.dim; j++) out[j]! += weight * this.#vectors[i * this.dim + j]!;
    }
    return normalizeDense(out);
  }
}

export function normalizeDense(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const v of vector) norm += v * v;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i]! /= norm;
  return vector;
}

export function denseDot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * (b[i] ?? 0);
  return dot;
}

/**
 * Symmetric pair counts: a dense triangle while the vocabulary is small enough for one
 * (4096 features: 64 MiB), which counts several times faster than maps; sparse rows beyond.
 */
class PairCounts {
  readonly #size: number;
  readonly #dense: Uint32Array | undefined;
  readonly #sparse: Array<Map<number, number>> | undefined;
  /** Sparse rows hold only the lower half until the first read copies it up. */
  #mirrored = false;

  constructor(size: number) {
    this.#size = size;
    if (size <= 4096) this.#dense = new Uint32Array(size * size);
    else this.#sparse = Array.from({ length: size }, () => new Map());
  }

  /** Counts the pair once; i > j; only before the first row() read. */
  increment(i: number, j: number): void {
    if (this.#dense) this.#dense[i * this.#size + j]!++;
    else {
      const row = this.#sparse![i]!;
      row.set(j, (row.get(j) ?? 0) + 1);
    }
  }

  /** Row i of the symmetric matrix: [column, count] with count > 0, columns ascending. */
  row(i: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    if (this.#dense) {
      for (let j = 0; j < this.#size; j++) {
        const n =
          j < i ? this.#dense[i * this.#size + j]! : j > i ? this.#dense[j * this.#size + i]! : 0;
        if (n > 0) out.push([j, n]);
      }
      return out;
    }
    if (!this.#mirrored) {
      for (let k = this.#size - 1; k >= 0; k--) {
        for (const [j, n] of this.#sparse![k]!) if (j < k) this.#sparse![j]!.set(k, n);
      }
      this.#mirrored = true;
    }
    for (const [j, n] of this.#sparse![i]!) out.push([j, n]);
    return out.sort((a, b) => a[0] - b[0]);
  }
}

function* concat<T>(...parts: Array<Iterable<T>>): Generator<T> {
  for (const part of parts) yield* part;
}
