import assert from 'node:assert/strict';
import { loadConfig } from '@feedmesh/service-kit';
import { budgetsBeyondDeadline, feedGatewayConfigShape } from './index.js';

describe('feed-gateway configuration', () => {
  it('says nothing of the default stage budgets under the default deadline', () => {
    assert.deepEqual(budgetsBeyondDeadline(loadConfig(feedGatewayConfigShape, {})), []);
  });

  it('names each stage budget above FEED_DEADLINE_MS, with both values', () => {
    const config = loadConfig(feedGatewayConfigShape, {
      FEED_DEADLINE_MS: '100',
      FEED_BUDGET_RANKING_MS: '100',
    });
    assert.deepEqual(budgetsBeyondDeadline(config), [
      'FEED_BUDGET_CANDIDATES_MS (120 ms) is more than FEED_DEADLINE_MS (100 ms): ' +
        'the stage gets at most what is left of the deadline',
    ]);
  });

  it('refuses a FEED_MODEL the ranker would refuse on every feed, naming it', () => {
    for (const model of ['my model', 'm'.repeat(65)]) {
      assert.throws(
        () => loadConfig(feedGatewayConfigShape, { FEED_MODEL: model }),
        /FEED_MODEL.*expected 1-64 characters from \[A-Za-z0-9_.:-\]/s,
      );
    }
    assert.equal(
      loadConfig(feedGatewayConfigShape, { FEED_MODEL: 'feed:v2' }).FEED_MODEL,
      'feed:v2',
    );
  });
});
