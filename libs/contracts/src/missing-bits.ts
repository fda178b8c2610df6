/**
 * The `missing` bitsets of FeatureVector and FeatureMatrix (and of the impressions the gateway
 * logs): bit i, byte i/8, bit i%8 least significant first, is set when value i is a default
 * because its entity was unknown. Shorter than the values (or absent): the bits past it are 0.
 */
export function isMissing(missing: Uint8Array | undefined, index: number): boolean {
  if (missing === undefined) return false;
  return (((missing[index >> 3] ?? 0) >> (index & 7)) & 1) === 1;
}

/** Sets bit `index` of a missing-value bitset. */
export function setMissing(missing: Uint8Array, index: number): void {
  missing[index >> 3] = (missing[index >> 3] ?? 0) | (1 << (index & 7));
}
