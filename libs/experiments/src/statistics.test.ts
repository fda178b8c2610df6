import assert from 'node:assert/strict';
import { InvalidArgumentError } from '@feedmesh/errors';
import {
  compareRatios,
  cuped,
  holmAdjusted,
  meanInterval,
  mixtureSequentialTest,
  SEQUENTIAL_MIN_USERS_PER_ARM,
  sampleRatioMismatch,
  summarize,
  summarizeRatio,
  welchTTest,
} from './statistics.js';
import { seededRandom } from './test-support/synthetic-log.js';

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} is not within ${tolerance} of ${expected}`,
  );
}

function normal(random: () => number): number {
  // Box-Muller; 1 - u keeps log away from 0.
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

describe('experiment statistics', () => {
  it("reproduces R's Welch t-test on Student's sleep data", () => {
    // R: t.test(extra ~ group, data = sleep) → t = -1.8608, df = 17.776, p-value = 0.07939,
    // 95 percent CI -3.3654832 0.2054832 (group 1 minus group 2; here treatment minus control).
    const group1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
    const group2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];
    const result = welchTTest(summarize(group1), summarize(group2));
    close(result.difference, 1.58, 1e-12, 'difference');
    close(result.statistic, 1.8608, 1e-4, 't');
    close(result.df, 17.776, 1e-3, 'df');
    close(result.pValue, 0.07939, 1e-5, 'p');
    close(result.ci[0], -0.2054832, 1e-6, 'ci low');
    close(result.ci[1], 3.3654832, 1e-6, 'ci high');
  });

  it('computes a mean and its t interval by hand', () => {
    const summary = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    assert.equal(summary.mean, 5);
    close(summary.variance, 32 / 7, 1e-12, 'variance');
    // t(0.975, 7) = 2.364624; se = sqrt(32/7/8).
    const [low, high] = meanInterval(summary);
    close(high - 5, 2.364624 * Math.sqrt(32 / 7 / 8), 1e-5, 'half width');
    close(5 - low, high - 5, 1e-12, 'symmetric');
  });

  it('gives the delta-method variance of a ratio of sums as computed by hand', () => {
    // x̄ = 1.4, ȳ = 11, s²x = 1.3, s²y = 32, sxy = 6.25, R = 1.4/11;
    // Var = (1.3 − 2R·6.25 + R²·32) / (5 · 11²).
    const summary = summarizeRatio([1, 2, 0, 3, 1], [10, 12, 5, 20, 8]);
    const r = 1.4 / 11;
    close(summary.ratio, r, 1e-15, 'ratio');
    close(summary.variance, (1.3 - 2 * r * 6.25 + r * r * 32) / (5 * 121), 1e-15, 'variance');
  });

  it('gives a delta-method variance of exactly 0 when every user has the same ratio', () => {
    // 1/5, 2/10, 1/5: every residual x − R·y is 0; the three-moment form left 4.2e-19.
    assert.equal(summarizeRatio([1, 2, 1], [5, 10, 5]).variance, 0);
    assert.equal(summarizeRatio([3, 6, 9, 12], [7, 14, 21, 28]).variance, 0);
    // Not every ratio equal: R = 3/8, residuals x − R·y = 0.25, 0.5, −0.75, Σr² = 0.875;
    // Var = 0.875 / (n − 1) / (n Ȳ²) = 0.4375 / (3 · 64/9) = 0.0205078125.
    close(summarizeRatio([1, 2, 0], [2, 4, 2]).variance, 0.0205078125, 1e-15, 'variance');
  });

  it('reduces the delta method to the plain standard error when every denominator is 1', () => {
    const random = seededRandom(3);
    const xs = Array.from({ length: 200 }, () => random() * 10);
    const ys = Array.from({ length: 250 }, () => random() * 10 + 1);
    const ones = (n: number) => new Array<number>(n).fill(1);
    const ratio = compareRatios(summarizeRatio(xs, ones(200)), summarizeRatio(ys, ones(250)));
    const welch = welchTTest(summarize(xs), summarize(ys));
    close(ratio.standardError, welch.standardError, 1e-12, 'standard error');
    close(ratio.difference, welch.difference, 1e-12, 'difference');
  });

  it('CUPED removes the variance the pre-period explains and keeps the difference unbiased', () => {
    const random = seededRandom(5);
    const group = (effect: number) => {
      const x = Array.from({ length: 2000 }, () => 10 + 3 * normal(random));
      const y = x.map((value) => value + effect + 0.5 * normal(random));
      return { x, y };
    };
    const control = group(0);
    const treatment = group(0.2);
    const result = cuped([control, treatment]);
    close(result.theta, 1, 0.02, 'theta');
    assert.ok(result.varianceReduction > 0.9, `variance reduction ${result.varianceReduction}`);
    const raw = welchTTest(summarize(control.y), summarize(treatment.y));
    const adjusted = welchTTest(
      summarize(result.adjusted[0] ?? []),
      summarize(result.adjusted[1] ?? []),
    );
    close(adjusted.difference, 0.2, 0.05, 'adjusted difference');
    assert.ok(
      adjusted.standardError < raw.standardError / 3,
      `${adjusted.standardError} vs ${raw.standardError}`,
    );
    assert.ok(
      adjusted.pValue < 0.001 && raw.pValue > 0.01,
      `raw p ${raw.pValue}, CUPED p ${adjusted.pValue}`,
    );
  });

  it('CUPED adjusts each value by θ(x − x̄) as computed by hand', () => {
    // Pooled x = [1,2,3,4], y = [2,4,5,9]: x̄ = 2.5, ȳ = 5, Sxy = 4.5 + 0.5 + 0 + 6 = 11, Sxx = 5, θ = 2.2.
    const result = cuped([
      { x: [1, 2], y: [2, 4] },
      { x: [3, 4], y: [5, 9] },
    ]);
    close(result.theta, 2.2, 1e-12, 'theta');
    const expected = [
      [2 - 2.2 * -1.5, 4 - 2.2 * -0.5],
      [5 - 2.2 * 0.5, 9 - 2.2 * 1.5],
    ];
    result.adjusted.forEach((group, g) =>
      group.forEach((value, i) => close(value, expected[g]?.[i] ?? NaN, 1e-12, `y[${g}][${i}]`)),
    );
  });

  it("gives Fieller's interval for the lift of two means, as scipy computes it", () => {
    // Python (numpy 2.4, scipy 1.17): vc, vt = var(ddof=1)/n; q = stats.t.ppf(0.975, Welch df
    // 19.867) = 2.0868591; the lift's interval is {ρ − 1 : (t̄ − ρc̄)² ≤ q²(vt + ρ²vc)}, the
    // roots of numpy.roots([c̄² − q²vc, −2t̄c̄, t̄² − q²vt]) minus 1: [0.06763784, 0.38515552].
    // (The delta method's symmetric t̄/c̄ − 1 ± q·se gives [0.05677, 0.37180] here.)
    const control = [10, 12, 9, 11, 13, 8, 10, 12, 11, 9];
    const treatment = [12, 14, 11, 13, 12, 15, 10, 13, 14, 12, 16, 11];
    const result = welchTTest(summarize(control), summarize(treatment));
    close(result.relativeDifference, 0.2142857142857142, 1e-12, 'lift');
    close(result.relativeCi?.[0] ?? NaN, 0.06763784, 1e-7, 'lift low');
    close(result.relativeCi?.[1] ?? NaN, 0.38515552, 1e-7, 'lift high');
    // scipy.stats.ttest_ind(t, c, equal_var=False).confidence_interval(): (0.76046, 3.73954).
    close(result.ci[0], 0.7604595358125945, 1e-9, 'difference low');
  });

  it("gives the lift of two ratio metrics from each arm's delta-method variance", () => {
    // Python: per arm R = x̄/ȳ, Var = (s²x − 2R·sxy + R²s²y) / (n ȳ²) (numpy var and cov,
    // ddof=1): control 0.12380952 ± Var 2.0949661e-4, treatment 0.21698113 ± Var 1.4206640e-4;
    // Fieller with z = scipy.stats.norm.ppf(0.975): [0.38361086, 1.31568457].
    const result = compareRatios(
      summarizeRatio([1, 2, 0, 3, 1, 2, 1, 0, 2, 1], [10, 12, 5, 20, 8, 11, 9, 6, 14, 10]),
      summarizeRatio([2, 3, 1, 4, 2, 3, 2, 1, 3, 2], [11, 12, 6, 19, 9, 10, 9, 7, 13, 10]),
    );
    close(result.relativeCi?.[0] ?? NaN, 0.38361086, 1e-7, 'lift low');
    close(result.relativeCi?.[1] ?? NaN, 1.31568457, 1e-7, 'lift high');
  });

  it('gives no lift interval when the control mean is 0 or its interval includes 0', () => {
    // Sleep data: control mean 0.75 with standard error 0.566, 1.33 of them from 0, under the
    // critical t 2.103: the ratio is unbounded. The point lift is +211%, and the delta method
    // would have printed [−313%, +734%].
    const sleep = welchTTest(
      summarize([0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]),
      summarize([1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]),
    );
    assert.equal(sleep.relativeCi, null);
    assert.equal(welchTTest(summarize([0, 0, 0]), summarize([1, 2, 3])).relativeCi, null);
    assert.equal(welchTTest(summarize([0, 1, -1]), summarize([1, 2, 3])).relativeCi, null);
    assert.equal(welchTTest(summarize([1]), summarize([1, 2, 3])).relativeCi, null, 'too few');
    const noRatio = compareRatios(summarizeRatio([0, 0], [0, 0]), summarizeRatio([1, 2], [3, 4]));
    assert.equal(noRatio.relativeCi, null);
    const zeroRate = compareRatios(summarizeRatio([0, 0], [3, 4]), summarizeRatio([1, 2], [3, 4]));
    assert.equal(zeroRate.relativeCi, null);
    assert.deepEqual(JSON.parse(JSON.stringify(sleep)).relativeCi, null);
  });

  it('keeps the lift above (below) 0 exactly when the difference is', () => {
    // Fieller at ρ = 1 is the difference's own test: (t̄ − c̄)² ≤ q²(vt + vc). So the lift's
    // interval excludes 0 exactly when the difference's does, where the delta method's may not.
    const random = seededRandom(11);
    let disagreements = 0;
    let bounded = 0;
    for (let run = 0; run < 300; run++) {
      const n = 5 + Math.floor(random() * 40);
      const shift = random() * 2;
      const control = Array.from({ length: n }, () => 3 + normal(random));
      const treatment = Array.from({ length: n + 3 }, () => 3 + shift + 1.5 * normal(random));
      const result = welchTTest(summarize(control), summarize(treatment));
      if (!result.relativeCi) continue;
      bounded += 1;
      const [low, high] = result.relativeCi;
      assert.ok(low <= result.relativeDifference && result.relativeDifference <= high);
      if (low > 0 !== result.ci[0] > 0 || high < 0 !== result.ci[1] < 0) disagreements += 1;
    }
    assert.ok(bounded > 250, `${bounded} bounded`);
    assert.equal(disagreements, 0);
  });

  it("adjusts a family of p-values by Holm's step-down, as R's p.adjust(p, 'holm')", () => {
    // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") is pmin(1, cummax((n - i + 1) * p[o]))[ro]:
    // sorted 0.005, 0.01, 0.03, 0.04 → 4·0.005, 3·0.01, 2·0.03, max(0.06, 1·0.04)
    // = 0.02, 0.03, 0.06, 0.06, back in the given order 0.03, 0.06, 0.06, 0.02.
    holmAdjusted([0.01, 0.04, 0.03, 0.005]).forEach((p, i) =>
      close(p, [0.03, 0.06, 0.06, 0.02][i] ?? NaN, 1e-15, `p[${i}]`),
    );
    assert.deepEqual(holmAdjusted([0.6, 0.9]), [1, 1], 'capped at 1');
    assert.deepEqual(holmAdjusted([0.02]), [0.02], 'one test is its own family');
    // A comparison that could not be computed is no member of the family.
    const withNaN = holmAdjusted([0.02, NaN, 0.04]);
    assert.ok(Number.isNaN(withNaN[1]));
    close(withNaN[0] ?? NaN, 0.04, 1e-15, 'p[0]');
    close(withNaN[2] ?? NaN, 0.04, 1e-15, 'p[2]');
  });

  it('flags a 55/45 split of a 50/50 experiment as a sample ratio mismatch', () => {
    const check = sampleRatioMismatch([5500, 4500], [0.5, 0.5]);
    assert.equal(check.chiSquare, 100);
    assert.ok(check.pValue < 1e-20, `p = ${check.pValue}`);
    assert.equal(check.mismatch, true);
  });

  it('reads the chi-square tail as the textbook tables: 3.841 at 1 df and 5.991 at 2 df are p = 0.05', () => {
    // 50/50 with 5098 vs 4902 users gives chi-square 3.8416.
    const one = sampleRatioMismatch([5098, 4902], [1, 1]);
    close(one.chiSquare, 3.8416, 1e-9, 'chi-square');
    close(one.pValue, 0.05, 1e-3, 'p at 1 df');
    assert.equal(one.mismatch, false);
    // Three equal cells; chi-square = 5.9915 needs counts (n + d, n − d, n) with 2d²/n = 5.9915.
    const n = 10_000;
    const d = Math.sqrt((5.991465 * n) / 2);
    const two = sampleRatioMismatch([n + d, n - d, n], [1, 1, 1]);
    close(two.pValue, 0.05, 1e-4, 'p at 2 df');
  });

  it('leaves a weight-0 cell out of the degrees of freedom, as scipy.stats.chisquare does', () => {
    // scipy.stats.chisquare([5175, 4825], [5000, 5000]) → statistic 12.25, p 0.0004652581580710503.
    const holdout = sampleRatioMismatch([5175, 4825, 0], [0.5, 0.5, 0]);
    assert.equal(holdout.chiSquare, 12.25);
    assert.equal(holdout.df, 1);
    close(holdout.pValue, 0.0004652581580710503, 1e-15, 'p');
    assert.equal(holdout.mismatch, true);
    // scipy.stats.chisquare([520, 290, 190], [500, 300, 200]) → 1.6333, p 0.4419022095845254.
    const three = sampleRatioMismatch([520, 290, 190, 0], [0.5, 0.3, 0.2, 0]);
    close(three.chiSquare, 1.6333333333333333, 1e-12, 'chi-square');
    assert.equal(three.df, 2);
    close(three.pValue, 0.4419022095845254, 1e-12, 'p');
    assert.equal(three.mismatch, false);
  });

  it('calls any user in a cell expected to stay empty a mismatch', () => {
    const check = sampleRatioMismatch([500, 500, 40], [0.5, 0.5, 0]);
    assert.deepEqual(check.expected, [500, 500, 0]);
    assert.equal(check.unexpected, 40);
    assert.equal(check.chiSquare, 0);
    assert.equal(check.df, 1);
    assert.equal(check.pValue, 0);
    assert.equal(check.mismatch, true);
    // One user is enough; a variant the weights do not name (a typo) counts as weight 0.
    assert.equal(sampleRatioMismatch([5000, 5000, 1], [0.5, 0.5, 0]).mismatch, true);
    assert.equal(sampleRatioMismatch([5000, 5000, 1], [0.5, 0.5]).mismatch, true);
  });

  it('refuses counts and weights a chi-square cannot use, naming the cell', () => {
    // Before: a negative count (a subtraction gone wrong upstream) was tested as data: 100
    // users against -5 came out as 47.5 expected in each, p = 5e-27, a mismatch blamed on
    // assignment; a NaN weight made its variant's users "unexpected", p = 0.
    const refused = (observed: number[], weights: number[], field: string) =>
      assert.throws(
        () => sampleRatioMismatch(observed, weights),
        (error: unknown) => error instanceof InvalidArgumentError && error.field === field,
        `${JSON.stringify([observed, weights])} should be refused naming ${field}`,
      );
    refused([100, -5], [0.5, 0.5], 'observed[1]');
    refused([100, Number.NaN], [0.5, 0.5], 'observed[1]');
    refused([100, Infinity], [0.5, 0.5], 'observed[1]');
    refused([100, 100], [-0.5, 1.5], 'weights[0]');
    refused([100, 100], [0.5, Number.NaN], 'weights[1]');
    refused([100, 100], [0, 0], 'weights');
    refused([100, 100], [], 'weights');
  });

  it('refuses per-user columns of different lengths rather than pairing the wrong users', () => {
    // Before: summarizeRatio silently dropped the numerators past the last denominator, and
    // CUPED, which pools every group's values, paired one group's metric with the next
    // group's covariate once a group's x was a value short.
    assert.throws(
      () => summarizeRatio([1, 2, 3], [5, 10]),
      (error: unknown) =>
        error instanceof InvalidArgumentError &&
        error.field === 'denominators' &&
        /2 values for 3 numerators/.test(error.message),
    );
    assert.throws(
      () =>
        cuped([
          { y: [1, 2], x: [1, 2] },
          { y: [3, 4, 5], x: [3, 4] },
        ]),
      (error: unknown) =>
        error instanceof InvalidArgumentError &&
        error.field === 'groups[1].x' &&
        /2 values for 3 in y/.test(error.message),
    );
  });

  it('skips looks with fewer than the minimum users an arm, and variances that are rounding residue', () => {
    assert.equal(SEQUENTIAL_MIN_USERS_PER_ARM, 100);
    const tau2 = 1e-4;
    const looks = [
      // 3 users an arm: would give p = sqrt(2)·exp(−0.05²/(4·1e-4)) = 0.0027301.
      { difference: 0.05, variance: 1e-4, usersPerArm: 3 },
      // Every user with the same like rate: the variance is residue of a metric of size 0.2.
      { difference: 0.2, variance: 4.2e-19, usersPerArm: 500, scale: 0.2 },
      // Λ = sqrt(V/(V+τ²))·exp(d²τ²/(2V(V+τ²))) = sqrt(1/2)·exp(2.25): p = 0.1490570.
      { difference: 0.03, variance: 1e-4, usersPerArm: 150, scale: 0.2 },
    ];
    const result = mixtureSequentialTest(looks, tau2);
    assert.deepEqual(result.used, [false, false, true]);
    assert.equal(result.pValues[0], 1);
    assert.equal(result.pValues[1], 1);
    close(result.pValues[2] ?? NaN, 0.149057012838996, 1e-12, 'p after look 3');
    assert.deepEqual(result.intervals[0], [-Infinity, Infinity]);
    // Half width sqrt(V(V+τ²)/τ² · (2 ln(1/α) + ln((V+τ²)/V))) = sqrt(2e-4 · 6.684612) = 0.0365639.
    close(result.intervals[2]?.[0] ?? NaN, 0.03 - 0.03656394871363849, 1e-12, 'low');
    close(result.intervals[2]?.[1] ?? NaN, 0.03 + 0.03656394871363849, 1e-12, 'high');
    // A minimum of 2 users an arm lets the first look in; the residue stays out.
    const lax = mixtureSequentialTest(looks, tau2, 0.05, 2);
    assert.deepEqual(lax.used, [true, false, true]);
    close(lax.pValues[2] ?? NaN, 0.0027300744209924625, 1e-12, 'running minimum');
  });

  it("reports each look's own always-valid interval, so a growing difference keeps one", () => {
    // A cumulative metric: the difference grows 1, 2, 3 with V = τ² = 0.01 at each look. The
    // half width is sqrt(0.02 · (2 ln 20 + ln 2)) = 0.3656395; intersecting the three
    // intervals would leave [2.634, 1.366], empty.
    const { intervals } = mixtureSequentialTest(
      [1, 2, 3].map((difference) => ({ difference, variance: 0.01 })),
      0.01,
    );
    [1, 2, 3].forEach((difference, k) => {
      close(intervals[k]?.[0] ?? NaN, difference - 0.36563948713638483, 1e-12, `low ${k}`);
      close(intervals[k]?.[1] ?? NaN, difference + 0.36563948713638483, 1e-12, `high ${k}`);
    });
  });

  it('keeps the always-valid p-value honest under daily peeking, where a t-test is not', () => {
    const random = seededRandom(9);
    const runs = 300;
    const looks = 20;
    const perLook = 50;
    let peekingFalsePositives = 0;
    let sequentialFalsePositives = 0;
    for (let run = 0; run < runs; run++) {
      const a: number[] = [];
      const b: number[] = [];
      const sequence: { difference: number; variance: number }[] = [];
      let peekedSignificant = false;
      for (let look = 0; look < looks; look++) {
        for (let i = 0; i < perLook; i++) {
          a.push(normal(random));
          b.push(normal(random));
        }
        const t = welchTTest(summarize(a), summarize(b));
        if (t.pValue < 0.05) peekedSignificant = true;
        sequence.push({ difference: t.difference, variance: t.standardError ** 2 });
      }
      if (peekedSignificant) peekingFalsePositives += 1;
      const { pValues } = mixtureSequentialTest(sequence, 0.1 ** 2);
      if ((pValues[pValues.length - 1] ?? 1) < 0.05) sequentialFalsePositives += 1;
    }
    assert.ok(
      sequentialFalsePositives / runs <= 0.05,
      `mSPRT false positives ${sequentialFalsePositives}/${runs}`,
    );
    assert.ok(
      peekingFalsePositives / runs > 0.1,
      `peeking false positives ${peekingFalsePositives}/${runs}`,
    );
  });

  it('finds a real effect with the always-valid p-value, and never lets it rise', () => {
    const random = seededRandom(13);
    const a: number[] = [];
    const b: number[] = [];
    const sequence: { difference: number; variance: number }[] = [];
    for (let look = 0; look < 10; look++) {
      for (let i = 0; i < 200; i++) {
        a.push(normal(random));
        b.push(normal(random) + 0.3);
      }
      const t = welchTTest(summarize(a), summarize(b));
      sequence.push({ difference: t.difference, variance: t.standardError ** 2 });
    }
    const { pValues, intervals } = mixtureSequentialTest(sequence, 0.1 ** 2);
    assert.ok((pValues[pValues.length - 1] ?? 1) < 0.001, `p ${pValues.join()}`);
    pValues.slice(1).forEach((p, i) => assert.ok(p <= (pValues[i] ?? 1), 'monotone'));
    const last = intervals[intervals.length - 1];
    assert.ok(last && last[0] > 0 && last[0] < 0.3 && last[1] > 0.3, `interval ${last?.join()}`);
  });
});
