import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import {
  MODEL_FORMAT,
  type RegressionTree,
  type TreeEnsembleModelDocument,
} from './model-document.js';
import { seededRandom } from './random.js';
import { Scorer } from './scorer.js';

/**
 * A random tree over `features` inputs whose thresholds come from a small grid, splitting
 * always above `fullDepth` and sometimes down to `maxDepth`.
 */
function randomTree(
  random: ReturnType<typeof seededRandom>,
  features: number,
  fullDepth: number,
  maxDepth: number,
  offset = 0,
): RegressionTree {
  const tree = {
    feature: [] as number[],
    threshold: [] as number[],
    left: [] as number[],
    right: [] as number[],
    missingLeft: [] as number[],
    value: [] as number[],
  };
  const grow = (depth: number): number => {
    const n = tree.feature.length;
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(0);
    tree.right.push(0);
    tree.missingLeft.push(0);
    tree.value.push(random.next() - 0.5);
    if (depth < fullDepth || (depth < maxDepth && random.next() < 0.8)) {
      tree.feature[n] = Math.floor(random.next() * features);
      tree.threshold[n] = Math.floor(random.next() * 8) / 2 + offset;
      tree.missingLeft[n] = random.next() < 0.5 ? 1 : 0;
      tree.left[n] = grow(depth + 1);
      tree.right[n] = grow(depth + 1);
    }
    return n;
  };
  grow(0);
  return tree;
}

/** The document's own rule, node by node, with no packing or binning. */
function walk(tree: RegressionTree, row: readonly number[], float32 = false): number {
  const as = float32 ? Math.fround : (x: number) => x;
  let n = 0;
  while (tree.feature[n] !== -1) {
    const x = as(row[tree.feature[n]!]!);
    const missing = Number.isNaN(x);
    const goLeft = missing ? tree.missingLeft[n] === 1 : x < as(tree.threshold[n]!);
    n = goLeft ? tree.left[n]! : tree.right[n]!;
  }
  return tree.value[n]!;
}

/** Scores `rows` through the Scorer and by walking the document; fails on any difference. */
function assertScoresMatchWalk(
  trees: (random: ReturnType<typeof seededRandom>) => RegressionTree,
  options: { float32?: boolean; offset?: number } = {},
): void {
  const offset = options.offset ?? 0;
  const random = seededRandom(5);
  const features = 4;
  const model: TreeEnsembleModelDocument = {
    format: MODEL_FORMAT,
    family: 'gbdt',
    features: Array.from({ length: features }, (_, j) => ({
      name: `post.f${j}`,
      default: null,
      transform: 'identity' as const,
    })),
    objectives: (['like', 'hide'] as const).map((objective) => ({
      objective,
      baseMargin: random.next() - 0.5,
      trees: Array.from({ length: 30 }, () => trees(random)),
      calibration: { slope: 0.8, intercept: 0.1 },
    })),
    defaultWeights: { like: 1, hide: -1 },
    ...(options.float32 ? { float32Inputs: true } : {}),
  };
  // Values on the threshold grid, between it, beyond it, and missing (NaN takes the default).
  const rows = Array.from({ length: 300 }, () =>
    Array.from({ length: features }, () => {
      const pick = random.next();
      if (pick < 0.15) return Number.NaN;
      if (pick < 0.6) return Math.floor(random.next() * 8) / 2 + offset;
      return random.next() * 5 - 0.5;
    }),
  );
  const scores = new Scorer(model).score({
    candidates: {
      names: model.features.map((f) => f.name),
      rows: rows.length,
      values: rows.flat(),
    },
  });
  rows.forEach((row, r) => {
    model.objectives.forEach((objective, o) => {
      const margin = objective.trees.reduce(
        (sum, tree) => sum + walk(tree, row, options.float32),
        objective.baseMargin,
      );
      const expected = 1 / (1 + Math.exp(-(0.8 * margin + 0.1)));
      const actual = scores.probabilities[r * 2 + o]!;
      assert.ok(
        Math.abs(actual - expected) < 1e-6,
        `row ${r} ${objective.objective}: ${actual} vs ${expected}`,
      );
    });
  });
}

describe('tree ensemble inference', () => {
  it('scores trees of up to 32 leaves (QuickScorer) as walking each tree of the document would, at and between thresholds and when missing', () => {
    assertScoresMatchWalk((random) => randomTree(random, 4, 1, 5));
  });

  it('scores trees of more than 32 leaves (binned walk) as walking each tree of the document would', () => {
    assertScoresMatchWalk((random) => randomTree(random, 4, 6, 7));
  });

  it('compares 32-bit inputs with 32-bit thresholds, on thresholds whose double lies above their float (QuickScorer and binned walk)', () => {
    // k/2 + 0.2: 0.7, 1.2, ... of which several round down to float32.
    assertScoresMatchWalk((random) => randomTree(random, 4, 1, 5, 0.2), {
      float32: true,
      offset: 0.2,
    });
    assertScoresMatchWalk((random) => randomTree(random, 4, 6, 7, 0.2), {
      float32: true,
      offset: 0.2,
    });
  });
});
