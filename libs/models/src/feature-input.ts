/**
 * Feature inputs as the feature store serves them (structurally `featuresv1.FeatureVector`
 * and `featuresv1.FeatureMatrix`), so the ranker passes decoded requests straight through.
 */
export interface NamedVector {
  readonly names: readonly string[];
  readonly values: ArrayLike<number>;
  /** Bit i (byte i/8, bit i%8, least significant first) set: value i is a default. */
  readonly missing?: Uint8Array | undefined;
}

export interface NamedMatrix {
  /** Column names. */
  readonly names: readonly string[];
  readonly rows: number;
  /** rows * names.length values, row-major. */
  readonly values: ArrayLike<number>;
  /** Bitset over values, as in NamedVector. */
  readonly missing?: Uint8Array | undefined;
}

// The contracts own the bitset's layout.
export { isMissing, setMissing } from '@feedmesh/contracts';

/** Undefined when no bit is set, so the hot loop can skip the per-value check. */
export function anyMissing(missing: Uint8Array | undefined): Uint8Array | undefined {
  if (missing === undefined) return undefined;
  for (let i = 0; i < missing.length; i += 1) if (missing[i] !== 0) return missing;
  return undefined;
}
