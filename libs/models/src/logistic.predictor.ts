import type { LogisticModelDocument } from './model-document.js';
import type { ObjectiveName } from './objectives.js';
import { sigmoid, type Predictor } from './predictor.js';

/**
 * Logistic regression with standardization folded into the weights at compile time
 * (w / scale, intercept - sum(w * mean / scale)), so a row costs one dot product per
 * objective over raw transformed inputs.
 */
export class LogisticPredictor implements Predictor {
  readonly objectives: readonly ObjectiveName[];
  private readonly width: number;
  /** objectives x width, row-major. */
  private readonly weights: Float64Array;
  private readonly intercepts: Float64Array;

  constructor(model: LogisticModelDocument) {
    this.width = model.features.length;
    this.objectives = model.objectives.map((o) => o.objective);
    this.weights = new Float64Array(this.objectives.length * this.width);
    this.intercepts = new Float64Array(this.objectives.length);
    const { mean, scale } = model.normalization;
    model.objectives.forEach((objective, k) => {
      let intercept = objective.intercept;
      for (let j = 0; j < this.width; j += 1) {
        const w = (objective.coefficients[j] ?? 0) / (scale[j] ?? 1);
        this.weights[k * this.width + j] = w;
        intercept -= w * (mean[j] ?? 0);
      }
      this.intercepts[k] = intercept;
    });
  }

  predictRows(inputs: Float64Array, rows: number, out: Float32Array): void {
    const width = this.width;
    const weights = this.weights;
    const objectives = this.objectives.length;
    for (let r = 0; r < rows; r += 1) {
      const row = r * width;
      for (let k = 0; k < objectives; k += 1) {
        let logit = this.intercepts[k] as number;
        const base = k * width;
        for (let j = 0; j < width; j += 1) {
          logit += (weights[base + j] as number) * (inputs[row + j] as number);
        }
        out[r * objectives + k] = sigmoid(logit);
      }
    }
  }
}
