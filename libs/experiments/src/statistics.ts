import chiSquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { InvalidArgumentError } from '@feedmesh/errors';

/**
 * The statistics of an online experiment, as in Kohavi, Tang and Xu, "Trustworthy Online
 * Controlled Experiments": Welch's t-test for per-user means, the delta method for ratio
 * metrics, CUPED with a pre-period covariate, the sample-ratio-mismatch check, and an
 * always-valid (mSPRT) p-value for looking at results every day.
 */

export interface Summary {
  readonly n: number;
  /** NaN without values: there is no mean of nothing (null in JSON). */
  readonly mean: number;
  /** Sample variance (n - 1 in the denominator); 0 below two values. */
  readonly variance: number;
}

/** Treatment minus control, with its uncertainty. */
export interface Comparison {
  readonly difference: number;
  /**
   * The lift, difference / |control mean| (treatment / control − 1 for a positive control);
   * NaN when the control mean is 0. Unbounded as the control mean nears 0: read it only
   * with `relativeCi`.
   */
  readonly relativeDifference: number;
  readonly standardError: number;
  /** t or z statistic. */
  readonly statistic: number;
  /** Degrees of freedom of the t distribution; Infinity for a z-test. */
  readonly df: number;
  /** Two-sided. */
  readonly pValue: number;
  readonly ci: readonly [low: number, high: number];
  /**
   * Fieller's interval for `relativeDifference` at the level of `ci` (see `liftInterval`);
   * null (also in JSON) when the control mean is 0 or its interval includes 0, where the
   * ratio is unbounded, and when the comparison cannot be computed.
   */
  readonly relativeCi: readonly [low: number, high: number] | null;
}

/**
 * Relative size under which a computed spread is floating-point rounding, not data: residues
 * of cancellation are a few ulps (1e-16) of the values they came from.
 */
const ROUNDING_TOLERANCE = 1e-12;

/**
 * The fewest users each arm must have at a look before the always-valid (mSPRT) test uses
 * that look. The mSPRT treats each look's difference as normal with a known variance; with a
 * handful of users an arm the variance is itself a wild estimate (2 users with similar
 * values give a near-0 variance and a huge z), and because the always-valid p-value is the
 * running minimum over looks, one such early look would fix p at 0 for good. With 100 users
 * an arm the normal approximation of a difference of per-user means holds for the feed's
 * count metrics. `ReportOptions.sequentialMinUsersPerArm` changes it for a report.
 */
export const SEQUENTIAL_MIN_USERS_PER_ARM = 100;

/**
 * A look whose per-user spread, sqrt(variance · users per arm), is below this share of the
 * metric's scale has a variance that is 0 up to rounding: the test skips it as not
 * computable rather than divide by the residue. Cancellation leaves a variance of about
 * ε ≈ 2e-16 of the squared scale, a spread of sqrt(ε) ≈ 1.5e-8 of it; real per-user data
 * (counts, rates) spreads by far more than a millionth of its mean.
 */
export const NEGLIGIBLE_RELATIVE_SPREAD = 1e-6;

export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  if (n === 0) return { n: 0, mean: NaN, variance: 0 };
  let mean = 0;
  let m2 = 0;
  // Welford: one pass, no catastrophic cancellation on large counts.
  values.forEach((value, i) => {
    const delta = value - mean;
    mean += delta / (i + 1);
    m2 += delta * (value - mean);
  });
  return { n, mean, variance: n > 1 ? m2 / (n - 1) : 0 };
}

/**
 * Confidence interval of one group's mean (t distribution); [NaN, NaN] below two values,
 * whose spread is unknown (t with 0 degrees of freedom), never the zero-width [mean, mean].
 */
export function meanInterval(summary: Summary, alpha = 0.05): readonly [number, number] {
  if (summary.n < 2) return [NaN, NaN];
  const se = Math.sqrt(summary.variance / summary.n);
  const t = tQuantile(1 - alpha / 2, summary.n - 1);
  return [summary.mean - t * se, summary.mean + t * se];
}

/** Welch's unequal-variances t-test of treatment minus control (Welch-Satterthwaite df). */
export function welchTTest(control: Summary, treatment: Summary, alpha = 0.05): Comparison {
  if (control.n < 2 || treatment.n < 2)
    return notComputable(treatment.mean - control.mean, control.mean);
  const vc = control.n > 0 ? control.variance / control.n : 0;
  const vt = treatment.n > 0 ? treatment.variance / treatment.n : 0;
  const difference = treatment.mean - control.mean;
  const se = Math.sqrt(vc + vt);
  const df =
    control.n > 1 && treatment.n > 1 && se > 0
      ? (vc + vt) ** 2 / (vc ** 2 / (control.n - 1) + vt ** 2 / (treatment.n - 1))
      : Math.max(1, control.n + treatment.n - 2);
  return finish(
    difference,
    se,
    df,
    { mean: control.mean, variance: vc },
    { mean: treatment.mean, variance: vt },
    alpha,
  );
}

