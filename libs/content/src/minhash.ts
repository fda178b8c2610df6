import { InvalidArgumentError } from '@feedmesh/errors';
import { fnv1a32, mix32, seededRandom } from './hashing.js';

export interface MinHasherOptions {
  /** Signature length; more hashes estimate Jaccard similarity more tightly (error ~ 1/sqrt(n)). */
  readonly numHashes?: number;
  /** Picks the hash family; signatures compare only when made with the same seed and length. */
  readonly seed?: number;
}

/**
 * MinHash signatures of shingle sets: the fraction of equal positions in two signatures
 * estimates the Jaccard similarity of the sets.
 */
export class MinHasher {
  readonly numHashes: number;
  readonly seed: number;
  readonly #salts: Uint32Array;

  constructor(options: MinHasherOptions = {}) {
    this.numHashes = options.numHashes ?? 128;
    this.seed = options.seed ?? 0x5eed;
    if (!Number.isInteger(this.numHashes) || this.numHashes < 1) {
      throw new InvalidArgumentError('num_hashes', 'must be a positive integer');
    }
    const random = seededRandom(this.seed);
    this.#salts = Uint32Array.from({ length: this.numHashes }, () =>
      Math.floor(random() * 4294967296),
    );
  }

  /** The signature of a set of shingles; an empty set gives all 0xffffffff (matches nothing useful). */
  signature(shingleSet: Iterable<string>): number[] {
    const mins = new Uint32Array(this.numHashes).fill(0xffffffff);
    for (const shingle of new Set(shingleSet)) {
      const base = fnv1a32(shingle);
      for (let i = 0; i < this.numHashes; i++) {
        const h = mix32(base ^ this.#salts[i]!);
        if (h < mins[i]!) mins[i] = h;
      }
    }
    return Array.from(mins);
  }
}

/** Estimated Jaccard similarity of the sets behind two signatures of one MinHasher. */
export function signatureSimilarity(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) {
    throw new InvalidArgumentError(
      'signature',
      `signatures differ in length (${a.length} vs ${b.length})`,
    );
  }
  if (a.length === 0) return 0;
  let equal = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) equal++;
  return equal / a.length;
}
