import assert from 'node:assert/strict';
import { InvalidArgumentError } from '@feedmesh/errors';
import { describe, it } from 'mocha';
import { auc } from './metrics.js';
import { meanNdcgAt, queryOffsets } from './lambda-rank.js';
import type { LabeledExamples } from './labeled-examples.js';
import { parseModelDocument } from './model-document.js';
import { seededRandom } from './random.js';
import { Scorer } from './scorer.js';
import { binFeatures, binWith } from './feature-bins.js';
import { trainGbdt } from './gbdt.training.js';

/** y = 1 mostly when exactly one of a, b is positive: no linear model can separate it. */
function xorExamples(rows: number, seed: number): LabeledExamples {
  const random = seededRandom(seed);
  const values = new Float32Array(rows * 3);
  const like = new Uint8Array(rows);
  for (let r = 0; r < rows; r += 1) {
    const a = random.next() * 2 - 1;
    const b = random.next() * 2 - 1;
    values.set([a, b, random.next()], r * 3);
    const p = a > 0 !== b > 0 ? 0.9 : 0.1;
    like[r] = random.next() < p ? 1 : 0;
  }
  return { names: ['post.a', 'post.b', 'post.noise'], rows, values, labels: { like } };
}

function probabilities(scorer: Scorer, examples: LabeledExamples): Float64Array {
  return Float64Array.from(scorer.score({ candidates: examples }).probabilities);
}

