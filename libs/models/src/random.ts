import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
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

const MASK64 = (1n << 64n) - 1n;

/** SplitMix64 (Steele, Lea and Flood): the generator that follows `state`. */
function splitMix64(state: bigint): { state: bigint; value: bigint } {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return { state: next, value: z ^ (z >> 31n) };
}

/**
 * xoroshiro128+'s 128-bit state for `seed`: two SplitMix64 outputs of it, as xoroshiro's
 * authors advise. Seeding the state with the small seed itself, as pure-rand's
 * `xoroshiro128plus(seed)` does, made the first draw about 0.99999 for every seed up to
 * thousands and the second a straight line in the seed. The two outputs come from distinct
 * SplitMix64 states through a bijection, so they differ and the state is never all zero.
 * Laid out as pure-rand's state: [high and low 32 bits of s0, high and low 32 bits of s1].
 */
function mixedState(seed: number): number[] {
  const first = splitMix64(BigInt(seed));
  const second = splitMix64(first.state);
  const int32 = (value: bigint) => Number(BigInt.asIntN(32, value));
  return [
    int32(first.value >> 32n),
    int32(first.value),
    int32(second.value >> 32n),
    int32(second.value),
  ];
}

/**
 * `seed` is an integer from 0 to 2^32 - 1 (anything else throws InvalidArgumentError on
 * `seed`: truncating it would make two seeds one). `stream` picks one of the seed's
 * non-overlapping streams (each 2^64 draws past the one before), so draws made side by side,
 * such as for the objectives of one training run, do not depend on how many the others took.
 * Stream 0 is the seed's own.
 */
export function seededRandom(seed: number, stream = 0): SeededRandom {
  const rng = xoroshiro128plusFromState(mixedState(checkSeed(seed)));
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
