import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { logLoss } from './metrics.js';
import { fitPlatt } from './platt.js';
import { sigmoid } from './predictor.js';

/**
 * Margins -10, -9.5, ..., 10 (a ranking model's spread), ten rows each, of which
 * round(10 * sigmoid(0.2 * margin - 1)) are positive: the best slope is far below 1.
 */
function spreadMargins(): { margins: number[]; labels: number[] } {
  const margins: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i <= 40; i += 1) {
    const margin = -10 + 0.5 * i;
    const positives = Math.floor(10 * sigmoid(0.2 * margin - 1) + 0.5);
    for (let r = 0; r < 10; r += 1) {
      margins.push(margin);
      labels.push(r < positives ? 1 : 0);
    }
  }
  return { margins, labels };
}

describe('fitPlatt', () => {
  it('finds the log-loss minimum for margins spread over +-10, where the slope is far below 1', () => {
    const { margins, labels } = spreadMargins();
    const { slope, intercept } = fitPlatt(margins, labels);
    // Unpenalized logistic regression of the labels on the margins (numpy Newton from 0, and
    // scikit-learn's LogisticRegression(C=1e12), agree): slope 0.1905265, intercept -0.9705914,
    // mean log loss 0.519735.
    assert.ok(Math.abs(slope - 0.1905265) < 1e-4, `slope ${slope}`);
    assert.ok(Math.abs(intercept - -0.9705914) < 1e-4, `intercept ${intercept}`);
    const calibrated = margins.map((m) => sigmoid(slope * m + intercept));
    assert.ok(Math.abs(logLoss(labels, calibrated) - 0.519735) < 1e-5);
  });

  it('keeps the margins as they are when there is no row to fit on', () => {
    // Slope 0 would give every row p = 0.5: a ranking model calibrated so ranks nothing.
    assert.deepEqual(fitPlatt([], []), { slope: 1, intercept: 0 });
  });

  it('keeps a margin that is already log-odds as it is', () => {
    // Labels drawn so that sigmoid(margin) is their rate: slope 1 and intercept 0 fit best.
    const margins: number[] = [];
    const labels: number[] = [];
    for (const margin of [-2, -1, 0, 1, 2]) {
      const positives = Math.round(1000 * sigmoid(margin));
      for (let r = 0; r < 1000; r += 1) {
        margins.push(margin);
        labels.push(r < positives ? 1 : 0);
      }
    }
    const { slope, intercept } = fitPlatt(margins, labels);
    assert.ok(Math.abs(slope - 1) < 0.01, `slope ${slope}`);
    assert.ok(Math.abs(intercept) < 0.01, `intercept ${intercept}`);
  });
});
