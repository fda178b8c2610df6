import { rankerv1 } from '@feedmesh/contracts';
import assert from 'node:assert/strict';
import { assign, mergedOverrides } from './assignment.js';
import { parseExperimentsConfig } from './experiment-config.js';
import {
  exposureOf,
  mixerNumber,
  objectiveWeightsOf,
  sourceBudgetsOf,
} from './pipeline-overrides.js';
import { EXAMPLE_CONFIG } from './test-support/example-config.js';

describe('pipeline overrides as contract messages', () => {
  const overrides = {
    objectiveWeights: { like: 1, hide: -4 },
    sourceBudgets: { fresh: { maxCandidates: 80, timeoutMs: 40 }, popular: { maxCandidates: 0 } },
    mixer: { newCreatorShare: 0.2, label: 'x' },
  };

  it('turns objective weights into the ranker objectives', () => {
    assert.deepEqual(objectiveWeightsOf(overrides), [
      { objective: rankerv1.Objective.OBJECTIVE_LIKE, weight: 1 },
      { objective: rankerv1.Objective.OBJECTIVE_HIDE, weight: -4 },
    ]);
    assert.deepEqual(objectiveWeightsOf({}), []);
  });

  it('turns source budgets into Generate budgets, 0 meaning the default timeout', () => {
    assert.deepEqual(sourceBudgetsOf(overrides), [
      { source: 'fresh', maxCandidates: 80, timeoutMs: 40 },
      { source: 'popular', maxCandidates: 0, timeoutMs: 0 },
    ]);
  });

  it('reads a numeric mixer parameter or falls back', () => {
    assert.equal(mixerNumber(overrides, 'newCreatorShare', 0), 0.2);
    assert.equal(mixerNumber(overrides, 'label', 7), 7);
    assert.equal(mixerNumber({}, 'newCreatorShare', 0.05), 0.05);
  });

  it('logs exactly the experiments and variants a user was assigned', () => {
    const config = parseExperimentsConfig(EXAMPLE_CONFIG);
    const assignments = assign('u42', config);
    assert.deepEqual(
      exposureOf(assignments),
      assignments.map((a) => ({ experiment: a.experiment, variant: a.variant })),
    );
    assert.ok(assignments.length >= 1);
    assert.deepEqual(Object.keys(mergedOverrides([])), []);
  });
});
