import type { LabeledExamples } from './labeled-examples.js';
import {
  auc,
  calibrationByDecile,
  expectedCalibrationError,
  logLoss,
  type CalibrationBucket,
} from './metrics.js';
import type { ObjectiveName } from './objectives.js';
import type { Scorer } from './scorer.js';

export interface Evaluation {
  /**
   * `auc_<objective>`, `logloss_<objective>`, `ece_<objective>` (expected calibration error
   * over equal-count deciles that keep tied predictions whole, so it does not depend on row
   * order) for each objective both the model and the labels have; AUC is NaN when the slice
   * holds one class only.
   */
  readonly metrics: Record<string, number>;
  readonly calibration: Partial<Record<ObjectiveName, CalibrationBucket[]>>;
}

/**
 * Scores the examples with the model exactly as the ranker would (columns matched by name)
 * and measures each objective. Any model can be evaluated on any examples: a feature the
 * examples lack takes the model's default.
 */
export function evaluateModel(scorer: Scorer, examples: LabeledExamples): Evaluation {
  const scores = scorer.score({ candidates: examples });
  const k = scorer.objectives.length;
  const metrics: Record<string, number> = {};
  const calibration: Partial<Record<ObjectiveName, CalibrationBucket[]>> = {};
  scorer.objectives.forEach((objective, o) => {
    const labels = examples.labels[objective];
    if (labels === undefined) return;
    const predicted = new Float64Array(examples.rows);
    for (let r = 0; r < examples.rows; r += 1) {
      predicted[r] = scores.probabilities[r * k + o] as number;
    }
    const buckets = calibrationByDecile(labels, predicted);
    metrics[`auc_${objective}`] = auc(labels, predicted);
    metrics[`logloss_${objective}`] = logLoss(labels, predicted);
    metrics[`ece_${objective}`] = expectedCalibrationError(buckets);
    calibration[objective] = buckets;
  });
  return { metrics, calibration };
}
