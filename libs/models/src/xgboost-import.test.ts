import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { InvalidArgumentError } from '@feedmesh/errors';
import { sigmoid } from './predictor.js';
import { Scorer } from './scorer.js';
import { importXgboostModels } from './xgboost-import.js';

/**
 * A two-tree binary:logistic model in XGBoost's JSON layout (as `save_model` writes it):
 * tree 0 splits on likes_7d < 3 (missing goes left), tree 1 is a single leaf.
 */
function xgboostModel(overrides: Record<string, unknown> = {}) {
  return {
    learner: {
      attributes: {},
      feature_names: ['post.likes_7d', 'user_tag.affinity'],
      feature_types: ['float', 'float'],
      gradient_booster: {
        name: 'gbtree',
        model: {
          gbtree_model_param: { num_parallel_tree: '1', num_trees: '2' },
          tree_info: [0, 0],
          trees: [
            {
              id: 0,
              left_children: [1, -1, -1],
              right_children: [2, -1, -1],
              parents: [2147483647, 0, 0],
              split_indices: [0, 0, 0],
              split_conditions: [3, -0.4, 0.6],
              split_type: [0, 0, 0],
              default_left: [1, 0, 0],
              base_weights: [0, -0.4, 0.6],
              loss_changes: [1, 0, 0],
              sum_hessian: [10, 5, 5],
              categories: [],
              tree_param: {
                num_deleted: '0',
                num_feature: '2',
                num_nodes: '3',
                size_leaf_vector: '1',
              },
            },
            {
              id: 1,
              left_children: [-1],
              right_children: [-1],
              parents: [2147483647],
              split_indices: [0],
              split_conditions: [0.25],
              split_type: [0],
              default_left: [0],
              base_weights: [0.25],
              loss_changes: [0],
              sum_hessian: [10],
              categories: [],
              tree_param: {
                num_deleted: '0',
                num_feature: '2',
                num_nodes: '1',
                size_leaf_vector: '1',
              },
            },
          ],
        },
      },
      learner_model_param: {
        base_score: '2E-1',
        num_class: '0',
        num_feature: '2',
        num_target: '1',
      },
      objective: { name: 'binary:logistic', reg_loss_param: { scale_pos_weight: '1' } },
      ...overrides,
    },
    version: [2, 1, 0],
  };
}