/** Per-user numerators and denominators of a ratio metric (likes / impressions). */
export interface RatioSummary {
  readonly n: number;
  /** sum(numerators) / sum(denominators); NaN when the denominators sum to 0 (0/0, no ratio). */
  readonly ratio: number;
  /** Delta-method variance of `ratio`. */
  readonly variance: number;
  readonly numeratorMean: number;
  readonly denominatorMean: number;
}

/**
 * A ratio of sums across users. Users, not impressions, are the independent units, so the
 * variance comes from the delta method over per-user (numerator, denominator) pairs:
 * Var(X̄/Ȳ) ≈ (σx² − 2R σxy + R² σy²) / (n Ȳ²), with R = X̄/Ȳ.
 */
export function summarizeRatio(
  numerators: readonly number[],
  denominators: readonly number[],
): RatioSummary {
  if (numerators.length !== denominators.length) {
    throw new InvalidArgumentError(
      'denominators',
      `has ${denominators.length} values for ${numerators.length} numerators: one pair per user`,
    );
  }
  const n = numerators.length;
  if (n === 0) return { n: 0, ratio: NaN, variance: 0, numeratorMean: 0, denominatorMean: 0 };
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += numerators[i] ?? 0;
    sy += denominators[i] ?? 0;
  }
  const mx = sx / n;
  const my = sy / n;
  if (my === 0) return { n, ratio: NaN, variance: 0, numeratorMean: mx, denominatorMean: 0 };
  const ratio = mx / my;
  // σx² − 2Rσxy + R²σy² is the variance of the residuals x − R·y. Summing the squared
  // residuals rather than combining the three moments keeps an exact 0 when every user has
  // the same ratio, where the three-term form cancels to floating-point residue (4e-19 for
  // likes 1, 2, 1 of impressions 5, 10, 5): a residue a test would read as certainty.
  let squares = 0;
  let scale = 0;
  for (let i = 0; i < n; i++) {
    const x = numerators[i] ?? 0;
    const y = denominators[i] ?? 0;
    const residual = x - mx - ratio * (y - my);
    squares += residual * residual;
    scale += (Math.abs(x) + Math.abs(ratio * y)) ** 2;
  }
  // Residuals within rounding of the values they came from are 0.
  if (squares <= ROUNDING_TOLERANCE ** 2 * scale) squares = 0;
  const d = n > 1 ? n - 1 : 1;
  const variance = squares / d / (n * my * my);
  return { n, ratio, variance, numeratorMean: mx, denominatorMean: my };
}

/** z-test of two independent ratio metrics (delta-method variances). */
export function compareRatios(
  control: RatioSummary,
  treatment: RatioSummary,
  alpha = 0.05,
): Comparison {
  if (
    control.n < 2 ||
    treatment.n < 2 ||
    control.denominatorMean === 0 ||
    treatment.denominatorMean === 0
  ) {
    return notComputable(treatment.ratio - control.ratio, control.ratio);
  }
  const se = Math.sqrt(control.variance + treatment.variance);
  return finish(
    treatment.ratio - control.ratio,
    se,
    Infinity,
    { mean: control.ratio, variance: control.variance },
    { mean: treatment.ratio, variance: treatment.variance },
    alpha,
  );
}

/** The ratio's normal interval; [NaN, NaN] below two users or without a ratio. */
export function ratioInterval(summary: RatioSummary, alpha = 0.05): readonly [number, number] {
  if (summary.n < 2 || summary.denominatorMean === 0) return [NaN, NaN];
  const half = normalQuantile(1 - alpha / 2, 0, 1) * Math.sqrt(summary.variance);
  return [summary.ratio - half, summary.ratio + half];
}

export interface CupedResult {
  /** Regression coefficient of the metric on its pre-period value, pooled over all groups. */
  readonly theta: number;
  /** Each group's adjusted values: y − θ (x − mean of x over every group). */
  readonly adjusted: number[][];
  /** 1 − Var(adjusted) / Var(y), pooled: how much noise the pre-period explained. */
  readonly varianceReduction: number;
}

