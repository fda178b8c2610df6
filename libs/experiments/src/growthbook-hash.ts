/**
 * GrowthBook's deterministic bucketing (its SDKs' `hash`, `getBucketRanges`, `chooseVariation`,
 * `inNamespace`), reimplemented so a Feedmesh assignment equals the one any GrowthBook SDK
 * would compute for the same seed, user id, weights and coverage. Changing anything here
 * reshuffles every running experiment: the tests pin it to GrowthBook's published vectors.
 */

/** One variant's half-open slice [start, end) of the unit interval. */
export type BucketRange = readonly [start: number, end: number];

export type HashVersion = 1 | 2;

const FNV32_OFFSET_BASIS = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

/**
 * 32-bit FNV-1a over UTF-16 code units (as GrowthBook's JS SDK does with charCodeAt), so ids
 * outside ASCII hash the same as in the reference SDK.
 */
export function fnv1a32(text: string): number {
  let hash = FNV32_OFFSET_BASIS;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, FNV32_PRIME);
  }
  return hash >>> 0;
}

/**
 * A user's position in [0, 1) for one seed. Version 2 hashes twice to remove the bias of
 * version 1 (whose last characters barely move the result); version 1 stays for namespaces,
 * where GrowthBook still uses it.
 */
export function growthbookHash(seed: string, value: string, version: HashVersion): number {
  if (version === 2) return (fnv1a32(String(fnv1a32(seed + value))) % 10_000) / 10_000;
  return (fnv1a32(value + seed) % 1_000) / 1_000;
}

export function equalWeights(count: number): number[] {
  return count <= 0 ? [] : new Array<number>(count).fill(1 / count);
}

/**
 * Variant ranges: weights laid end to end over [0, 1), each range shrunk to `coverage` of its
 * weight from its start, so raising coverage later only adds users and never moves one.
 * The config validates weights and coverage; like GrowthBook, out-of-range input falls back
 * (coverage clamped, bad weights become equal weights) instead of throwing.
 */
export function bucketRanges(
  count: number,
  coverage = 1,
  weights?: readonly number[],
): BucketRange[] {
  const cover = Math.min(1, Math.max(0, coverage));
  let chosen: readonly number[] = weights ?? equalWeights(count);
  if (chosen.length !== count) chosen = equalWeights(count);
  const total = chosen.reduce((sum, weight) => sum + weight, 0);
  if (total < 0.99 || total > 1.01) chosen = equalWeights(count);
  let cumulative = 0;
  return chosen.map((weight) => {
    const start = cumulative;
    cumulative += weight;
    return [start, start + cover * weight] as const;
  });
}

/** Index of the range holding `n`, or -1 when `n` falls in a gap (not in the experiment). */
export function chooseVariant(n: number, ranges: readonly BucketRange[]): number {
  return ranges.findIndex(([start, end]) => n >= start && n < end);
}

/**
 * Whether a user falls in [start, end) of a namespace: GrowthBook's mutually exclusive
 * experiments. Experiments sharing a namespace id with disjoint ranges never share a user.
 */
export function inNamespace(
  userId: string,
  namespace: readonly [id: string, start: number, end: number],
): boolean {
  const n = growthbookHash(`__${namespace[0]}`, userId, 1);
  return n >= namespace[1] && n < namespace[2];
}
