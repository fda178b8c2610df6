/**
 * The `missing` bitset of FeatureVector and FeatureMatrix: bit i (byte i/8, bit i%8, least
 * significant first) is set when value i is a default because its entity was unknown.
 */
export class MissingMask {
  private readonly bytes: Buffer;

  constructor(readonly size: number) {
    this.bytes = Buffer.alloc(Math.ceil(size / 8));
  }

  set(index: number): void {
    this.bytes[index >> 3]! |= 1 << (index & 7);
  }

  has(index: number): boolean {
    return ((this.bytes[index >> 3] ?? 0) & (1 << (index & 7))) !== 0;
  }

  toBuffer(): Buffer {
    return this.bytes;
  }
}

/** Reads bit `index` of a `missing` bitset received from the wire. */
export function isMissing(missing: Uint8Array, index: number): boolean {
  return ((missing[index >> 3] ?? 0) & (1 << (index & 7))) !== 0;
}