/**
 * CUPED (Deng et al. 2013): subtracts the part of each user's metric that their pre-period
 * value predicts. θ and the covariate's mean are pooled across groups so the adjustment is
 * the same for everyone and the difference of means stays unbiased; only its variance falls.
 */
export function cuped(
  groups: readonly { readonly y: readonly number[]; readonly x: readonly number[] }[],
): CupedResult {
  groups.forEach((group, i) => {
    if (group.x.length !== group.y.length) {
      throw new InvalidArgumentError(
        `groups[${i}].x`,
        `has ${group.x.length} values for ${group.y.length} in y: one covariate per user`,
      );
    }
  });
  const ys = groups.flatMap((group) => group.y);
  const xs = groups.flatMap((group) => group.x);
  const n = Math.min(ys.length, xs.length);
  const mx = n > 0 ? xs.reduce((sum, value) => sum + value, 0) / n : 0;
  const my = n > 0 ? ys.reduce((sum, value) => sum + value, 0) / n : 0;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] ?? 0) - mx;
    sxy += dx * ((ys[i] ?? 0) - my);
    sxx += dx * dx;
  }
  const theta = sxx > 0 ? sxy / sxx : 0;
  const adjusted = groups.map((group) =>
    group.y.map((value, i) => value - theta * ((group.x[i] ?? mx) - mx)),
  );
  const before = summarize(ys).variance;
  const after = summarize(adjusted.flat()).variance;
  return { theta, adjusted, varianceReduction: before > 0 ? 1 - after / before : 0 };
}

export interface SampleRatioCheck {
  readonly observed: readonly number[];
  readonly expected: readonly number[];
  /** Pearson's statistic over the cells with an expected count above 0. */
  readonly chiSquare: number;
  /** Cells with an expected count above 0, minus 1. */
  readonly df: number;
  readonly pValue: number;
  /** p below the threshold (GrowthBook and Kohavi use 0.001): the split is broken. */
  readonly mismatch: boolean;
  readonly threshold: number;
  /**
   * Users in cells expected to stay empty (a variant of weight 0, or one the config does not
   * name): any is a mismatch, with p = 0.
   */
  readonly unexpected: number;
}

/**
 * Pearson's chi-square goodness of fit of the users per variant against the configured
 * weights. A mismatch means assignment or logging is broken and no other number in the
 * report can be trusted. A cell whose expected count is 0 (weight 0) is no degree of freedom:
 * df = (cells expected above 0) − 1, the same statistic and p as scipy.stats.chisquare over
 * those cells; a user found in such a cell cannot happen by chance, so it is a mismatch.
 */
export function sampleRatioMismatch(
  observed: readonly number[],
  weights: readonly number[],
  threshold = 0.001,
): SampleRatioCheck {
  checkCells(observed, weights);
  // A weight without a count is a cell nobody reached; a count without a weight, weight 0.
  const counts = Array.from(
    { length: Math.max(observed.length, weights.length) },
    (_, i) => observed[i] ?? 0,
  );
  const total = counts.reduce((sum, count) => sum + count, 0);
  const weightTotal = weights.reduce((sum, weight) => sum + weight, 0);
  // The expectation spreads the users of the cells that may hold users; the others should be
  // empty, and their users are counted apart (`unexpected`).
  const possible = counts.reduce((sum, count, i) => sum + ((weights[i] ?? 0) > 0 ? count : 0), 0);
  const expected = counts.map((_, i) =>
    weightTotal > 0 ? (possible * (weights[i] ?? 0)) / weightTotal : 0,
  );
  let chiSquare = 0;
  let cells = 0;
  let unexpected = 0;
  counts.forEach((count, i) => {
    if ((weights[i] ?? 0) > 0) {
      const e = expected[i] ?? 0;
      if (e > 0) chiSquare += (count - e) ** 2 / e;
      cells += 1;
    } else {
      unexpected += count;
    }
  });
  const df = Math.max(0, cells - 1);
  // For one degree of freedom use the normal tail: 1 − cdf underflows to 0 long before p does.
  const pValue =
    unexpected > 0
      ? 0
      : possible === 0 || df === 0
        ? 1
        : df === 1
          ? 2 * normalCdf(-Math.sqrt(chiSquare), 0, 1)
          : 1 - chiSquareCdf(chiSquare, df);
  return {
    observed: counts,
    expected,
    chiSquare,
    df,
    pValue,
    mismatch: pValue < threshold,
    threshold,
    unexpected,
  };
}

