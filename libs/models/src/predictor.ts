import type { ObjectiveName } from './objectives.js';

/**
 * A compiled model family: turns one row of prepared inputs (model feature order, defaults
 * filled in and transforms applied) into one probability per objective.
 */
export interface Predictor {
  readonly objectives: readonly ObjectiveName[];
  /** Writes `objectives.length` probabilities into `out` from `offset`. */
  predictRow(inputs: Float64Array, out: Float32Array, offset: number): void;
}

export function sigmoid(logit: number): number {
  // Split by sign so exp never overflows to Infinity/Infinity.
  if (logit >= 0) return 1 / (1 + Math.exp(-logit));
  const e = Math.exp(logit);
  return e / (1 + e);
}
