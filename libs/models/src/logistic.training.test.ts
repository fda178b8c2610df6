import assert from 'node:assert/strict';
import { evaluateModel } from './evaluation.js';
import type { LabeledExamples } from './labeled-examples.js';
import { trainLogistic } from './logistic.training.js';
import { parseModelDocument } from './model-document.js';
import { seededRandom, type SeededRandom } from './random.js';
import { Scorer } from './scorer.js';

const NAMES = ['signal.up', 'signal.down', 'noise', 'count.heavy'];

function gaussian(random: SeededRandom): number {
  const u = 1 - random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
}

/**
 * Labels drawn from a planted logistic model: like depends on up (+), down (-) and the
 * log of a heavy-tailed count (+); `noise` matters to nothing.
 */
function plantedWorld(rows: number, seed: number): LabeledExamples {
  const random = seededRandom(seed);
  const values = new Float32Array(rows * NAMES.length);
  const like = new Uint8Array(rows);
  for (let r = 0; r < rows; r += 1) {
    const up = gaussian(random);
    const down = gaussian(random);
    const noise = gaussian(random);
    const count = Math.floor(-Math.log(1 - random.next()) * 50);
    values.set([up, down, noise, count], r * NAMES.length);
    const logit = -1 + 2 * up - 1.5 * down + 0.8 * Math.log1p(count) - 0.8 * Math.log1p(50);
    like[r] = random.next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
  }
  return { names: NAMES, rows, values, labels: { like } };
}

describe('trainLogistic', () => {
  it('recovers a planted model: high held-out AUC and the right coefficient signs', () => {
    const { model, fits } = trainLogistic(plantedWorld(4_000, 1));
    const heldOut = plantedWorld(2_000, 2);
    const { metrics } = evaluateModel(new Scorer(model), heldOut);
    assert.ok(metrics.auc_like! > 0.85, `auc_like ${metrics.auc_like}`);
    const [up, down, noise, heavy] = model.objectives[0]!.coefficients;
    assert.ok(up! > 1, `up ${up}`);
    assert.ok(down! < -0.8, `down ${down}`);
    assert.ok(Math.abs(noise!) < 0.15, `noise ${noise}`);
    assert.ok(heavy! > 0.3, `heavy ${heavy}`);
    assert.equal(model.features[3]!.transform, 'log1p');
    assert.equal(model.features[0]!.transform, 'identity');
    assert.ok(fits[0]!.converged);
    assert.equal(fits[0]!.constant, false);
    // What it produced is a valid stored model.
    parseModelDocument(JSON.parse(JSON.stringify(model)));
  });

  it('is deterministic: the same examples give the same model', () => {
    const a = trainLogistic(plantedWorld(1_000, 7)).model;
    const b = trainLogistic(plantedWorld(1_000, 7)).model;
    assert.deepEqual(a, b);
  });

  it('stays finite on perfectly separable data thanks to the L2 penalty', () => {
    const rows = 200;
    const values = Float32Array.from({ length: rows }, (_, r) => r - 100);
    const like = Uint8Array.from({ length: rows }, (_, r) => (r >= 100 ? 1 : 0));
    const { model, fits } = trainLogistic({ names: ['x'], rows, values, labels: { like } });
    const coefficient = model.objectives[0]!.coefficients[0]!;
    assert.ok(Number.isFinite(coefficient) && coefficient > 5, `coefficient ${coefficient}`);
    assert.ok(fits[0]!.converged);
    const { metrics } = evaluateModel(new Scorer(model), {
      names: ['x'],
      rows,
      values,
      labels: { like },
    });
    assert.equal(metrics.auc_like, 1);
  });

  it('gives an objective with too few positives a base-rate model instead of fitting noise', () => {
    const world = plantedWorld(500, 3);
    const hide = new Uint8Array(world.rows);
    hide[3] = 1;
    hide[40] = 1;
    const { model, fits } = trainLogistic({ ...world, labels: { ...world.labels, hide } });
    const fit = fits.find((f) => f.objective === 'hide');
    assert.equal(fit?.constant, true);
    const objective = model.objectives.find((o) => o.objective === 'hide')!;
    assert.ok(objective.coefficients.every((c) => c === 0));
    const rate = 1 / (1 + Math.exp(-objective.intercept));
    assert.ok(Math.abs(rate - 2.5 / 501) < 1e-9);
  });

  it('imputes missing values with the training mean so they contribute nothing', () => {
    const world = plantedWorld(1_000, 4);
    const missing = new Uint8Array(Math.ceil(world.values.length / 8));
    missing[0] = 0b1; // row 0, signal.up
    const { model } = trainLogistic({ ...world, missing });
    const scorer = new Scorer(model);
    const mean = model.normalization.mean[0]!;
    const withDefault = scorer.score({
      candidates: { names: ['signal.up'], rows: 1, values: [mean] },
    });
    const without = scorer.score({ candidates: { names: [], rows: 1, values: [] } });
    assert.ok(Math.abs(withDefault.probabilities[0]! - without.probabilities[0]!) < 1e-6);
  });
});