/** Counts and weights are non-negative numbers, and some weight is above 0. */
function checkCells(observed: readonly number[], weights: readonly number[]): void {
  observed.forEach((count, i) => {
    if (!(count >= 0 && Number.isFinite(count))) {
      throw new InvalidArgumentError(
        `observed[${i}]`,
        `must be a count of 0 or more, not ${count}`,
      );
    }
  });
  weights.forEach((weight, i) => {
    if (!(weight >= 0 && Number.isFinite(weight))) {
      throw new InvalidArgumentError(
        `weights[${i}]`,
        `must be a share of 0 or more, not ${weight}`,
      );
    }
  });
  if (!weights.some((weight) => weight > 0)) {
    throw new InvalidArgumentError('weights', 'at least one cell must have a weight above 0');
  }
}

/** One look at a running experiment: the difference so far and its variance. */
export interface SequentialLook {
  readonly difference: number;
  readonly variance: number;
  /**
   * Users in the smaller arm at this look. A look with fewer than the test's minimum
   * (`SEQUENTIAL_MIN_USERS_PER_ARM` by default) is skipped; when absent it is not checked.
   */
  readonly usersPerArm?: number;
  /**
   * The metric's size at this look (the larger arm's |value|). A variance whose per-user
   * spread sqrt(variance · usersPerArm) is under `NEGLIGIBLE_RELATIVE_SPREAD` of it is
   * rounding residue: the look is skipped. When absent, only a variance of 0 is skipped.
   */
  readonly scale?: number;
}

export interface SequentialResult {
  /** Always-valid p-value after each look: the running minimum of 1 / Λ over used looks. */
  readonly pValues: number[];
  /**
   * Each look's own always-valid interval, [−∞, ∞] for a skipped look. Not intersected
   * across looks: that is right only when the parameter is the same at every look, and a
   * cumulative per-user metric (engagements so far) grows from look to look.
   */
  readonly intervals: (readonly [number, number])[];
  /** Whether each look was used (enough users an arm, a variance that is not ~0). */
  readonly used: boolean[];
}

/**
 * The mixture sequential probability ratio test (Johari, Pekelis and Walsh, "Always Valid
 * Inference", 2017) for a normal estimate with known variance V and a N(0, τ²) mixture over
 * the effect: Λ = sqrt(V / (V + τ²)) · exp(θ̂² τ² / (2 V (V + τ²))). Its p-value may be read
 * after every look without inflating false positives, unlike a t-test peeked at daily.
 *
 * Only looks where the normal-with-known-variance model holds count: at least
 * `minUsersPerArm` users in each arm (when the look says how many) and a variance that is
 * not 0 up to rounding. The p-value tests "no difference at any look" and is the running
 * minimum over those looks; each look's interval {θ : Λ(θ) < 1/α} is reported as is (see
 * `SequentialResult.intervals`).
 */
export function mixtureSequentialTest(
  looks: readonly SequentialLook[],
  mixtureVariance: number,
  alpha = 0.05,
  minUsersPerArm = SEQUENTIAL_MIN_USERS_PER_ARM,
): SequentialResult {
  const tau2 = mixtureVariance;
  const pValues: number[] = [];
  const intervals: (readonly [number, number])[] = [];
  const used: boolean[] = [];
  let p = 1;
  for (const look of looks) {
    const { difference, variance } = look;
    const usable =
      tau2 > 0 &&
      variance > 0 &&
      Number.isFinite(variance) &&
      Number.isFinite(difference) &&
      !(look.usersPerArm !== undefined && look.usersPerArm < minUsersPerArm) &&
      !negligibleVariance(variance, look.usersPerArm ?? 1, look.scale);
    if (usable) {
      const total = variance + tau2;
      const logLambda =
        0.5 * Math.log(variance / total) +
        (difference * difference * tau2) / (2 * variance * total);
      p = Math.min(p, Math.min(1, Math.exp(-logLambda)));
      const half = Math.sqrt(
        ((variance * total) / tau2) * (2 * Math.log(1 / alpha) + Math.log(total / variance)),
      );
      intervals.push([difference - half, difference + half]);
    } else {
      intervals.push([-Infinity, Infinity]);
    }
    pValues.push(p);
    used.push(usable);
  }
  return { pValues, intervals, used };
}

/**
 * Whether `variance` (of an estimate over `users` users) is 0 up to rounding next to a metric
 * of size `scale`: its per-user spread is under `NEGLIGIBLE_RELATIVE_SPREAD` of the scale.
 */
