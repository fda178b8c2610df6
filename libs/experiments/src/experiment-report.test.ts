import assert from 'node:assert/strict';
import { InvalidArgumentError } from '@feedmesh/errors';
import { assign } from './assignment.js';
import { validateExperimentsConfig } from './experiment-config.js';
import {
  buildExperimentReport,
  experimentReportFromEvents,
  type ExperimentReport,
  type ReportOptions,
} from './experiment-report.js';
import { growthbookHash } from './growthbook-hash.js';
import { renderExperimentReportHtml } from './report-html.js';
import { holmAdjusted } from './statistics.js';
import { SUCCESS_METRICS } from './success-metrics.js';
import {
  DAY,
  START,
  poisson,
  seededRandom,
  syntheticExperimentLog,
} from './test-support/synthetic-log.js';
import {
  aggregateExperimentEvents,
  emptyCounts,
  type ExperimentAggregates,
  type UserAggregate,
} from './user-aggregates.js';

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

  it('calls a treatment significant at α for the family of treatments, not for each alone', () => {
    // An A/A/A/A test: three treatments identical to control. Each comparison alone is
    // significant at 0.05 in 5% of runs, so some treatment is "significant" in about
    // 1 − 0.95³ = 14% of them (13.5% measured here before the fix). With Holm's step-down
    // over the treatments of a metric the chance that any is called significant is at most α.
    const random = seededRandom(5);
    const metrics = SUCCESS_METRICS.filter((m) => m.id === 'sessions_per_user');
    const arms = ['control', 'b', 'c', 'd'];
    const runs = 400;
    let anySignificant = 0;
    let anyRawBelowAlpha = 0;
    for (let run = 0; run < runs; run++) {
      const variants = new Map<string, UserAggregate[]>(arms.map((arm) => [arm, []]));
      for (let u = 0; u < 400; u++) {
        const variant = arms[u % arms.length] ?? 'control';
        const bin = emptyCounts();
        bin.sessions = Math.floor(random() * 6);
        variants.get(variant)?.push({
          userId: `u${u}`,
          variant,
          firstExposureMs: START,
          pre: emptyCounts(),
          bins: [bin],
          lapsedAtStart: false,
          sessionTimes: [],
        });
      }
      const report = buildExperimentReport(
        {
          experiment: 'aaaa',
          startMs: START,
          endMs: START + DAY,
          prePeriodMs: DAY,
          cutoffs: [START + DAY],
          variants,
          multipleVariantUsers: 0,
          duplicateEvents: 0,
        },
        { weights: { control: 0.25, b: 0.25, c: 0.25, d: 0.25 }, metrics, generatedAtMs: 0 },
      );
      const comparisons = report.metrics[0]?.comparisons ?? [];
      assert.equal(comparisons.length, 3);
      if (comparisons.some((c) => c.significant)) anySignificant += 1;
      if (comparisons.some((c) => c.pValue < 0.05)) anyRawBelowAlpha += 1;
    }
    // The raw p-values are per comparison, as before: the family errs about 14% of the time.
    assert.ok(anyRawBelowAlpha / runs > 0.1, `raw: ${anyRawBelowAlpha}/${runs}`);
    // α = 0.05 plus two standard errors of 400 runs (0.011).
    assert.ok(
      anySignificant / runs <= 0.072,
      `some treatment significant in ${anySignificant}/${runs}`,
    );
  });

  it('adjusts the always-valid p-values across treatments by Holm, and calls significant on that', () => {
    // Three treatments, 300 users an arm, two looks (the first with no sessions yet, skipped):
    // b and c have always-valid p 0.032 and 0.048, each under α alone; Holm over the family
    // (d at 2e-5) makes them 2 · 0.032 = 0.063, so neither is called significant, and d is.
    const arms = ['control', 'b', 'c', 'd'];
    const lifted: Record<string, number> = { control: 0, b: 180, c: 170, d: 300 };
    const variants = new Map<string, UserAggregate[]>(
      arms.map((arm) => [
        arm,
        Array.from({ length: 300 }, (_, u) => {
          const later = emptyCounts();
          later.sessions = (u % 7) + (u < (lifted[arm] ?? 0) ? 1 : 0);
          return {
            userId: `${arm}${u}`,
            variant: arm,
            firstExposureMs: START,
            pre: emptyCounts(),
            bins: [emptyCounts(), later],
            lapsedAtStart: false,
            sessionTimes: [],
          };
        }),
      ]),
    );
    const report = buildExperimentReport(
      {
        experiment: 'aaab',
        startMs: START,
        endMs: START + DAY,
        prePeriodMs: DAY,
        cutoffs: [START + DAY / 2, START + DAY],
        variants,
        multipleVariantUsers: 0,
        duplicateEvents: 0,
      },
      {
        weights: { control: 0.25, b: 0.25, c: 0.25, d: 0.25 },
        metrics: SUCCESS_METRICS.filter((m) => m.id === 'sessions_per_user'),
        generatedAtMs: 0,
      },
    );
    const sessions = metric(report, 'sessions_per_user');
    const raw = sessions.comparisons.map((c) => c.sequential.pValue);
    assert.ok(raw[0]! < 0.05 && raw[1]! < 0.05, `raw always-valid p ${raw.join(', ')}`);
    const adjusted = holmAdjusted(raw);
    sessions.comparisons.forEach((c, k) => {
      assert.equal(c.sequential.adjustedPValue, adjusted[k]);
      assert.equal(c.sequential.significant, (adjusted[k] ?? 1) < report.alpha);
    });
    assert.deepEqual(
      sessions.comparisons.map((c) => [c.variant, c.sequential.significant]),
      [
        ['b', false],
        ['c', false],
        ['d', true],
      ],
    );
    // Each look's series point carries the same adjustment over that look's p-values.
    for (let look = 0; look < 2; look++) {
      const points = sessions.series.differences.map((d) => d.points[look]!);
      assert.deepEqual(
        points.map((p) => p.sequentialAdjustedPValue),
        holmAdjusted(points.map((p) => p.sequentialPValue)),
      );
    }
    // The page shows the Holm-adjusted always-valid p beside the raw one, coloured on it.
    const html = renderExperimentReportHtml(report);
    assert.match(
      html,
      /<td class="">0\.0317 <span class="adjusted">\(Holm 0\.0633\)<\/span><\/td>/,
    );
    assert.match(
      html,
      /<td class="good">2\.0e-5 <span class="adjusted">\(Holm 6\.1e-5\)<\/span><\/td>/,
    );
  });

  it('gives the lift with its interval, from the CUPED-adjusted means for the CUPED difference', async () => {
    const ab = config('lift-test');
    const events = syntheticExperimentLog({
      experiment: 'lift-test',
      users: USERS,
      variantOf: (user) => assign(user, ab)[0]?.variant,
      likeLift: { treatment: 1.25 },
      seed: 22,
    });
    const report = await experimentReportFromEvents({
      events,
      config: ab,
      experiment: 'lift-test',
      generatedAtMs: 0,
    });
    const engagement = metric(report, 'engagements_per_user');
    const [comparison] = engagement.comparisons;
    assert.ok(comparison?.relativeCi && comparison.cuped?.relativeCi);
    const [low, high] = comparison.relativeCi;
    assert.ok(
      low > 0 && low < comparison.relativeDifference && comparison.relativeDifference < high,
    );
    // The CUPED lift is the CUPED difference over the control's CUPED-adjusted mean, and its
    // interval is the narrower one, as the CUPED difference's is.
    const controlCuped = engagement.variants.find((v) => v.variant === 'control')?.cupedValue;
    assert.ok(controlCuped !== undefined && controlCuped > 0);
    const { cuped } = comparison;
    assert.ok(
      Math.abs(cuped.relativeDifference - cuped.difference / controlCuped) < 1e-12,
      `${cuped.relativeDifference} vs ${cuped.difference / controlCuped}`,
    );
    const [cupedLow, cupedHigh] = cuped.relativeCi!;
    assert.ok(cupedLow < cuped.relativeDifference && cuped.relativeDifference < cupedHigh);
    assert.ok(cupedHigh - cupedLow < high - low, 'the CUPED lift interval is narrower');
    // A ratio metric's lift comes from each arm's delta-method variance.
    const likeRate = metric(report, 'like_rate').comparisons[0];
    assert.ok(likeRate?.relativeCi && likeRate.relativeCi[0] > 0, `${likeRate?.relativeCi}`);
    assert.ok(likeRate.relativeCi[0] < 0.25 && 0.25 < likeRate.relativeCi[1]);
  });

  it('covers the true difference and lift with its 95% intervals in about 95% of experiments', () => {
    // Simulated experiments with a known truth, 300 users an arm of skewed activity (the
    // heaviest user is 16 times as active as the lightest), likes drawn per impression. Under
    // the null every interval should hold 0 in 95% of runs; with likes at 1.1 times the rate
    // in treatment, the lift intervals should hold +10% as often (engagements are the likes
    // here, so both metrics' true lift is exactly 10%). 400 runs each: one standard error of
    // a 95% coverage is 1.1 points, and the bounds below are 3 of them. The always-valid
    // interval is wider by design: it must cover at least as often.
    const runs = 400;
    const random = seededRandom(2026);
    const ids = ['engagements_per_user', 'like_rate', 'retention'];
    const metrics = SUCCESS_METRICS.filter((m) => ids.includes(m.id));
    const simulate = (likeLift: number): ExperimentAggregates => {
      const cutoffs = [START + DAY, START + 2 * DAY];
      const variants = new Map<string, UserAggregate[]>();
      for (const variant of ['control', 'treatment']) {
        const lift = variant === 'treatment' ? likeLift : 1;
        const users: UserAggregate[] = [];
        for (let u = 0; u < 300; u++) {
          const activity = 0.2 + 3 * random() ** 2;
          const pre = emptyCounts();
          pre.engagements = poisson(random, 2 * activity);
          pre.sessions = poisson(random, activity);
          const sessionTimes: number[] = [];
          const bins = cutoffs.map((cutoff) => {
            const bin = emptyCounts();
            bin.sessions = poisson(random, 0.5 * activity);
            bin.impressions = 5 * bin.sessions;
            for (let i = 0; i < bin.impressions; i++) {
              if (random() < 0.1 * activity * lift) bin.likes += 1;
            }
            bin.engagements = bin.likes;
            for (let k = 0; k < bin.sessions; k++) sessionTimes.push(cutoff - random() * DAY);
            return bin;
          });
          users.push({
            userId: `${variant}-${u}`,
            variant,
            firstExposureMs: START + Math.floor(random() * (DAY / 2)),
            pre,
            bins,
            lapsedAtStart: false,
            sessionTimes: sessionTimes.sort((a, b) => a - b),
          });
        }
        variants.set(variant, users);
      }
      return {
        experiment: 'coverage',
        startMs: START,
        endMs: START + 2 * DAY,
        prePeriodMs: 7 * DAY,
        cutoffs,
        variants,
        multipleVariantUsers: 0,
        duplicateEvents: 0,
      };
    };
    const holds = (interval: readonly [number, number] | null | undefined, value: number) =>
      interval !== null && interval !== undefined && interval[0] <= value && value <= interval[1];
    const covered = new Map<string, number>();
    const count = (what: string, hit: boolean) =>
      covered.set(what, (covered.get(what) ?? 0) + (hit ? 1 : 0));
    for (let run = 0; run < runs; run++) {
      const aa = buildExperimentReport(simulate(1), {
        weights: { control: 0.5, treatment: 0.5 },
        metrics,
        generatedAtMs: 0,
      });
      for (const m of aa.metrics) {
        const c = m.comparisons[0];
        assert.ok(c, m.id);
        count(`${m.id} ci under the null`, holds(c.ci, 0));
        count(`${m.id} lift ci under the null`, holds(c.relativeCi, 0));
        count(`${m.id} always-valid ci under the null`, holds(c.sequential.ci, 0));
        if (m.hasCovariate) {
          count(`${m.id} CUPED ci under the null`, holds(c.cuped?.ci, 0));
          count(`${m.id} CUPED lift ci under the null`, holds(c.cuped?.relativeCi, 0));
        }
      }
      const lifted = buildExperimentReport(simulate(1.1), {
        weights: { control: 0.5, treatment: 0.5 },
        metrics: metrics.filter((m) => m.id !== 'retention'),
        generatedAtMs: 0,
      });
      for (const m of lifted.metrics) {
        const c = m.comparisons[0];
        assert.ok(c, m.id);
        count(`${m.id} lift ci of +10%`, holds(c.relativeCi, 0.1));
        if (m.hasCovariate) count(`${m.id} CUPED lift ci of +10%`, holds(c.cuped?.relativeCi, 0.1));
      }
    }
    assert.equal(covered.size, 16, [...covered.keys()].join(', '));
    for (const [what, hits] of covered) {
      const share = hits / runs;
      if (what.includes('always-valid')) assert.ok(share >= 0.917, `${what}: ${hits}/${runs}`);
      else assert.ok(share >= 0.917 && share <= 0.983, `${what}: ${hits}/${runs}`);
    }
  });

  it('gives no lift for a metric whose control mean is 0: null in JSON, a dash on the page', () => {
    // Nobody in control hid a post; 20 of 200 treatment users hid one. The difference is
    // +0.1 hides a user, its lift over 0 has no value and no interval.
    const user = (variant: string, u: number, hides: number) => {
      const bin = emptyCounts();
      bin.hides = hides;
      bin.sessions = 1 + (u % 3);
      return {
        userId: `${variant}${u}`,
        variant,
        firstExposureMs: START,
        pre: emptyCounts(),
        bins: [bin],
        lapsedAtStart: false,
        sessionTimes: [],
      };
    };
    const report = buildExperimentReport(
      {
        experiment: 'hides',
        startMs: START,
        endMs: START + DAY,
        prePeriodMs: DAY,
        cutoffs: [START + DAY],
        variants: new Map([
          ['control', Array.from({ length: 200 }, (_, u) => user('control', u, 0))],
          [
            'treatment',
            Array.from({ length: 200 }, (_, u) => user('treatment', u, u < 20 ? 1 : 0)),
          ],
        ]),
        multipleVariantUsers: 0,
        duplicateEvents: 0,
      },
      {
        weights: { control: 0.5, treatment: 0.5 },
        metrics: SUCCESS_METRICS.filter((m) =>
          ['hides_per_user', 'sessions_per_user'].includes(m.id),
        ),
        generatedAtMs: 0,
      },
    );
    const hides = metric(report, 'hides_per_user').comparisons[0];
    assert.ok(hides && Math.abs(hides.difference - 0.1) < 1e-12);
    assert.equal(hides.relativeCi, null);
    const json = JSON.parse(JSON.stringify(report)) as ExperimentReport;
    assert.equal(
      json.metrics.find((m) => m.id === 'hides_per_user')?.comparisons[0]?.relativeCi,
      null,
    );
    const html = renderExperimentReportHtml(report);
    const row = html.match(/<tr><td>Hides per user<\/td>.*<\/tr>/)?.[0] ?? '';
    assert.match(row, /<td class="[a-z]*">–<\/td>/, row);
    assert.doesNotMatch(row, /Infinity|NaN|∞/);
    // Sessions are the same in both arms: a lift of 0, inside a bounded interval.
    const sessions = metric(report, 'sessions_per_user').comparisons[0];
    assert.equal(sessions?.relativeDifference, 0);
    const [low, high] = sessions.relativeCi ?? [NaN, NaN];
    assert.ok(low < 0 && high > 0 && high < 0.2, `${low}, ${high}`);
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

  it('keeps the always-valid p-value under α for an A/A experiment read every day', () => {
    // The reviewer's A/A simulation: 500 users arrive over a week, each with a hidden activity
    // level; the report (12 looks each) is read on days 1-14, and a reader would stop at the
    // first read whose always-valid p is below 0.05. Before looks needed 100 users an arm,
    // 2-5 users an arm with equal like rates gave a variance of residue and p = 0 on the
    // first read: like_rate came out "significant" in 23% of runs.
    const random = seededRandom(3);
    const runs = 60;
    const ids = [
      'engagements_per_user',
      'like_rate',
      'reblog_rate',
      'new_creator_impression_share',
      'sessions_per_user',
    ];
    const metrics = SUCCESS_METRICS.filter((m) => ids.includes(m.id));
    const everSignificant = new Map<string, number>(ids.map((id) => [id, 0]));
    for (let run = 0; run < runs; run++) {
      const end = START + 14 * DAY;
      const users = Array.from({ length: 500 }, (_, u) => {
        const activity = 0.3 + 2.5 * random() ** 2;
        const first = START + Math.floor(random() * 7 * DAY);
        const count = poisson(random, (activity * (end - first)) / DAY);
        const sessions = Array.from({ length: count }, () => {
          const at = first + Math.floor(random() * (end - first));
          let likes = 0;
          let reblogs = 0;
          let fresh = 0;
          for (let i = 0; i < 5; i++) {
            if (random() < 0.1 * activity) likes += 1;
            if (random() < 0.02) reblogs += 1;
            if (random() < 0.2) fresh += 1;
          }
          return { at, likes, reblogs, fresh };
        }).sort((a, b) => a.at - b.at);
        const variant = random() < 0.5 ? 'control' : 'treatment';
        const pre = emptyCounts();
        pre.sessions = poisson(random, activity * 7);
        pre.engagements = poisson(random, activity * 3.5);
        return { userId: `u${u}`, variant, first, sessions, pre };
      });
      const significant = new Set<string>();
      for (let day = 1; day <= 14; day++) {
        const readAt = START + day * DAY;
        const cutoffs = Array.from({ length: 12 }, (_, i) =>
          i === 11 ? readAt : START + Math.round((day * DAY * (i + 1)) / 12),
        );
        const variants = new Map<string, UserAggregate[]>([
          ['control', []],
          ['treatment', []],
        ]);
        for (const user of users) {
          if (user.first >= readAt) continue;
          const bins = cutoffs.map(() => emptyCounts());
          const sessionTimes: number[] = [];
          for (const session of user.sessions) {
            if (session.at >= readAt) break;
            const bin = bins[cutoffs.findIndex((cutoff) => session.at < cutoff)];
            if (!bin) continue;
            bin.sessions += 1;
            bin.impressions += 5;
            bin.likes += session.likes;
            bin.reblogs += session.reblogs;
            bin.engagements += session.likes + session.reblogs;
            bin.newCreatorImpressions += session.fresh;
            sessionTimes.push(session.at);
          }
          variants.get(user.variant)?.push({
            userId: user.userId,
            variant: user.variant,
            firstExposureMs: user.first,
            pre: user.pre,
            bins,
            lapsedAtStart: false,
            sessionTimes,
          });
        }
        const report = buildExperimentReport(
          {
            experiment: 'aa',
            startMs: START,
            endMs: readAt,
            prePeriodMs: 7 * DAY,
            cutoffs,
            variants,
            multipleVariantUsers: 0,
            duplicateEvents: 0,
          },
          { weights: { control: 0.5, treatment: 0.5 }, metrics, generatedAtMs: 0 },
        );
        const smallerArm = Math.min(...report.variants.map((v) => v.users));
        for (const m of report.metrics) {
          const p = m.comparisons[0]?.sequential.pValue ?? NaN;
          // Under 100 users an arm no look counts, so nothing can be claimed yet.
          if (smallerArm < 100) assert.equal(p, 1, `${m.id} on day ${day}: ${smallerArm} users`);
          if (p < 0.05) significant.add(m.id);
        }
      }
      for (const id of significant) everSignificant.set(id, (everSignificant.get(id) ?? 0) + 1);
    }
    for (const [id, count] of everSignificant) {
      // α = 0.05, plus room for 60 runs' chance (one standard error is 0.028).
      assert.ok(count / runs <= 0.08, `${id}: p < 0.05 at some read in ${count}/${runs} runs`);
    }
  });

  it('gives an always-valid interval that covers a cumulative difference growing look by look', () => {
    // The reviewer's check: engagements per user at 1.2× the rate in treatment, 2000 users,
    // 14 days in 12 looks. The cumulative difference grows with every look, so intersecting
    // the looks' intervals came out empty in every run; the last look's interval covers the
    // true final difference E[activity] · 2 a day · 14 days · 0.2 = (0.3 + 2.5/3) · 5.6.
    const random = seededRandom(9);
    const end = START + 14 * DAY;
    const cutoffs = Array.from({ length: 12 }, (_, i) =>
      i === 11 ? end : START + Math.round((14 * DAY * (i + 1)) / 12),
    );
    const trueDifference = (0.3 + 2.5 / 3) * 2 * 14 * 0.2;
    const runs = 20;
    let covered = 0;
    for (let run = 0; run < runs; run++) {
      const variants = new Map<string, UserAggregate[]>([
        ['control', []],
        ['treatment', []],
      ]);
      for (let u = 0; u < 2000; u++) {
        const variant = random() < 0.5 ? 'control' : 'treatment';
        const activity = 0.3 + 2.5 * random() ** 2;
        const rate = activity * 2 * (variant === 'treatment' ? 1.2 : 1);
        let previous = START;
        const bins = cutoffs.map((cutoff) => {
          const bin = emptyCounts();
          bin.engagements = poisson(random, (rate * (cutoff - previous)) / DAY);
          previous = cutoff;
          return bin;
        });
        variants.get(variant)?.push({
          userId: `u${u}`,
          variant,
          firstExposureMs: START,
          pre: emptyCounts(),
          bins,
          lapsedAtStart: false,
          sessionTimes: [],
        });
      }
      const aggregates: ExperimentAggregates = {
        experiment: 'lift',
        startMs: START,
        endMs: end,
        prePeriodMs: 7 * DAY,
        cutoffs,
        variants,
        multipleVariantUsers: 0,
        duplicateEvents: 0,
      };
      const report = buildExperimentReport(aggregates, {
        weights: { control: 0.5, treatment: 0.5 },
        metrics: SUCCESS_METRICS.filter((m) => m.id === 'engagements_per_user'),
        generatedAtMs: 0,
      });
      const comparison = report.metrics[0]?.comparisons[0];
      assert.ok(comparison);
      const [low, high] = comparison.sequential.ci;
      assert.ok(low < comparison.difference && comparison.difference < high, `${low}, ${high}`);
      // Wider than the fixed-horizon interval, as an always-valid one must be.
      assert.ok(low < comparison.ci[0] && high > comparison.ci[1]);
      if (low <= trueDifference && trueDifference <= high) covered += 1;
      const last = report.metrics[0]?.series.differences[0]?.points.at(-1);
      assert.deepEqual(last?.sequentialCi, comparison.sequential.ci);
    }
    assert.ok(covered >= 0.9 * runs, `covered the true difference in ${covered}/${runs} runs`);
  });

  it('turns CUPED off, and says so, when the log shows exposures before the start', async () => {
    // The reviewer's leak: treatment lifts likes from day 0; a report started on day 7 takes
    // days 0-7 (already treated) as the pre-period, and CUPED subtracted most of the effect
    // (3.26 plain against 0.52 adjusted with 3000 users).
    const lift = validateExperimentsConfig({
      layers: [
        {
          id: 'ranking',
          experiments: [
            {
              key: 'lift',
              variants: [
                { name: 'control', weight: 0.5 },
                { name: 'treatment', weight: 0.5 },
              ],
            },
          ],
        },
      ],
    });
    const events = syntheticExperimentLog({
      experiment: 'lift',
      users: 1500,
      days: 14,
      seed: 5,
      variantOf: (user) => assign(user, lift)[0]?.variant,
      likeLift: { treatment: 1.5 },
    });
    const startMs = START + 7 * DAY;
    // By hand: the users with an impression carrying the experiment before day 7.
    const before = new Map<string, number>();
    for (const event of events) {
      const payload = event.payload;
      if (payload?.$case !== 'impression' || event.atMs >= startMs) continue;
      if (!payload.value.experiments.some((a) => a.experiment === 'lift')) continue;
      before.set(
        payload.value.userId,
        Math.min(before.get(payload.value.userId) ?? Infinity, event.atMs),
      );
    }
    assert.ok(before.size > 1000, `${before.size} users exposed in the first week`);

    const late = await experimentReportFromEvents({
      events,
      config: lift,
      experiment: 'lift',
      startMs,
      generatedAtMs: 0,
    });
    const firstMs = Math.min(...before.values());
    assert.match(
      late.cupedDisabled ?? '',
      new RegExp(
        `^${before.size} users were exposed to lift before the window's start \\(the first at ${new Date(firstMs).toISOString()}\\)`,
      ),
    );
    assert.ok(late.warnings.some((w) => w.startsWith(`CUPED off: ${before.size} users`)));
    for (const m of late.metrics) {
      for (const c of m.comparisons) assert.equal(c.cuped, undefined, `${m.id} is not adjusted`);
      for (const v of m.variants) assert.equal(v.cupedValue, undefined);
    }
    const engagement = metric(late, 'engagements_per_user').comparisons[0];
    assert.ok(engagement?.significant && engagement.difference > 0, `${engagement?.difference}`);
    const html = renderExperimentReportHtml(late);
    assert.match(html, /id="cuped-banner" role="alert" data-cuped="off">⚠ CUPED off: /);
    assert.match(html, /data-cuped="off">off: pre-period treated</);

    // From the first exposure on, the pre-period is untreated: CUPED runs and agrees with the
    // plain difference.
    const whole = await experimentReportFromEvents({
      events,
      config: lift,
      experiment: 'lift',
      generatedAtMs: 0,
    });
    assert.equal(whole.cupedDisabled, undefined);
    assert.ok(!whole.warnings.some((w) => w.startsWith('CUPED off')));
    const adjusted = metric(whole, 'engagements_per_user').comparisons[0];
    assert.ok(adjusted?.cuped, 'CUPED ran');
    const halfWidth = (adjusted.ci[1] - adjusted.ci[0]) / 2;
    assert.ok(
      Math.abs(adjusted.cuped.difference - adjusted.difference) < halfWidth,
      `CUPED ${adjusted.cuped.difference} against plain ${adjusted.difference} ± ${halfWidth}`,
    );
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

  it('gives no interval, and no value or difference, where the data cannot give one', () => {
    // One user is a mean but no interval: its t interval has 0 degrees of freedom
    // (scipy.stats.t.interval(0.95, 0) is (nan, nan)); a variant without users has no mean
    // (numpy.mean([]) is nan), and a ratio over no engagement at all is 0/0. Before, they came
    // out as certainties: one user's 3 sessions with the interval [3, 3], an empty variant's
    // 0 sessions, and an engagement share of 0% with [0%, 0%], 60 pp below control's.
    const user = (userId: string, variant: string, sessions: number, engagements: number) => {
      const bin = emptyCounts();
      bin.sessions = sessions;
      bin.engagements = engagements;
      bin.newCreatorEngagements = Math.round(engagements * 0.6);
      return {
        userId,
        variant,
        firstExposureMs: START,
        pre: emptyCounts(),
        bins: [bin],
        lapsedAtStart: false,
        sessionTimes: [],
      };
    };
    const report = buildExperimentReport(
      {
        experiment: 'tiny',
        startMs: START,
        endMs: START + DAY,
        prePeriodMs: DAY,
        cutoffs: [START + DAY],
        variants: new Map([
          ['control', [user('c1', 'control', 2, 5), user('c2', 'control', 4, 5)]],
          ['one', [user('o1', 'one', 3, 0)]],
          ['empty', []],
        ]),
        multipleVariantUsers: 0,
        duplicateEvents: 0,
      },
      {
        weights: { control: 0.4, one: 0.3, empty: 0.3 },
        metrics: SUCCESS_METRICS.filter((m) =>
          ['sessions_per_user', 'new_creator_engagement_share'].includes(m.id),
        ),
        generatedAtMs: 0,
      },
    );
    const value = (id: string, variant: string) =>
      metric(report, id).variants.find((v) => v.variant === variant);
    assert.equal(value('sessions_per_user', 'one')?.value, 3);
    assert.deepEqual(value('sessions_per_user', 'one')?.ci, [NaN, NaN]);
    assert.ok(Number.isNaN(value('sessions_per_user', 'empty')?.value), 'no users, no mean');
    assert.deepEqual(value('sessions_per_user', 'empty')?.ci, [NaN, NaN]);
    assert.ok(Number.isNaN(value('new_creator_engagement_share', 'one')?.value), '0/0');
    assert.deepEqual(value('new_creator_engagement_share', 'one')?.ci, [NaN, NaN]);
    const share = metric(report, 'new_creator_engagement_share').comparisons;
    assert.ok(
      share.every((c) => Number.isNaN(c.difference)),
      JSON.stringify(share.map((c) => c.difference)),
    );
    // The control's two users still give a mean and an interval.
    assert.equal(value('sessions_per_user', 'control')?.value, 3);
    assert.ok(value('sessions_per_user', 'control')?.ci.every(Number.isFinite));
    // And the page says nothing rather than "NaN".
    assert.doesNotMatch(renderExperimentReportHtml(report), /NaN/);
  });

  it('refuses report options no statistic can use, naming the option', async () => {
    // Before: alpha 95 (a percent) called every difference significant (p < 95) with NaN
    // intervals, and a negative weight gave expected shares of 400% and −100%.
    const aggregates: ExperimentAggregates = {
      experiment: 'x',
      startMs: START,
      endMs: START + DAY,
      prePeriodMs: DAY,
      cutoffs: [START + DAY],
      variants: new Map([
        ['control', []],
        ['treatment', []],
      ]),
      multipleVariantUsers: 0,
      duplicateEvents: 0,
    };
    const weights = { control: 0.5, treatment: 0.5 };
    const refused = (options: Partial<ReportOptions>, field: string) =>
      assert.throws(
        () => buildExperimentReport(aggregates, { weights, ...options }),
        (error: unknown) => error instanceof InvalidArgumentError && error.field === field,
        `${JSON.stringify(options)} should be refused naming ${field}`,
      );
    refused({ alpha: 95 }, 'alpha');
    refused({ alpha: 0.95 }, 'alpha'); // a confidence level, not a significance level
    refused({ alpha: 0 }, 'alpha');
    refused({ weights: { control: -1, treatment: 0.5 } }, 'weights.control');
    refused({ weights: { control: 0.5, treatment: Number.NaN } }, 'weights.treatment');
    refused({ weights: { control: 0, treatment: 0 } }, 'weights');
    refused({ srmThreshold: 1.5 }, 'srmThreshold');
    refused({ sequentialEffectSize: 0 }, 'sequentialEffectSize');
    refused({ sequentialMinUsersPerArm: 2.5 }, 'sequentialMinUsersPerArm');
    refused({ retentionAfterMs: -DAY }, 'retentionAfterMs');
    // From the log too, before reading it.
    await assert.rejects(
      experimentReportFromEvents({ events: [], config: config('x'), experiment: 'x', alpha: 5 }),
      (error: unknown) => error instanceof InvalidArgumentError && error.field === 'alpha',
    );
  });

  it('refuses an empty metric list, and two metrics of one id, naming them', async () => {
    // Before: metrics [] gave a report of no metric at all (a page with an empty summary that
    // read like "nothing moved"), and a metric listed twice gave two results of one id (and
    // two sections of one HTML id), the second shadowed wherever a reader looks one up by id.
    const aggregates: ExperimentAggregates = {
      experiment: 'x',
      startMs: START,
      endMs: START + DAY,
      prePeriodMs: DAY,
      cutoffs: [START + DAY],
      variants: new Map([
        ['control', []],
        ['treatment', []],
      ]),
      multipleVariantUsers: 0,
      duplicateEvents: 0,
    };
    const weights = { control: 0.5, treatment: 0.5 };
    const byId = (id: string) => {
      const found = SUCCESS_METRICS.find((m) => m.id === id);
      assert.ok(found, id);
      return found;
    };
    const sessions = byId('sessions_per_user');
    assert.throws(
      () => buildExperimentReport(aggregates, { weights, metrics: [] }),
      (error: unknown) =>
        error instanceof InvalidArgumentError &&
        error.field === 'metrics' &&
        /at least one metric/.test(error.message),
    );
    assert.throws(
      () =>
        buildExperimentReport(aggregates, {
          weights,
          metrics: [sessions, byId('like_rate'), { ...sessions, name: 'Sessions again' }],
        }),
      (error: unknown) =>
        error instanceof InvalidArgumentError &&
        error.field === 'metrics[2].id' &&
        /metrics\[0\]\.id "sessions_per_user"/.test(error.message),
    );
    // From the log too, before reading it.
    await assert.rejects(
      experimentReportFromEvents({ events: [], config: config('x'), experiment: 'x', metrics: [] }),
      (error: unknown) => error instanceof InvalidArgumentError && error.field === 'metrics',
    );
  });

  it('says the log holds no event, rather than that the experiment had no exposure', async () => {
    await assert.rejects(
      experimentReportFromEvents({ events: [], config: openEnded('open'), experiment: 'open' }),
      { message: 'events: the log holds no event' },
    );
  });
});
