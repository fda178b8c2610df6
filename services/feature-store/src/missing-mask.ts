/**
 * Reads bit `index` of a `missing` bitset of FeatureVector or FeatureMatrix: bit i (byte i/8,
 * bit i%8, least significant first) is set when value i is a default because its entity was
 * unknown.
 */
export function isMissing(missing: Uint8Array, index: number): boolean {
  return ((missing[index >> 3] ?? 0) & (1 << (index & 7))) !== 0;
}