describe('importXgboostModels', () => {
  it('serves an XGBoost binary:logistic model with XGBoost predictions', () => {
    const model = importXgboostModels({ like: xgboostModel() });
    const scorer = new Scorer(model);
    const base = Math.log(0.2 / 0.8);
    const scores = scorer.score({
      candidates: { names: ['post.likes_7d'], rows: 3, values: [1, 3, Number.NaN] },
    });
    // 1 < 3 goes left; 3 is not below 3 and goes right; missing goes left (default_left).
    assert.ok(Math.abs(scores.probabilities[0]! - sigmoid(base - 0.4 + 0.25)) < 1e-6);
    assert.ok(Math.abs(scores.probabilities[1]! - sigmoid(base + 0.6 + 0.25)) < 1e-6);
    assert.ok(Math.abs(scores.probabilities[2]! - sigmoid(base - 0.4 + 0.25)) < 1e-6);
    assert.deepEqual(
      model.features.map((f) => f.name),
      ['post.likes_7d', 'user_tag.affinity'],
    );
  });

  it('compares inputs as 32-bit floats, as XGBoost does', () => {
    const file = xgboostModel();
    const tree = file.learner.gradient_booster.model.trees[0]!;
    tree.split_conditions = [Math.fround(0.1), -0.4, 0.6];
    const scorer = new Scorer(importXgboostModels({ like: file }));
    // 0.1 as a double is below fround(0.1), but XGBoost reads it as fround(0.1): right.
    const scores = scorer.score({
      candidates: { names: ['post.likes_7d'], rows: 1, values: [0.1] },
    });
    const base = Math.log(0.2 / 0.8);
    assert.ok(Math.abs(scores.probabilities[0]! - sigmoid(base + 0.6 + 0.25)) < 1e-6);
  });

  it('reads split conditions as 32-bit floats, so a value on a threshold printed above its float goes right', () => {
    // XGBoost writes 0.7f as "0.7", which as a double is above 0.7f; XGBoost compares
    // fround(0.7) < 0.7f, which fails: the row goes right.
    const file = xgboostModel();
    const tree = file.learner.gradient_booster.model.trees[0]!;
    tree.split_conditions = [0.7, -0.4, 0.6];
    const scorer = new Scorer(importXgboostModels({ like: file }));
    const scores = scorer.score({
      candidates: { names: ['post.likes_7d'], rows: 2, values: [0.7, 0.69] },
    });
    const base = Math.log(0.2 / 0.8);
    assert.ok(Math.abs(scores.probabilities[0]! - sigmoid(base + 0.6 + 0.25)) < 1e-6);
    assert.ok(Math.abs(scores.probabilities[1]! - sigmoid(base - 0.4 + 0.25)) < 1e-6);
  });

  it('serves a pruned model, whose deleted nodes no split reaches, as XGBoost does', () => {
    // Tree 1 was grown to split node 2 and then pruned back: nodes 3 and 4 are deleted
    // leaves left in the arrays, reachable from no node (tree_param.num_deleted: 2).
    const file = xgboostModel();
    const trees = file.learner.gradient_booster.model.trees;
    trees[1] = {
      ...trees[1]!,
      left_children: [1, -1, -1, -1, -1],
      right_children: [2, -1, -1, -1, -1],
      parents: [2147483647, 0, 0, 2, 2],
      split_indices: [1, 0, 0, 2147483647, 2147483647],
      split_conditions: [0.5, 0.1, 0.3, 9, 9],
      split_type: [0, 0, 0, 0, 0],
      default_left: [0, 0, 0, 0, 0],
      base_weights: [0, 0.1, 0.3, 9, 9],
      loss_changes: [1, 0, 0, 0, 0],
      sum_hessian: [10, 5, 5, 2, 3],
      tree_param: { ...trees[1]!.tree_param, num_deleted: '2', num_nodes: '5' },
    };
    const scorer = new Scorer(importXgboostModels({ like: file }));
    const scores = scorer.score({
      candidates: {
        names: ['post.likes_7d', 'user_tag.affinity'],
        rows: 2,
        values: [1, 0, 5, 1],
      },
    });
    const base = Math.log(0.2 / 0.8);
    // Row 0: likes 1 < 3 left (-0.4), affinity 0 < 0.5 left (0.1).
    assert.ok(Math.abs(scores.probabilities[0]! - sigmoid(base - 0.4 + 0.1)) < 1e-6);
    // Row 1: likes 5 right (0.6), affinity 1 right (0.3).
    assert.ok(Math.abs(scores.probabilities[1]! - sigmoid(base + 0.6 + 0.3)) < 1e-6);
  });

  it('takes feature names from the options when the file has none', () => {
    const file = xgboostModel({ feature_names: [] });
    assert.throws(
      () => importXgboostModels({ like: file }),
      (error: unknown) =>
        error instanceof InvalidArgumentError &&
        error.field === 'models.like.learner.feature_names',
    );
    const model = importXgboostModels(
      { like: file },
      { featureNames: { like: ['post.a', 'post.b'] } },
    );
    assert.deepEqual(
      model.features.map((f) => f.name),
      ['post.a', 'post.b'],
    );
  });

  it('refuses a multi-target model, whose trees add to different outputs, naming num_target', () => {
    // XGBoost 1.7, reg:squarederror on two label columns: tree_info [0, 1, 0, 1], and
    // predict(output_margin=True) gives one margin per target ([0.679, -0.340] for one row);
    // summing every tree into one margin would serve neither.
    const file = xgboostModel({
      learner_model_param: {
        base_score: '5E-1',
        num_class: '0',
        num_feature: '2',
        num_target: '2',
      },
      objective: { name: 'reg:squarederror' },
    });
    file.learner.gradient_booster.model.tree_info = [0, 1];
    assert.throws(
      () => importXgboostModels({ like: file }),
      (error: unknown) =>
        error instanceof InvalidArgumentError &&
        error.field === 'models.like.learner.learner_model_param.num_target',
    );
  });

  it('refuses a base_score that is no probability for a probability objective, naming base_score', () => {
    // binary:logistic keeps base_score as a probability: its margin log(p / (1 - p)) is
    // infinite at 0 and 1 (XGBoost itself refuses base_score outside (0, 1) there).
    for (const baseScore of ['0', '1E0', '1.5E0']) {
      const file = xgboostModel({
        learner_model_param: { base_score: baseScore, num_class: '0', num_feature: '2' },
      });
      assert.throws(
        () => importXgboostModels({ like: file }),
        (error: unknown) =>
          error instanceof InvalidArgumentError &&
          error.field === 'models.like.learner.learner_model_param.base_score',
        `base_score ${baseScore}`,
      );
    }
  });

  it('refuses a booster other than gbtree (DART weighs its trees, gblinear has none), naming it', () => {
    const dart = xgboostModel();
    const booster = dart.learner.gradient_booster as Record<string, unknown>;
    dart.learner.gradient_booster = {
      name: 'dart',
      gbtree: { name: 'gbtree', model: booster.model },
      weight_drop: [0.59, 0.77],
    } as unknown as typeof dart.learner.gradient_booster;
    assert.throws(
      () => importXgboostModels({ like: dart }),
      (error: unknown) =>
        error instanceof InvalidArgumentError &&
        error.field === 'models.like.learner.gradient_booster.name' &&
        /dart/.test(error.message),
    );
  });

  it('refuses multi-class models and categorical splits, naming where', () => {
    const multiclass = xgboostModel({
      learner_model_param: { base_score: '5E-1', num_class: '3', num_feature: '2' },
    });
    assert.throws(
      () => importXgboostModels({ like: multiclass }),
      (error: unknown) =>
        error instanceof InvalidArgumentError &&
        error.field === 'models.like.learner.learner_model_param.num_class',
    );
    const categorical = xgboostModel();
    categorical.learner.gradient_booster.model.trees[0]!.split_type = [1, 0, 0];
    assert.throws(
      () => importXgboostModels({ like: categorical }),
      (error: unknown) =>
        error instanceof InvalidArgumentError &&
        error.field === 'models.like.learner.gradient_booster.model.trees[0].split_type',
    );
  });
});
