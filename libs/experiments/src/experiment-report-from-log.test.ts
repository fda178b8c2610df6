import { RedisStreamsEventLog } from '@feedmesh/events';
import { testRedisUrl, uniquePrefix } from '@feedmesh/testing';
import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { assign } from './assignment.js';
import { validateExperimentsConfig } from './experiment-config.js';
import { experimentReportFromEvents } from './experiment-report.js';
import { renderExperimentReportHtml } from './report-html.js';
import { DAY, START, syntheticExperimentLog } from './test-support/synthetic-log.js';

describe('the experiment report from the Redis event log', () => {
  const prefix = uniquePrefix('experiments');
  const partitions = 4;
  let log: RedisStreamsEventLog;

  before(() => {
    log = new RedisStreamsEventLog({ url: testRedisUrl(), prefix, partitions });
  });

  after(async () => {
    await log.close();
    // The log wrote only its partition streams (no consumer ran): delete them by name rather
    // than SCAN a shared Redis that may hold millions of other keys.
    const redis = new Redis(testRedisUrl());
    await redis.unlink(...Array.from({ length: partitions }, (_, n) => `{${prefix}:p${n}}`));
    await redis.quit();
  });

  it('reads the history twice, drops redelivered events, and finds the configured effect', async () => {
    // No startAt/endAt: the window runs from the first exposure to the last event.
    const config = validateExperimentsConfig({
      layers: [
        {
          id: 'ranking',
          experiments: [
            { key: 'log-test', variants: [{ name: 'control' }, { name: 'better-model' }] },
          ],
        },
      ],
    });
    const events = syntheticExperimentLog({
      experiment: 'log-test',
      users: 600,
      variantOf: (user) => assign(user, config)[0]?.variant,
      likeLift: { 'better-model': 1.4 },
      days: 3,
      seed: 41,
    });
    for (let i = 0; i < events.length; i += 2000) await log.append(events.slice(i, i + 2000));
    // At-least-once: a producer retry appends the same events again.
    await log.append(events.slice(0, 500));

    const report = await experimentReportFromEvents({
      events: () => log.history(),
      config,
      experiment: 'log-test',
      bins: 6,
    });
    assert.equal(report.duplicateEvents, 500);
    assert.ok(report.startMs >= START && report.startMs < START + DAY, `start ${report.startMs}`);
    assert.equal(report.control, 'control');
    assert.equal(report.srm.mismatch, false);
    const engagement = report.metrics.find((m) => m.id === 'engagements_per_user')?.comparisons[0];
    assert.equal(engagement?.variant, 'better-model');
    assert.ok(engagement?.improvement, `p = ${engagement?.pValue}`);
    assert.match(renderExperimentReportHtml(report), /Experiment log-test/);
  });
});
