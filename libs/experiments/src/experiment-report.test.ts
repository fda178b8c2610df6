import assert from 'node:assert/strict';
import { assign } from './assignment.js';
import { validateExperimentsConfig } from './experiment-config.js';
import {
  buildExperimentReport,
  experimentReportFromEvents,
  type ExperimentReport,
} from './experiment-report.js';
import { growthbookHash } from './growthbook-hash.js';
import { DAY, START, syntheticExperimentLog } from './test-support/synthetic-log.js';
import { aggregateExperimentEvents } from './user-aggregates.js';

const USERS = 1500;

/** An experiment without startAt or endAt: the log decides its window. */
function openEnded(key: string) {
  return validateExperimentsConfig({
    layers: [
      { id: 'ranking', experiments: [{ key, variants: [{ name: 'control' }, { name: 'b' }] }] },
    ],
  });
}

function config(key: string) {
  return validateExperimentsConfig({
    layers: [
      {
        id: 'ranking',
        experiments: [
          {
            key,
            startAt: new Date(START).toISOString(),
            endAt: new Date(START + 7 * DAY).toISOString(),
            variants: [
              { name: 'control', weight: 0.5 },
              { name: 'treatment', weight: 0.5, overrides: { model: 'feed-v2' } },
            ],
          },
        ],
      },
    ],
  });
}

function metric(report: ExperimentReport, id: string) {
  const found = report.metrics.find((m) => m.id === id);
  assert.ok(found, `metric ${id}`);
  return found;
}

