import assert from 'node:assert/strict';
import { auc, calibrationByDecile, expectedCalibrationError, logLoss } from './metrics.js';

describe('metrics', () => {
  it('computes AUC as the share of correctly ordered positive-negative pairs', () => {
    assert.equal(auc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]), 1);
    assert.equal(auc([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4]), 0);
    // Pairs (pos, neg): (0.35>0.1) (0.35>0.4 no) (0.8>0.1) (0.8>0.4) -> 3/4.
    assert.equal(auc([0, 1, 0, 1], [0.1, 0.35, 0.4, 0.8]), 0.75);
  });

  it('counts tied scores as half an ordered pair', () => {
    assert.equal(auc([0, 1], [0.5, 0.5]), 0.5);
    // pos 0.5 vs negs {0.5, 0.2}: 0.5 + 1; pos 0.9 vs both: 2 -> 3.5 / 4.
    assert.equal(auc([1, 0, 0, 1], [0.5, 0.5, 0.2, 0.9]), 0.875);
  });

  it('is NaN when only one class is present', () => {
    assert.ok(Number.isNaN(auc([1, 1], [0.2, 0.3])));
    assert.ok(Number.isNaN(auc([], [])));
  });

  it('computes log loss with clipping instead of infinity', () => {
    const expected = -(Math.log(0.8) + Math.log(0.6)) / 2;
    assert.ok(Math.abs(logLoss([1, 0], [0.8, 0.4]) - expected) < 1e-12);
    assert.ok(Number.isFinite(logLoss([1], [0])));
    assert.ok(logLoss([1], [0]) > 15);
  });

  it('cuts predictions into equal-count deciles, lowest first', () => {
    const n = 100;
    const probabilities = Array.from({ length: n }, (_, i) => i / n);
    // Perfectly calibrated in expectation: label 1 for the top share matching each decile.
    const labels = probabilities.map((p, i) => (i % 10 < p * 10 ? 1 : 0));
    const buckets = calibrationByDecile(labels, probabilities);
    assert.equal(buckets.length, 10);
    assert.ok(buckets.every((b) => b.count === 10));
    assert.ok(Math.abs(buckets[0]!.meanPredicted - 0.045) < 1e-9);
    assert.ok(buckets[9]!.observedRate > buckets[0]!.observedRate);
    assert.ok(expectedCalibrationError(buckets) < 0.1);
  });

  it('reports a miscalibrated model through ECE', () => {
    const labels = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? 1 : 0));
    const confident = labels.map(() => 0.99);
    assert.ok(expectedCalibrationError(calibrationByDecile(labels, confident)) > 0.45);
  });
});
