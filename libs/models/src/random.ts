import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { InvalidArgumentError } from '@feedmesh/errors';

/** A seeded random source: the same seed gives the same splits, samples and shuffles. */
export interface SeededRandom {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [from, to], both included. */
  int(from: number, to: number): number;
  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[];
}

/** Seeds are 32 bits: more would wrap onto a smaller seed and repeat its draws. */
export const MAX_SEED = 2 ** 32 - 1;

/** `seed` when it is an integer from 0 to MAX_SEED; otherwise throws naming `field`. */
export function checkSeed(seed: number, field = 'seed'): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new InvalidArgumentError(field, `must be an integer from 0 to ${MAX_SEED}, not ${seed}`);
  }
  return seed;
}

/**
 * `seed` is an integer from 0 to 2^32 - 1 (anything else throws InvalidArgumentError on
 * `seed`: truncating it would make two seeds one). `stream` picks one of the seed's
 * non-overlapping streams (each 2^64 draws past the one before), so draws made side by side,
 * such as for the objectives of one training run, do not depend on how many the others took.
 * Stream 0 is the seed's own.
 */
export function seededRandom(seed: number, stream = 0): SeededRandom {
  // 0..2^32-1 onto the generator's int32 seed, one to one.
  const rng = xoroshiro128plus(checkSeed(seed) | 0);
  for (let s = 0; s < stream; s += 1) rng.jump();
  const random: SeededRandom = {
    next: () => uniformFloat64(rng),
    int: (from, to) => uniformInt(rng, from, to),
    shuffle(items) {
      for (let i = items.length - 1; i > 0; i -= 1) {
        const j = uniformInt(rng, 0, i);
        const held = items[i] as (typeof items)[number];
        items[i] = items[j] as (typeof items)[number];
        items[j] = held;
      }
      return items;
    },
  };
  return random;
}
