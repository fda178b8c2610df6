import { InvalidArgumentError } from '@feedmesh/errors';
import { signatureSimilarity } from './minhash.js';

export interface NearDuplicateIndexOptions {
  /**
   * LSH bands x rows must equal the signature length. Two texts of Jaccard similarity s
   * become candidates with probability 1 - (1 - s^rows)^bands: 32 x 4 finds s = 0.5 with
   * ~87% and s = 0.7 with ~100%, while s = 0.2 collides ~5% of the time.
   */
  readonly bands?: number;
  readonly rows?: number;
  /** Candidates below this estimated similarity are not near-duplicates. */
  readonly minSimilarity?: number;
}

export interface NearDuplicate {
  readonly postId: string;
  readonly blogId: string;
  /** Estimated Jaccard similarity of the two texts' shingle sets. */
  readonly similarity: number;
}

interface Entry {
  readonly blogId: string;
  readonly signature: readonly number[];
  readonly keys: readonly string[];
}

/**
 * MinHash + LSH index of post texts: a new post's signature is bucketed by bands, and posts
 * sharing a bucket are checked by their full signatures. Finds reposted text across blogs in
 * time independent of the index size.
 */
export class NearDuplicateIndex {
  readonly bands: number;
  readonly rows: number;
  readonly minSimilarity: number;
  readonly #buckets = new Map<string, Set<string>>();
  readonly #entries = new Map<string, Entry>();

  constructor(options: NearDuplicateIndexOptions = {}) {
    this.bands = options.bands ?? 32;
    this.rows = options.rows ?? 4;
    this.minSimilarity = options.minSimilarity ?? 0.5;
    if (
      !Number.isInteger(this.bands) ||
      !Number.isInteger(this.rows) ||
      this.bands < 1 ||
      this.rows < 1
    ) {
      throw new InvalidArgumentError('bands', 'bands and rows must be positive integers');
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Indexes a post (replacing an earlier signature under the same id: consumers are at-least-once). */
  add(postId: string, blogId: string, signature: readonly number[]): void {
    this.#checkLength(signature);
    this.remove(postId);
    const keys = this.#bandKeys(signature);
    for (const key of keys) {
      let bucket = this.#buckets.get(key);
      if (!bucket) this.#buckets.set(key, (bucket = new Set()));
      bucket.add(postId);
    }
    this.#entries.set(postId, { blogId, signature, keys });
  }

  remove(postId: string): boolean {
    const entry = this.#entries.get(postId);
    if (!entry) return false;
    for (const key of entry.keys) {
      const bucket = this.#buckets.get(key);
      bucket?.delete(postId);
      if (bucket?.size === 0) this.#buckets.delete(key);
    }
    return this.#entries.delete(postId);
  }

  /** Indexed posts whose text is near the signature's, most similar first. */
  query(signature: readonly number[], options: { excludePostId?: string } = {}): NearDuplicate[] {
    this.#checkLength(signature);
    const seen = new Set<string>();
    const found: NearDuplicate[] = [];
    for (const key of this.#bandKeys(signature)) {
      for (const postId of this.#buckets.get(key) ?? []) {
        if (seen.has(postId) || postId === options.excludePostId) continue;
        seen.add(postId);
        const entry = this.#entries.get(postId)!;
        const similarity = signatureSimilarity(signature, entry.signature);
        if (similarity >= this.minSimilarity)
          found.push({ postId, blogId: entry.blogId, similarity });
      }
    }
    return found.sort((a, b) => b.similarity - a.similarity || a.postId.localeCompare(b.postId));
  }

  /** Near-duplicates of a post's text published by other blogs: reposted, not reblogged, text. */
  findReposts(
    blogId: string,
    signature: readonly number[],
    excludePostId?: string,
  ): NearDuplicate[] {
    return this.query(signature, { excludePostId }).filter((match) => match.blogId !== blogId);
  }

  #bandKeys(signature: readonly number[]): string[] {
    const keys: string[] = [];
    for (let band = 0; band < this.bands; band++) {
      const start = band * this.rows;
      keys.push(`${band}:${signature.slice(start, start + this.rows).join(',')}`);
    }
    return keys;
  }

  #checkLength(signature: readonly number[]): void {
    if (signature.length !== this.bands * this.rows) {
      throw new InvalidArgumentError(
        'signature',
        `has ${signature.length} hashes; this index takes bands x rows = ${this.bands * this.rows}`,
      );
    }
  }
}