export function negligibleVariance(
  variance: number,
  users: number,
  scale: number | undefined,
): boolean {
  if (!(variance > 0)) return true;
  if (scale === undefined || !(Math.abs(scale) > 0)) return false;
  return Math.sqrt(variance * Math.max(1, users)) < NEGLIGIBLE_RELATIVE_SPREAD * Math.abs(scale);
}

/**
 * Holm's step-down adjustment (Holm 1979; R's `p.adjust(p, "holm")`): the p-values of a family
 * of tests, each adjusted so that calling those below α significant keeps the chance of any
 * false call in the family at most α. Sorted ascending, the i-th of m (from 0) becomes
 * max over j ≤ i of min(1, (m − j) · p(j)). A NaN p (a test that could not be computed, and
 * so is never called significant) stays NaN and is not counted in m.
 */
export function holmAdjusted(pValues: readonly number[]): number[] {
  const order = pValues
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => !Number.isNaN(p))
    .sort((a, b) => a.p - b.p);
  const adjusted = pValues.map(() => NaN);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (order.length - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}

/** Too few users to say anything: NaN p-value and interval (null in JSON), never significant. */
function notComputable(difference: number, controlMean: number): Comparison {
  return {
    difference,
    relativeDifference: controlMean !== 0 ? difference / Math.abs(controlMean) : NaN,
    standardError: NaN,
    statistic: NaN,
    df: NaN,
    pValue: NaN,
    ci: [NaN, NaN],
    relativeCi: null,
  };
}

/** One arm's estimate: a mean (or ratio) and the variance of that estimate. */
export interface ArmEstimate {
  readonly mean: number;
  readonly variance: number;
}

/**
 * Fieller's interval (Fieller 1954) for the lift (treatment − control) / |control| of two
 * independent, normal estimates: the ρ = treatment / control with
 * (t − ρc)² ≤ q²(Vt + ρ²Vc), minus 1 (1 − ρ, mirrored, for a negative control, so the lift
 * keeps the sign of the difference). At ρ = 1 that inequality is the difference's own test,
 * so the lift's interval excludes 0 exactly when the difference's interval (same q) does.
 * The set is a bounded interval exactly when c² > q²Vc, when the control's own interval at q
 * excludes 0; otherwise the ratio is unbounded (or c is 0) and there is no interval: null.
 */
export function liftInterval(
  control: ArmEstimate,
  treatment: ArmEstimate,
  critical: number,
): readonly [number, number] | null {
  const { mean: c, variance: vc } = control;
  const { mean: t, variance: vt } = treatment;
  if (![c, t, vc, vt, critical].every(Number.isFinite) || vc < 0 || vt < 0) return null;
  const q2 = critical * critical;
  const leading = c * c - q2 * vc;
  if (!(leading > 0)) return null;
  // Non-negative whenever leading > 0 (c² Vt ≥ q² Vc Vt); max() only absorbs rounding.
  const discriminant = q2 * (c * c * vt + t * t * vc - q2 * vc * vt);
  const half = Math.sqrt(Math.max(0, discriminant));
  const low = (t * c - half) / leading;
  const high = (t * c + half) / leading;
  return c > 0 ? [low - 1, high - 1] : [1 - high, 1 - low];
}

function finish(
  difference: number,
  se: number,
  df: number,
  control: ArmEstimate,
  treatment: ArmEstimate,
  alpha: number,
): Comparison {
  const controlMean = control.mean;
  const relativeDifference = controlMean !== 0 ? difference / Math.abs(controlMean) : NaN;
  if (!(se > 0)) {
    return {
      difference,
      relativeDifference,
      standardError: 0,
      statistic: difference === 0 ? 0 : Math.sign(difference) * Infinity,
      df,
      pValue: difference === 0 ? 1 : 0,
      ci: [difference, difference],
      // No spread: the lift is as certain as the difference, [lift, lift].
      relativeCi: liftInterval(control, treatment, 0),
    };
  }
  const statistic = difference / se;
  const normal = !Number.isFinite(df);
  const pValue = normal
    ? 2 * normalCdf(-Math.abs(statistic), 0, 1)
    : 2 * tCdf(-Math.abs(statistic), df);
  const critical = normal ? normalQuantile(1 - alpha / 2, 0, 1) : tQuantile(1 - alpha / 2, df);
  return {
    difference,
    relativeDifference,
    standardError: se,
    statistic,
    df,
    pValue,
    ci: [difference - critical * se, difference + critical * se],
    relativeCi: liftInterval(control, treatment, critical),
  };
}
