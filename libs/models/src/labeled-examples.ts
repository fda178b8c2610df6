import { isMissing, setMissing, type NamedMatrix } from './feature-input.js';
import type { ObjectiveName } from './objectives.js';

/**
 * Training or evaluation data: one row of raw feature values per (user, post) example, in the
 * same form the ranker receives candidates (so a Scorer can score it directly), plus a 0/1
 * label per example for each objective that was observed.
 */
export interface LabeledExamples extends NamedMatrix {
  readonly values: Float32Array;
  readonly labels: Readonly<Partial<Record<ObjectiveName, Uint8Array>>>;
}

/** The rows at `indices`, in that order. */
export function selectRows(examples: LabeledExamples, indices: readonly number[]): LabeledExamples {
  const width = examples.names.length;
  const values = new Float32Array(indices.length * width);
  const missing = examples.missing ? new Uint8Array(Math.ceil(values.length / 8)) : undefined;
  indices.forEach((row, i) => {
    values.set(examples.values.subarray(row * width, (row + 1) * width), i * width);
    if (missing && examples.missing) {
      for (let c = 0; c < width; c += 1) {
        if (isMissing(examples.missing, row * width + c)) setMissing(missing, i * width + c);
      }
    }
  });
  const labels: Partial<Record<ObjectiveName, Uint8Array>> = {};
  for (const [objective, column] of Object.entries(examples.labels) as [
    ObjectiveName,
    Uint8Array,
  ][]) {
    labels[objective] = Uint8Array.from(indices, (row) => column[row] ?? 0);
  }
  return { names: examples.names, rows: indices.length, values, missing, labels };
}

/** Positives per objective. */
export function countPositives(examples: LabeledExamples): Partial<Record<ObjectiveName, number>> {
  const out: Partial<Record<ObjectiveName, number>> = {};
  for (const [objective, column] of Object.entries(examples.labels) as [
    ObjectiveName,
    Uint8Array,
  ][]) {
    let positives = 0;
    for (let i = 0; i < column.length; i += 1) positives += column[i] ?? 0;
    out[objective] = positives;
  }
  return out;
}
