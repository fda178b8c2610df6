import assert from 'node:assert/strict';
import { MODEL_FORMAT, type LogisticModelDocument } from './model-document.js';
import { Scorer } from './scorer.js';

// Two objectives over three features, one of them log1p, with non-trivial standardization.
const model: LogisticModelDocument = {
  format: MODEL_FORMAT,
  family: 'logistic',
  features: [
    { name: 'post.likes', default: 3, transform: 'log1p' },
    { name: 'user_blog.follows', default: 0, transform: 'identity' },
    { name: 'user.activity', default: 0.5, transform: 'identity' },
  ],
  normalization: { mean: [1, 0.2, 0.5], scale: [2, 0.4, 0.25] },
  objectives: [
    { objective: 'like', intercept: -1, coefficients: [0.8, 1.2, -0.4] },
    { objective: 'hide', intercept: -3, coefficients: [-0.5, -1, 0.3] },
  ],
  defaultWeights: { like: 1, hide: -2 },
};

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Straight from the model's definition, with no folding or caching. */
function byHand(likes: number, follows: number, activity: number): [number, number] {
  const z = [(Math.log1p(likes) - 1) / 2, (follows - 0.2) / 0.4, (activity - 0.5) / 0.25];
  const dot = (c: readonly number[], b: number) => b + c.reduce((s, w, j) => s + w * z[j]!, 0);
  return [
    sigmoid(dot(model.objectives[0]!.coefficients, -1)),
    sigmoid(dot(model.objectives[1]!.coefficients, -3)),
  ];
}

describe('Scorer', () => {
  it('matches a hand computation of each probability and the weighed value', () => {
    const scorer = new Scorer(model);
    const scores = scorer.score({
      user: { names: ['user.activity'], values: [0.9] },
      candidates: { names: ['post.likes', 'user_blog.follows'], rows: 2, values: [10, 1, 0, 0] },
    });
    assert.deepEqual(scores.objectives, ['like', 'hide']);
    const rows = [byHand(10, 1, 0.9), byHand(0, 0, 0.9)];
    rows.forEach(([like, hide], r) => {
      assert.ok(Math.abs(scores.probabilities[r * 2]! - like) < 1e-6);
      assert.ok(Math.abs(scores.probabilities[r * 2 + 1]! - hide) < 1e-6);
      assert.ok(Math.abs(scores.values[r]! - (like - 2 * hide)) < 1e-6);
    });
    assert.ok(scores.values[0]! > scores.values[1]!);
  });

  it('gives the same scores when columns are reordered or extra columns are sent', () => {
    const scorer = new Scorer(model);
    const user = { names: ['user.activity'], values: [0.7] };
    const a = scorer.score({
      user,
      candidates: { names: ['post.likes', 'user_blog.follows'], rows: 2, values: [5, 1, 20, 0] },
    });
    const b = scorer.score({
      user: { names: ['user.sessions', 'user.activity'], values: [99, 0.7] },
      candidates: {
        names: ['post.unrelated', 'user_blog.follows', 'post.other', 'post.likes'],
        rows: 2,
        values: [7, 1, -3, 5, 8, 0, 4, 20],
      },
    });
    assert.deepEqual(Array.from(b.probabilities), Array.from(a.probabilities));
    assert.deepEqual(Array.from(b.values), Array.from(a.values));
    assert.equal(scorer.cachedLayouts, 2);
  });

  it('uses the default of a feature the request lacks, flags missing or sends as NaN', () => {
    const scorer = new Scorer(model);
    const [likeDefault] = byHand(3, 0, 0.5);
    const absent = scorer.score({ candidates: { names: [], rows: 1, values: [] } });
    assert.ok(Math.abs(absent.probabilities[0]! - likeDefault) < 1e-6);

    // Row 0: likes flagged missing (bit 0); row 1: follows NaN. Both fall back to defaults.
    const flagged = scorer.score({
      user: { names: ['user.activity'], values: [123], missing: Uint8Array.of(0b1) },
      candidates: {
        names: ['post.likes', 'user_blog.follows'],
        rows: 2,
        values: [999, 0, 3, Number.NaN],
        missing: Uint8Array.of(0b0001),
      },
    });
    assert.ok(Math.abs(flagged.probabilities[0]! - likeDefault) < 1e-6);
    assert.ok(Math.abs(flagged.probabilities[2]! - likeDefault) < 1e-6);
  });

  it('takes a candidate column over a user value of the same name', () => {
    const scorer = new Scorer(model);
    const scores = scorer.score({
      user: { names: ['post.likes', 'user.activity'], values: [1_000, 0.5] },
      candidates: { names: ['post.likes'], rows: 1, values: [10] },
    });
    assert.ok(Math.abs(scores.probabilities[0]! - byHand(10, 0, 0.5)[0]) < 1e-6);
  });

  it('weighs objectives by the request weights over the model defaults, ignoring unknown ones', () => {
    const scorer = new Scorer(model);
    const candidates = { names: ['post.likes'], rows: 1, values: [4] };
    const base = scorer.score({ candidates });
    const custom = scorer.score({ candidates, weights: { hide: 0, reblog: 100 } });
    assert.ok(Math.abs(custom.values[0]! - base.probabilities[0]!) < 1e-9);
    assert.deepEqual(Array.from(custom.probabilities), Array.from(base.probabilities));
  });

  it('answers zero rows with empty arrays', () => {
    const scores = new Scorer(model).score({ candidates: { names: ['x'], rows: 0, values: [] } });
    assert.equal(scores.probabilities.length, 0);
    assert.equal(scores.values.length, 0);
  });
});
