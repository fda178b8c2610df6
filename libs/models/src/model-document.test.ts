import assert from 'node:assert/strict';
import { InvalidArgumentError } from '@feedmesh/errors';
import { describe, it } from 'mocha';
import { MODEL_FORMAT, parseModelDocument } from './model-document.js';

function oneTree(tree: Record<string, number[]>) {
  return {
    format: MODEL_FORMAT,
    family: 'gbdt',
    features: [{ name: 'post.quality', default: null, transform: 'identity' }],
    objectives: [{ objective: 'like', baseMargin: 0, trees: [tree] }],
    defaultWeights: { like: 1 },
  };
}

describe('parseModelDocument', () => {
  it('refuses a tree node that two splits lead to, naming the second reference', () => {
    // Both sides of the root lead to node 1: a graph, not a tree, which inference cannot number.
    const shared = oneTree({
      feature: [0, -1],
      threshold: [0.5, 0],
      left: [1, -1],
      right: [1, -1],
      missingLeft: [0, 0],
      value: [0, 1],
    });
    assert.throws(
      () => parseModelDocument(shared),
      (error: unknown) =>
        error instanceof InvalidArgumentError && error.field === 'objectives[0].trees[0].right[0]',
    );
  });

  it('accepts nodes no split leads to (the deleted nodes of a pruned tree)', () => {
    const pruned = oneTree({
      feature: [0, -1, -1, -1],
      threshold: [0.5, 0, 0, 0],
      left: [1, -1, -1, -1],
      right: [2, -1, -1, -1],
      missingLeft: [0, 0, 0, 0],
      value: [0, 1, 2, 9],
    });
    assert.equal(parseModelDocument(pruned).family, 'gbdt');
  });
});