describe('the experiment report', () => {
  it('shows no difference and no SRM in an A/A test', async () => {
    const aa = config('aa-test');
    const events = syntheticExperimentLog({
      experiment: 'aa-test',
      users: USERS,
      variantOf: (user) => assign(user, aa)[0]?.variant,
      seed: 21,
    });
    const report = await experimentReportFromEvents({
      events,
      config: aa,
      experiment: 'aa-test',
      generatedAtMs: 0,
    });
    assert.equal(report.srm.mismatch, false, JSON.stringify(report.variants));
    assert.equal(report.warnings.length, 0, report.warnings.join('\n'));
    const engagement = metric(report, 'engagements_per_user').comparisons[0];
    assert.ok(engagement && !engagement.significant, `p = ${engagement?.pValue}`);
    assert.ok(engagement.ci[0] < 0 && engagement.ci[1] > 0);
    assert.ok(engagement.sequential.pValue > 0.05);
  });

  it('finds a better variant with a significant difference in the right direction, tighter with CUPED', async () => {
    const ab = config('ab-test');
    const events = syntheticExperimentLog({
      experiment: 'ab-test',
      users: USERS,
      variantOf: (user) => assign(user, ab)[0]?.variant,
      likeLift: { treatment: 1.25 },
      seed: 22,
    });
    const report = await experimentReportFromEvents({
      events,
      config: ab,
      experiment: 'ab-test',
      generatedAtMs: 0,
    });
    assert.equal(report.srm.mismatch, false);
    const engagement = metric(report, 'engagements_per_user').comparisons[0];
    assert.ok(engagement?.significant && engagement.improvement, `p = ${engagement?.pValue}`);
    assert.ok(engagement.difference > 0);
    assert.ok(engagement.cuped, 'CUPED applies to a mean metric with a pre-period covariate');
    assert.ok(
      engagement.cuped.varianceReduction > 0.2,
      `variance reduction ${engagement.cuped.varianceReduction}`,
    );
    assert.ok(
      engagement.cuped.ci[1] - engagement.cuped.ci[0] < engagement.ci[1] - engagement.ci[0],
      'the CUPED interval is narrower',
    );
    const likeRate = metric(report, 'like_rate').comparisons[0];
    assert.ok(
      likeRate?.significant && likeRate.difference > 0,
      `like rate p = ${likeRate?.pValue}`,
    );
    assert.equal(likeRate.cuped, undefined, 'ratio metrics are not CUPED-adjusted');
    // Sessions are not driven by the lift in this log: no claim of a difference there.
    assert.equal(metric(report, 'sessions_per_user').comparisons[0]?.significant, false);
  });

  it('warns loudly about a 55/45 split of a 50/50 experiment', async () => {
    const broken = config('srm-test');
    const events = syntheticExperimentLog({
      experiment: 'srm-test',
      users: 4000,
      // Assignment that ignores the configured 50/50 weights.
      variantOf: (user) => (growthbookHash('srm-test', user, 2) < 0.55 ? 'control' : 'treatment'),
      days: 2,
      seed: 23,
    });
    const aggregates = await aggregateExperimentEvents(events, {
      experiment: 'srm-test',
      startMs: START,
      endMs: START + 2 * DAY,
      bins: 4,
    });
    const report = buildExperimentReport(aggregates, {
      weights: { control: 0.5, treatment: 0.5 },
      generatedAtMs: 0,
    });
    assert.equal(report.srm.mismatch, true, `p = ${report.srm.pValue}`);
    assert.ok(report.srm.pValue < 0.001);
    assert.match(report.warnings[0] ?? '', /^Sample ratio mismatch/);
    const control = report.variants.find((v) => v.variant === 'control');
    assert.ok(
      control && control.observedShare > 0.53 && control.observedShare < 0.57,
      `${control?.observedShare}`,
    );
    void broken;
  });

  it('carries each metric over time per variant, one point per look', async () => {
    const ab = config('series-test');
    const events = syntheticExperimentLog({
      experiment: 'series-test',
      users: 300,
      variantOf: (user) => assign(user, ab)[0]?.variant,
      days: 3,
      seed: 24,
    });
    const aggregates = await aggregateExperimentEvents(events, {
      experiment: 'series-test',
      startMs: START,
      endMs: START + 3 * DAY,
      bins: 6,
    });
    const report = buildExperimentReport(aggregates, {
      weights: { control: 0.5, treatment: 0.5 },
      generatedAtMs: 0,
    });
    const sessions = metric(report, 'sessions_per_user');
    assert.deepEqual(
      sessions.series.variants.map((s) => s.points.length),
      [6, 6],
    );
    const control = sessions.series.variants[0]?.points ?? [];
    // Cumulative sessions per user only grow, and the last look is the headline value.
    control.slice(1).forEach((point, i) => assert.ok(point.n >= (control[i]?.n ?? 0)));
    assert.equal(control[control.length - 1]?.value, sessions.variants[0]?.value);
    assert.equal(sessions.series.differences[0]?.points.length, 6);
    assert.ok(JSON.parse(JSON.stringify(report)), 'the report is plain JSON');
  });

  it('refuses an experiment the config does not name', async () => {
    await assert.rejects(
      experimentReportFromEvents({ events: [], config: config('x'), experiment: 'missing' }),
      /no experiment "missing"/,
    );
  });

  it('names the option and the config field that make the window empty', async () => {
    // config('x') runs from START for seven days.
    await assert.rejects(
      experimentReportFromEvents({
        events: [],
        config: config('x'),
        experiment: 'x',
        endMs: START - DAY,
        windowNames: { start: '--start', end: '--end' },
      }),
      {
        message:
          `--end: ${new Date(START - DAY).toISOString()} is not after startAt of experiment "x" ` +
          `(${new Date(START).toISOString()}): the window is empty`,
      },
    );
  });

  it('names startMs when it comes after the last event, rather than finding no exposure', async () => {
    const events = syntheticExperimentLog({
      experiment: 'open',
      users: 20,
      variantOf: () => 'control',
      days: 1,
      seed: 3,
    });
    const lastMs = Math.max(...events.map((event) => event.atMs));
    await assert.rejects(
      experimentReportFromEvents({
        events,
        config: openEnded('open'),
        experiment: 'open',
        startMs: lastMs + DAY,
      }),
      /^InvalidArgumentError: startMs: .* is not before the end of the log \(.*\): the window is empty$/,
    );
  });

  it('says the log holds no event, rather than that the experiment had no exposure', async () => {
    await assert.rejects(
      experimentReportFromEvents({ events: [], config: openEnded('open'), experiment: 'open' }),
      { message: 'events: the log holds no event' },
    );
  });
});
