import type { ObjectiveName } from './objectives.js';

/**
 * A compiled model family: turns rows of prepared inputs (model feature order, defaults
 * filled in and transforms applied) into one probability per objective.
 */
export interface Predictor {
  readonly objectives: readonly ObjectiveName[];
  /**
   * Scores a block of rows at once, so a family can loop rows inside its own structure (each
   * tree once over every row). `inputs` holds rows x features values, row-major, and is the
   * predictor's to overwrite; `out` receives rows x objectives probabilities, row-major.
   */
  predictRows(inputs: Float64Array, rows: number, out: Float32Array): void;
}

export function sigmoid(logit: number): number {
  // Split by sign so exp never overflows to Infinity/Infinity.
  if (logit >= 0) return 1 / (1 + Math.exp(-logit));
  const e = Math.exp(logit);
  return e / (1 + e);
}
