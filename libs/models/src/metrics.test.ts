import assert from 'node:assert/strict';
import { auc, calibrationByDecile, expectedCalibrationError, logLoss } from './metrics.js';
import { seededRandom } from './random.js';

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

  it('gives a constant, calibrated predictor an ECE of 0 whatever the order of its labels', () => {
    const half = Array.from({ length: 100 }, () => 0.5);
    const positivesFirst = Array.from({ length: 100 }, (_, i) => (i < 50 ? 1 : 0));
    const interleaved = Array.from({ length: 100 }, (_, i) => i % 2);
    for (const labels of [positivesFirst, interleaved]) {
      const buckets = calibrationByDecile(labels, half);
      assert.deepEqual(buckets, [{ bucket: 0, count: 100, meanPredicted: 0.5, observedRate: 0.5 }]);
      assert.equal(expectedCalibrationError(buckets), 0);
    }
  });

  it('keeps each run of tied predictions in one bucket, so the buckets do not depend on row order', () => {
    const random = seededRandom(3);
    // Predictions on a grid of 0.05: many ties, some spanning a decile's cut-point.
    const probabilities = Array.from({ length: 337 }, () => Math.round(random.next() * 8) / 20);
    const labels = probabilities.map((p) => (random.next() < p ? 1 : 0));
    const expected = calibrationByDecile(labels, probabilities);
    const rows = Array.from({ length: labels.length }, (_, i) => i);
    for (let draw = 0; draw < 5; draw += 1) {
      random.shuffle(rows);
      const buckets = calibrationByDecile(
        rows.map((r) => labels[r]!),
        rows.map((r) => probabilities[r]!),
      );
      assert.equal(buckets.length, expected.length);
      buckets.forEach((b, i) => {
        const e = expected[i]!;
        assert.equal(b.bucket, e.bucket);
        assert.equal(b.count, e.count);
        assert.ok(Math.abs(b.meanPredicted - e.meanPredicted) < 1e-12);
        assert.equal(b.observedRate, e.observedRate);
      });
    }
    // No predicted value is found in two buckets.
    const sorted = [...probabilities].sort((a, b) => a - b);
    let from = 0;
    for (const b of expected) {
      const to = from + b.count;
      if (to < sorted.length) assert.notEqual(sorted[to - 1], sorted[to]);
      from = to;
    }
    assert.equal(from, sorted.length);
  });

  it('moves a cut-point inside a tie to the nearer end of the tie', () => {
    // 20 rows: 0.1 x 3, 0.2 x 15, 0.3 x 2; five buckets cut at 4, 8, 12, 16.
    const probabilities = [
      ...Array.from({ length: 3 }, () => 0.1),
      ...Array.from({ length: 15 }, () => 0.2),
      0.3,
      0.3,
    ];
    const labels = probabilities.map(() => 0);
    const counts = calibrationByDecile(labels, probabilities, 5).map((b) => [b.bucket, b.count]);
    // 4 and 8 are nearer the tie's start (3), 12 and 16 nearer its end (18).
    assert.deepEqual(counts, [
      [0, 3],
      [1, 15],
      [2, 2],
    ]);
  });
});