describe('trainGbdt', () => {
  it('learns an interaction a linear model cannot, and the Scorer serves what it learned', () => {
    const { model } = trainGbdt(xorExamples(4000, 1), { trees: 60, maxLeaves: 8, seed: 1 });
    const heldOut = xorExamples(2000, 2);
    const p = probabilities(
      new Scorer(parseModelDocument(JSON.parse(JSON.stringify(model)))),
      heldOut,
    );
    assert.ok(auc(heldOut.labels.like!, p) > 0.85, `held-out AUC ${auc(heldOut.labels.like!, p)}`);
    // Log loss gives log-odds margins: the mean prediction is close to the base rate.
    const mean = p.reduce((s, v) => s + v, 0) / p.length;
    const rate = heldOut.labels.like!.reduce((s, v) => s + v, 0) / heldOut.rows;
    assert.ok(Math.abs(mean - rate) < 0.03, `mean ${mean} vs rate ${rate}`);
  });

  it('gives the same model for the same examples and seed', () => {
    const examples = xorExamples(1000, 3);
    const options = { trees: 10, rowSubsample: 0.7, featureSubsample: 0.7, seed: 9 };
    assert.deepEqual(trainGbdt(examples, options).model, trainGbdt(examples, options).model);
  });

  it('gives an objective the same trees for a seed whichever other objectives are fitted with it', () => {
    // The hide model of a run that also fits like must be the hide model of a run that fits
    // hide alone: subsampling draws from the objective's own stream, not from what the
    // objectives before it left of a shared one.
    const examples = xorExamples(1000, 3);
    const hide = Uint8Array.from(examples.labels.like!, (label, r) =>
      r % 3 === 0 ? 1 - label : label,
    );
    const both = { ...examples, labels: { like: examples.labels.like!, hide } };
    const options = { trees: 10, rowSubsample: 0.7, featureSubsample: 0.7, seed: 9 };
    const together = trainGbdt(both, { ...options, objectives: ['like', 'hide'] }).model;
    const alone = trainGbdt(both, { ...options, objectives: ['hide'] }).model;
    assert.deepEqual(together.objectives[1], alone.objectives[0]);
    // like, first in OBJECTIVES, draws what a run fitting like alone always drew.
    const likeAlone = trainGbdt(both, { ...options, objectives: ['like'] }).model;
    assert.deepEqual(together.objectives[0], likeAlone.objectives[0]);
  });

  it('trains the same model on rows binned beforehand, as the models of a bag share them', () => {
    const examples = xorExamples(1500, 7);
    const heldOut = xorExamples(500, 8);
    const options = { trees: 30, maxLeaves: 6, bins: 31, rowSubsample: 0.5, seed: 3 };
    const alone = trainGbdt(examples, { ...options, validation: { examples: heldOut } });
    const binned = binFeatures(examples, 31);
    const shared = {
      ...options,
      binned,
      validation: { examples: heldOut, binned: binWith(heldOut, binned.thresholds) },
    };
    assert.deepEqual(trainGbdt(examples, shared), alone);
    // The second model on the same bins reuses the trainer's row-major copy of them.
    assert.deepEqual(trainGbdt(examples, shared), alone);
    assert.throws(
      () => trainGbdt(examples, { ...options, binned: binFeatures(heldOut, 31) }),
      /not those of the examples/,
    );
    assert.throws(
      () =>
        trainGbdt(examples, {
          ...options,
          binned,
          validation: { examples: heldOut, binned: binFeatures(heldOut, 31) },
        }),
      /other cut points/,
    );
  });

  it('learns where missing values go', () => {
    // Missing a means a positive; present a says nothing.
    const random = seededRandom(4);
    const rows = 2000;
    const values = new Float32Array(rows);
    const missing = new Uint8Array(Math.ceil(rows / 8));
    const like = new Uint8Array(rows);
    for (let r = 0; r < rows; r += 1) {
      values[r] = random.next();
      if (r % 2 === 0) {
        missing[r >> 3] = (missing[r >> 3] ?? 0) | (1 << (r & 7));
        like[r] = 1;
      }
    }
    const { model } = trainGbdt(
      { names: ['post.a'], rows, values, missing, labels: { like } },
      { trees: 20, seed: 1 },
    );
    const scorer = new Scorer(model);
    const absent = scorer.score({ candidates: { names: [], rows: 1, values: [] } });
    const present = scorer.score({ candidates: { names: ['post.a'], rows: 1, values: [0.5] } });
    assert.ok(absent.probabilities[0]! > 0.9, `absent ${absent.probabilities[0]}`);
    assert.ok(present.probabilities[0]! < 0.1, `present ${present.probabilities[0]}`);
  });

  it('splits missing values from every present one, as for a feature present with one value only', () => {
    // post.a is 1 where present (odd rows) and missing elsewhere: like is 90% when missing,
    // 10% when present. No threshold separates the present rows, so only a split of missing
    // against all of them learns it; XGBoost 1.7 (exact, hist and approx, depth 1, 50 rounds)
    // predicts 0.90 and 0.10.
    const rows = 2000;
    const values = new Float32Array(rows).fill(1);
    const missing = new Uint8Array(Math.ceil(rows / 8));
    const like = new Uint8Array(rows);
    for (let r = 0; r < rows; r += 1) {
      const tenth = Math.floor(r / 2) % 10 === 0;
      if (r % 2 === 0) {
        missing[r >> 3] = (missing[r >> 3] ?? 0) | (1 << (r & 7));
        like[r] = tenth ? 0 : 1;
      } else {
        like[r] = tenth ? 1 : 0;
      }
    }
    const { model } = trainGbdt(
      { names: ['post.a'], rows, values, missing, labels: { like } },
      { trees: 50, maxLeaves: 2, learningRate: 0.3, seed: 1 },
    );
    const scorer = new Scorer(parseModelDocument(JSON.parse(JSON.stringify(model))));
    const scores = scorer.score({
      candidates: { names: ['post.a'], rows: 3, values: [Number.NaN, 1, 7] },
    });
    assert.ok(
      Math.abs(scores.probabilities[0]! - 0.9) < 0.02,
      `missing ${scores.probabilities[0]}`,
    );
    assert.ok(
      Math.abs(scores.probabilities[1]! - 0.1) < 0.02,
      `present ${scores.probabilities[1]}`,
    );
    // Any present value, seen in training or not, goes with the present rows.
    assert.equal(scores.probabilities[2], scores.probabilities[1]);
  });

  it('ranks with LambdaMART within queries, stops on held-out nDCG and calibrates the margins', () => {
    // Per query, relevance follows a hidden score from two features; a third is noise.
    const make = (queries: number, seed: number) => {
      const random = seededRandom(seed);
      const perQuery = 30;
      const values = new Float32Array(queries * perQuery * 3);
      const like = new Uint8Array(queries * perQuery);
      const groups = new Int32Array(queries * perQuery);
      for (let r = 0; r < queries * perQuery; r += 1) {
        const a = random.next();
        const b = random.next();
        values.set([a, b, random.next()], r * 3);
        like[r] = random.next() < a * b ? 1 : 0;
        groups[r] = Math.floor(r / perQuery);
      }
      const examples: LabeledExamples = {
        names: ['post.a', 'post.b', 'post.noise'],
        rows: like.length,
        values,
        labels: { like },
      };
      return { examples, groups };
    };
    const train = make(200, 5);
    const check = make(60, 6);
    const { model, fits } = trainGbdt(train.examples, {
      loss: 'lambdarank',
      groups: train.groups,
      validation: check,
      trees: 80,
      maxLeaves: 8,
      l2: 1e-3,
      seed: 1,
    });
    const fit = fits[0]!;
    assert.equal(fit.trees, model.objectives[0]!.trees.length);
    assert.ok(fit.trees < 80 || fit.validationCurve.length === 80);
    assert.ok(model.objectives[0]!.calibration, 'a ranking objective carries its calibration');
    const p = probabilities(new Scorer(model), check.examples);
    const offsets = queryOffsets(check.groups);
    const learned = meanNdcgAt(p, check.examples.labels.like!, offsets, 10);
    const noise = meanNdcgAt(
      Float64Array.from(
        { length: check.examples.rows },
        (_, r) => check.examples.values[r * 3 + 2]!,
      ),
      check.examples.labels.like!,
      offsets,
      10,
    );
    assert.ok(learned > noise + 0.1, `nDCG ${learned} vs ${noise} for noise`);
    const mean = p.reduce((s, v) => s + v, 0) / p.length;
    const rate = check.examples.labels.like!.reduce((s, v) => s + v, 0) / check.examples.rows;
    assert.ok(Math.abs(mean - rate) < 0.05, `calibrated mean ${mean} vs rate ${rate}`);
  });

  it('refuses an nDCG cut-off that is not a positive integer, naming ndcgAt', () => {
    const examples = xorExamples(200, 4);
    const groups = Int32Array.from({ length: 200 }, (_, r) => Math.floor(r / 20));
    const validation = { examples: xorExamples(100, 5), groups: groups.subarray(0, 100) };
    for (const ndcgAt of [0, -1, 2.5, Number.NaN]) {
      assert.throws(
        () =>
          trainGbdt(examples, {
            loss: 'lambdarank',
            groups,
            validation,
            trees: 2,
            ndcgAt,
            seed: 1,
          }),
        (error: unknown) => error instanceof InvalidArgumentError && error.field === 'ndcgAt',
        `accepted ndcgAt ${ndcgAt}`,
      );
    }
  });

  it('refuses query groups that do not give one query per row, naming them', () => {
    const examples = xorExamples(200, 4);
    const groups = (rows: number) =>
      Int32Array.from({ length: rows }, (_, r) => Math.floor(r / 20));
    for (const rows of [199, 201]) {
      assert.throws(
        () => trainGbdt(examples, { loss: 'lambdarank', groups: groups(rows), trees: 2 }),
        (error: unknown) =>
          error instanceof InvalidArgumentError &&
          error.field === 'groups' &&
          error.message.includes(String(rows)) &&
          error.message.includes('200'),
      );
    }
    assert.throws(
      () =>
        trainGbdt(examples, {
          loss: 'lambdarank',
          groups: groups(200),
          validation: { examples: xorExamples(100, 5), groups: groups(90) },
          trees: 2,
        }),
      (error: unknown) =>
        error instanceof InvalidArgumentError && error.field === 'validation.groups',
    );
  });

  it('refuses a seed that is not an integer from 0 to 2^32 - 1, naming seed', () => {
    // `seed | 0` would have made 2^32 + 1 the seed 1, and 1.5 the seed 1 too.
    const examples = xorExamples(200, 4);
    for (const seed of [2 ** 32, 2 ** 32 + 1, 1.5, -1, Number.NaN]) {
      assert.throws(
        () => trainGbdt(examples, { trees: 2, seed }),
        (error: unknown) => error instanceof InvalidArgumentError && error.field === 'seed',
        `accepted seed ${seed}`,
      );
      assert.throws(
        () => seededRandom(seed),
        (error: unknown) => error instanceof InvalidArgumentError && error.field === 'seed',
      );
    }
    // The whole unsigned 32-bit range is accepted, and its ends are different seeds.
    assert.notEqual(seededRandom(0).next(), seededRandom(2 ** 32 - 1).next());
    assert.notEqual(seededRandom(2 ** 31).next(), seededRandom(2 ** 31 - 1).next());
  });
});
