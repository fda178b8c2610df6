import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/**
 * FNV-1a 32 of `text`, finished with murmur3's avalanche so nearby inputs ("u1", "u2") land
 * far apart. The simulator's hidden truths (post quality, per-post reactions) are hashes of
 * the seed and ids: the same user meets the same post the same way in every run and every
 * variant, which keeps A/B comparisons free of reaction noise (common random numbers).
 */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform draw in [0, 1) fixed by its parts: `hashUniform(seed, 'like', user, post)`. */
export function hashUniform(...parts: readonly (string | number)[]): number {
  return hash32(parts.join('|')) / 2 ** 32;
}

/** A seeded stream of draws; one per simulated user, so users never shift each other's draws. */
export class RandomStream {
  private readonly rng: ReturnType<typeof xoroshiro128plus>;

  constructor(seed: number) {
    this.rng = xoroshiro128plus(seed | 0);
  }

  next(): number {
    return uniformFloat64(this.rng);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  between(from: number, to: number): number {
    return from + (to - from) * this.next();
  }

  /** Exponentially distributed with the given mean: waiting times. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Poisson count with a small mean (Knuth). */
  poisson(mean: number): number {
    const limit = Math.exp(-mean);
    let product = this.next();
    let count = 0;
    while (product > limit) {
      count += 1;
      product *= this.next();
    }
    return count;
  }

  /** An index drawn with probability proportional to `weights[i]`. */
  weighted(weights: readonly number[]): number {
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    let target = this.next() * total;
    for (let i = 0; i < weights.length; i += 1) {
      target -= weights[i] as number;
      if (target < 0) return i;
    }
    return weights.length - 1;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.min(items.length - 1, Math.floor(this.next() * items.length))] as T;
  }
}
