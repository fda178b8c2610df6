import { InvalidArgumentError } from '@feedmesh/errors';
import type { eventsv1 } from '@feedmesh/contracts';
import {
  findExperiment,
  type ExperimentConfig,
  type ExperimentsConfig,
} from './experiment-config.js';
import {
  compareRatios,
  cuped,
  holmAdjusted,
  meanInterval,
  mixtureSequentialTest,
  negligibleVariance,
  ratioInterval,
  sampleRatioMismatch,
  summarize,
  summarizeRatio,
  welchTTest,
  SEQUENTIAL_MIN_USERS_PER_ARM,
  type Comparison,
  type SampleRatioCheck,
} from './statistics.js';
import {
  SUCCESS_METRICS,
  type MetricContext,
  type MetricDefinition,
  type MetricKind,
} from './success-metrics.js';
import {
  aggregateExperimentEvents,
  cumulativeCounts,
  type AggregationOptions,
  type EventSource,
  type ExperimentAggregates,
  type UserAggregate,
} from './user-aggregates.js';

const DAY_MS = 24 * 3_600_000;

export interface ReportOptions {
  /** Variant weights from the config, by variant name: the SRM check's expectation. */
  readonly weights: Readonly<Record<string, number>>;
  /** The baseline variant. Default: "control" if there is one, else the first variant. */
  readonly control?: string;
  /** Significance level. Default 0.05. */
  readonly alpha?: number;
  /** SRM warning threshold on the chi-square p-value. Default 0.001 (GrowthBook's). */
  readonly srmThreshold?: number;
  /** Retention delay after first exposure, ms. Default 1 day. */
  readonly retentionAfterMs?: number;
  /**
   * The effect size the sequential test is tuned for, in per-user standard deviations: the
   * mSPRT mixture's spread τ. Default 0.1.
   */
  readonly sequentialEffectSize?: number;
  /**
   * The fewest users each arm needs at a look for the always-valid test to use it; earlier
   * looks are skipped. Default `SEQUENTIAL_MIN_USERS_PER_ARM` (100).
   */
  readonly sequentialMinUsersPerArm?: number;
  /** Which metrics; default every success metric. */
  readonly metrics?: readonly MetricDefinition[];
  /** The report's timestamp, ms; default now. */
  readonly generatedAtMs?: number;
}

export interface VariantCount {
  readonly variant: string;
  readonly users: number;
  readonly expectedShare: number;
  readonly observedShare: number;
}

export interface VariantValue {
  readonly variant: string;
  /** Users in the metric's population. */
  readonly n: number;
  readonly value: number;
  readonly ci: readonly [number, number];
  /** The mean after CUPED (mean metrics with a covariate). */
  readonly cupedValue?: number;
}

export interface CupedComparison {
  readonly difference: number;
  readonly ci: readonly [number, number];
  /** The CUPED difference over the control's CUPED-adjusted mean (`cupedValue`). */
  readonly relativeDifference: number;
  /**
   * Fieller's interval for it from the adjusted means and their variances, as `ci` is from
   * them; null where the adjusted control mean is 0 or its interval includes 0.
   */
  readonly relativeCi: readonly [number, number] | null;
  readonly pValue: number;
  readonly theta: number;
  readonly varianceReduction: number;
}

export interface VariantComparison extends Comparison {
  readonly variant: string;
  readonly control: string;
  /**
   * `pValue` adjusted for the metric's other treatments (Holm's step-down over the
   * comparisons with control): with one treatment, `pValue` itself.
   */
  readonly adjustedPValue: number;
  /**
   * `adjustedPValue` < α: with several treatments, the chance that any of them is called
   * significant for this metric when none differs from control is at most α.
   */
  readonly significant: boolean;
  /** Significant and in the metric's good direction. */
  readonly improvement: boolean;
  readonly cuped?: CupedComparison;
  /**
   * mSPRT over the looks with at least `sequentialMinUsersPerArm` users an arm. The p-value
   * (running minimum over looks) is valid however often the report was read; the interval is
   * the last look's own always-valid interval for the difference at that look, [−∞, ∞]
   * when that look was skipped (null in JSON).
   */
  readonly sequential: {
    readonly pValue: number;
    readonly ci: readonly [number, number];
    /**
     * `pValue` adjusted for the metric's other treatments by Holm's step-down, as
     * `adjustedPValue` is: an always-valid p-value stays valid at every look, and Holm
     * needs nothing more of its p-values. With one treatment, `pValue` itself.
     */
    readonly adjustedPValue: number;
    /** `adjustedPValue` < α: the sequential verdict, safe at every look for the family. */
    readonly significant: boolean;
  };
}

export interface SeriesPoint {
  readonly atMs: number;
  readonly n: number;
  readonly value: number;
  readonly ci: readonly [number, number];
}

export interface DifferencePoint {
  readonly atMs: number;
  readonly difference: number;
  readonly ci: readonly [number, number];
  /** This look's own always-valid interval; [−∞, ∞] when the look was skipped. */
  readonly sequentialCi: readonly [number, number];
  /** The always-valid p-value after this look (running minimum over the used looks). */
  readonly sequentialPValue: number;
  /** Holm's adjustment of `sequentialPValue` over the metric's treatments at this look. */
  readonly sequentialAdjustedPValue: number;
}

export interface MetricResult {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly kind: MetricKind;
  readonly format: 'number' | 'percent';
  readonly higherIsBetter: boolean;
  /** Whether the metric has a pre-period covariate, so CUPED can adjust it. */
  readonly hasCovariate: boolean;
  readonly variants: readonly VariantValue[];
  readonly comparisons: readonly VariantComparison[];
  /** Cumulative values at each look (bin end), for the charts. */
  readonly series: {
    readonly variants: readonly {
      readonly variant: string;
      readonly points: readonly SeriesPoint[];
    }[];
    readonly differences: readonly {
      readonly variant: string;
      readonly points: readonly DifferencePoint[];
    }[];
  };
}

export interface ExperimentReport {
  readonly experiment: string;
  readonly generatedAtMs: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly prePeriodMs: number;
  readonly alpha: number;
  readonly control: string;
  readonly variants: readonly VariantCount[];
  readonly srm: SampleRatioCheck;
  /** Loud problems: SRM, users in two variants, too few users, a treated pre-period. */
  readonly warnings: readonly string[];
  /** The fewest users an arm needs at a look for the always-valid test to use it. */
  readonly sequentialMinUsersPerArm: number;
  /**
   * Why no metric is CUPED-adjusted in this report (the log shows exposures to the
   * experiment before the window, so the pre-period may be treated); absent when CUPED ran.
   */
  readonly cupedDisabled?: string;
  readonly multipleVariantUsers: number;
  readonly duplicateEvents: number;
  readonly metrics: readonly MetricResult[];
}

/**
 * The experiment report: per variant and metric the value, the difference from control with
 * its confidence interval and p-value, the CUPED-adjusted difference, the always-valid
 * sequential p-value, the values over time, and the sample-ratio-mismatch check.
 */
export function buildExperimentReport(
  aggregates: ExperimentAggregates,
  options: ReportOptions,
): ExperimentReport {
  checkReportSettings(options);
  checkWeights(options.weights);
  const alpha = options.alpha ?? 0.05;
  const names = variantNames(aggregates, options.weights);
  const control = options.control ?? (names.includes('control') ? 'control' : names[0]);
  if (control === undefined || !names.includes(control)) {
    throw new InvalidArgumentError('control', `no variant named ${JSON.stringify(control ?? '')}`);
  }
  const usersOf = (variant: string) => aggregates.variants.get(variant) ?? [];
  const counts = names.map((variant) => usersOf(variant).length);
  const weights = names.map((variant) => options.weights[variant] ?? 0);
  const srm = sampleRatioMismatch(counts, weights, options.srmThreshold ?? 0.001);
  const total = counts.reduce((sum, n) => sum + n, 0);
  const weightTotal = weights.reduce((sum, w) => sum + w, 0) || 1;
  const variants = names.map((variant, i) => ({
    variant,
    users: counts[i] ?? 0,
    expectedShare: (weights[i] ?? 0) / weightTotal,
    observedShare: total > 0 ? (counts[i] ?? 0) / total : 0,
  }));

  const warnings: string[] = [];
  if (srm.mismatch) {
    const unexpected = variants.filter((v) => v.expectedShare === 0 && v.users > 0);
    const why =
      unexpected.length > 0
        ? `${srm.unexpected} users in ${unexpected.map((v) => v.variant).join(', ')}, which the config gives no traffic`
        : `chi-square ${srm.chiSquare.toFixed(2)} (${srm.df} df), p = ${srm.pValue.toExponential(2)} < ${srm.threshold}`;
    warnings.push(
      `Sample ratio mismatch: users per variant ${variants.map((v) => `${v.variant} ${v.users} (${pct(v.observedShare)} vs ${pct(v.expectedShare)} expected)`).join(', ')}; ${why}. Assignment or exposure logging is broken: do not trust the metrics below.`,
    );
  }
  if (aggregates.multipleVariantUsers > 0) {
    warnings.push(
      `${aggregates.multipleVariantUsers} users were logged in more than one variant and were left out.`,
    );
  }
  for (const v of variants) {
    if (v.users < 30)
      warnings.push(`Variant ${v.variant} has only ${v.users} users: intervals are unreliable.`);
  }
  const before = aggregates.exposedBeforeStart;
  const cupedDisabled =
    before && before.users > 0
      ? `${before.users} users were exposed to ${aggregates.experiment} before the window's start (the first at ${iso(before.firstMs)}), so the pre-period [${iso(aggregates.startMs - aggregates.prePeriodMs)}, ${iso(aggregates.startMs)}) may already be treated: CUPED is off in this report. Start the window at or before ${iso(before.firstMs)} to use it.`
      : undefined;
  if (cupedDisabled) warnings.push(`CUPED off: ${cupedDisabled}`);

  const context = (cutoffMs: number): MetricContext => ({
    cutoffMs,
    retentionAfterMs: options.retentionAfterMs ?? DAY_MS,
  });
  const sequentialMinUsersPerArm = options.sequentialMinUsersPerArm ?? SEQUENTIAL_MIN_USERS_PER_ARM;
  const metrics = (options.metrics ?? SUCCESS_METRICS).map((metric) =>
    analyseMetric(metric, aggregates, names, control, context, {
      alpha,
      effectSize: options.sequentialEffectSize ?? 0.1,
      minUsersPerArm: sequentialMinUsersPerArm,
      cuped: cupedDisabled === undefined,
    }),
  );
  return {
    experiment: aggregates.experiment,
    generatedAtMs: options.generatedAtMs ?? Date.now(),
    startMs: aggregates.startMs,
    endMs: aggregates.endMs,
    prePeriodMs: aggregates.prePeriodMs,
    alpha,
    control,
    variants,
    srm,
    warnings,
    sequentialMinUsersPerArm,
    ...(cupedDisabled ? { cupedDisabled } : {}),
    multipleVariantUsers: aggregates.multipleVariantUsers,
    duplicateEvents: aggregates.duplicateEvents,
    metrics,
  };
}

/**
 * Refuses settings no statistic can use, naming the option: an alpha that is a percent (5) or
 * a confidence level (0.95) would call every difference significant.
 */
function checkReportSettings(options: Omit<ReportOptions, 'weights'>): void {
  const { alpha, srmThreshold, sequentialEffectSize, sequentialMinUsersPerArm } = options;
  if (alpha !== undefined && !(alpha > 0 && alpha < 0.5)) {
    throw new InvalidArgumentError(
      'alpha',
      `must be a significance level between 0 and 0.5 (0.05 for 95% intervals), not ${alpha}`,
    );
  }
  if (srmThreshold !== undefined && !(srmThreshold > 0 && srmThreshold < 1)) {
    throw new InvalidArgumentError(
      'srmThreshold',
      `must be a p-value between 0 and 1, not ${srmThreshold}`,
    );
  }
  if (
    sequentialEffectSize !== undefined &&
    !(sequentialEffectSize > 0 && Number.isFinite(sequentialEffectSize))
  ) {
    throw new InvalidArgumentError(
      'sequentialEffectSize',
      `must be a positive number of per-user standard deviations, not ${sequentialEffectSize}`,
    );
  }
  if (
    sequentialMinUsersPerArm !== undefined &&
    !(Number.isInteger(sequentialMinUsersPerArm) && sequentialMinUsersPerArm >= 2)
  ) {
    throw new InvalidArgumentError(
      'sequentialMinUsersPerArm',
      `must be a whole number of users, at least 2, not ${sequentialMinUsersPerArm}`,
    );
  }
  const { retentionAfterMs } = options;
  if (retentionAfterMs !== undefined && !(retentionAfterMs >= 0)) {
    throw new InvalidArgumentError(
      'retentionAfterMs',
      `must be a duration of 0 ms or more, not ${retentionAfterMs}`,
    );
  }
  if (options.metrics !== undefined) checkMetrics(options.metrics);
}

/**
 * A report of no metric reads as "nothing moved", and two metrics of one id give two results
 * a reader looking one up by id cannot tell apart: both are refused, naming the entry.
 */
function checkMetrics(metrics: readonly MetricDefinition[]): void {
  if (metrics.length === 0) {
    throw new InvalidArgumentError(
      'metrics',
      'must list at least one metric (leave it out for every success metric)',
    );
  }
  const seen = new Map<string, number>();
  metrics.forEach((metric, i) => {
    const first = seen.get(metric.id);
    if (first !== undefined) {
      throw new InvalidArgumentError(
        `metrics[${i}].id`,
        `duplicates metrics[${first}].id ${JSON.stringify(metric.id)}`,
      );
    }
    seen.set(metric.id, i);
  });
}

/** Weights are the SRM check's expectation: finite, not negative, not all 0. */
function checkWeights(weights: Readonly<Record<string, number>>): void {
  for (const [variant, weight] of Object.entries(weights)) {
    if (!(weight >= 0 && Number.isFinite(weight))) {
      throw new InvalidArgumentError(
        `weights.${variant}`,
        `must be a share of 0 or more, not ${weight}`,
      );
    }
  }
  if (!Object.values(weights).some((weight) => weight > 0)) {
    throw new InvalidArgumentError('weights', 'at least one variant must have a weight above 0');
  }
}

function variantNames(
  aggregates: ExperimentAggregates,
  weights: Readonly<Record<string, number>>,
): string[] {
  const names = Object.keys(weights);
  for (const name of aggregates.variants.keys()) if (!names.includes(name)) names.push(name);
  return names;
}

/** One look of one metric for one variant: the population's values. */
interface LookData {
  readonly users: UserAggregate[];
  readonly values: number[];
  readonly numerators: number[];
  readonly denominators: number[];
}

function lookData(
  metric: MetricDefinition,
  users: readonly UserAggregate[],
  look: number,
  context: MetricContext,
): LookData {
  const data: LookData = { users: [], values: [], numerators: [], denominators: [] };
  for (const user of users) {
    if (user.firstExposureMs >= context.cutoffMs) continue;
    const counts = cumulativeCounts(user, look);
    if (metric.kind === 'ratio') {
      data.users.push(user);
      data.numerators.push(metric.numerator(counts));
      data.denominators.push(metric.denominator(counts));
    } else {
      const value = metric.value(user, counts, context);
      if (value === undefined) continue;
      data.users.push(user);
      data.values.push(value);
    }
  }
  return data;
}

interface Estimate {
  readonly n: number;
  readonly value: number;
  readonly ci: readonly [number, number];
  /** Variance of `value` as an estimate. */
  readonly variance: number;
}

function estimate(metric: MetricDefinition, data: LookData, alpha: number): Estimate {
  if (metric.kind === 'ratio') {
    const summary = summarizeRatio(data.numerators, data.denominators);
    return {
      n: summary.n,
      value: summary.ratio,
      ci: ratioInterval(summary, alpha),
      variance: summary.variance,
    };
  }
  const summary = summarize(data.values);
  return {
    n: summary.n,
    value: summary.mean,
    ci: meanInterval(summary, alpha),
    variance: summary.n > 0 ? summary.variance / summary.n : 0,
  };
}

function compare(
  metric: MetricDefinition,
  control: LookData,
  treatment: LookData,
  alpha: number,
): Comparison {
  if (metric.kind === 'ratio') {
    return compareRatios(
      summarizeRatio(control.numerators, control.denominators),
      summarizeRatio(treatment.numerators, treatment.denominators),
      alpha,
    );
  }
  return welchTTest(summarize(control.values), summarize(treatment.values), alpha);
}

interface AnalysisSettings {
  readonly alpha: number;
  /** The mSPRT's τ in per-user standard deviations. */
  readonly effectSize: number;
  readonly minUsersPerArm: number;
  /** Whether CUPED may run (the pre-period is untreated). */
  readonly cuped: boolean;
}

function analyseMetric(
  metric: MetricDefinition,
  aggregates: ExperimentAggregates,
  names: readonly string[],
  control: string,
  context: (cutoffMs: number) => MetricContext,
  settings: AnalysisSettings,
): MetricResult {
  const { alpha, effectSize } = settings;
  const looks = aggregates.cutoffs.map((cutoffMs, look) => {
    const byVariant = new Map<string, LookData>();
    for (const name of names) {
      byVariant.set(
        name,
        lookData(metric, aggregates.variants.get(name) ?? [], look, context(cutoffMs)),
      );
    }
    return { cutoffMs, byVariant };
  });
  // Each variant's estimate at each look: the charts' series and the sequential test's sizes.
  const lookEstimates = looks.map(
    (look) =>
      new Map(
        names.map((name) => [
          name,
          estimate(metric, look.byVariant.get(name) ?? emptyLook(), alpha),
        ]),
      ),
  );
  const last = looks[looks.length - 1];
  const finalData = (name: string): LookData =>
    last?.byVariant.get(name) ?? { users: [], values: [], numerators: [], denominators: [] };

  const variantValues: VariantValue[] = names.map((name) => {
    const e = estimate(metric, finalData(name), alpha);
    return { variant: name, n: e.n, value: e.value, ci: e.ci };
  });

  const cupedResult =
    settings.cuped && metric.kind !== 'ratio' && metric.covariate
      ? cuped(
          names.map((name) => {
            const data = finalData(name);
            return { y: data.values, x: data.users.map((user) => metric.covariate?.(user) ?? 0) };
          }),
        )
      : undefined;
  if (cupedResult) {
    names.forEach((name, i) => {
      const value = variantValues[i];
      if (value)
        variantValues[i] = { ...value, cupedValue: summarize(cupedResult.adjusted[i] ?? []).mean };
    });
  }

  const controlIndex = names.indexOf(control);
  /** Each treatment's comparison, before the verdicts that depend on all of them. */
  const comparisons: (Omit<
    VariantComparison,
    'adjustedPValue' | 'significant' | 'improvement' | 'sequential'
  > & { readonly sequential: { pValue: number; ci: readonly [number, number] } })[] = [];
  const differences: {
    variant: string;
    points: Omit<DifferencePoint, 'sequentialAdjustedPValue'>[];
  }[] = [];
  names.forEach((name, i) => {
    if (name === control) return;
    const comparison = compare(metric, finalData(control), finalData(name), alpha);
    const perLook = looks.map((look) =>
      compare(
        metric,
        look.byVariant.get(control) ?? emptyLook(),
        look.byVariant.get(name) ?? emptyLook(),
        alpha,
      ),
    );
    // τ in metric units: the effect size in per-user standard deviations, the per-user
    // spread read off the final look's control variance (Var(estimate) · n).
    const controlFinal = estimate(metric, finalData(control), alpha);
    const perUserVariance = controlFinal.variance * Math.max(1, controlFinal.n);
    const perUserSd = negligibleVariance(perUserVariance, 1, controlFinal.value)
      ? 0
      : Math.sqrt(perUserVariance);
    const tau = effectSize * (perUserSd > 0 ? perUserSd : Math.abs(controlFinal.value) || 1);
    const sequential = mixtureSequentialTest(
      perLook.map((c, k) => {
        const c0 = lookEstimates[k]?.get(control);
        const c1 = lookEstimates[k]?.get(name);
        return {
          difference: c.difference,
          variance: c.standardError ** 2,
          // The metric's population at the look (retention: users exposed a day before).
          usersPerArm: Math.min(c0?.n ?? 0, c1?.n ?? 0),
          scale: Math.max(Math.abs(c0?.value ?? 0), Math.abs(c1?.value ?? 0)),
        };
      }),
      tau * tau,
      alpha,
      settings.minUsersPerArm,
    );
    let cupedComparison: CupedComparison | undefined;
    if (cupedResult) {
      const adjusted = welchTTest(
        summarize(cupedResult.adjusted[controlIndex] ?? []),
        summarize(cupedResult.adjusted[i] ?? []),
        alpha,
      );
      cupedComparison = {
        difference: adjusted.difference,
        ci: adjusted.ci,
        relativeDifference: adjusted.relativeDifference,
        relativeCi: adjusted.relativeCi,
        pValue: adjusted.pValue,
        theta: cupedResult.theta,
        varianceReduction: cupedResult.varianceReduction,
      };
    }
    comparisons.push({
      ...comparison,
      variant: name,
      control,
      ...(cupedComparison ? { cuped: cupedComparison } : {}),
      sequential: {
        pValue: sequential.pValues[sequential.pValues.length - 1] ?? 1,
        ci: sequential.intervals[sequential.intervals.length - 1] ?? [-Infinity, Infinity],
      },
    });
    differences.push({
      variant: name,
      points: perLook.map((c, k) => ({
        atMs: looks[k]?.cutoffMs ?? 0,
        difference: c.difference,
        ci: c.ci,
        sequentialCi: sequential.intervals[k] ?? [-Infinity, Infinity],
        sequentialPValue: sequential.pValues[k] ?? 1,
      })),
    });
  });

  // Several treatments are a family of tests: each is called significant on its Holm-adjusted
  // p, so the chance that any of them is called so by chance alone stays at α. The same holds
  // for the always-valid p-values, at every look.
  const adjusted = holmAdjusted(comparisons.map((c) => c.pValue));
  const sequentialAdjusted = holmAdjusted(comparisons.map((c) => c.sequential.pValue));
  const verdicts = comparisons.map((c, k): VariantComparison => {
    const adjustedPValue = adjusted[k] ?? NaN;
    const significant = adjustedPValue < alpha;
    const sequentialAdjustedPValue = sequentialAdjusted[k] ?? NaN;
    return {
      ...c,
      adjustedPValue,
      significant,
      improvement: significant && c.difference > 0 === metric.higherIsBetter,
      sequential: {
        ...c.sequential,
        adjustedPValue: sequentialAdjustedPValue,
        significant: sequentialAdjustedPValue < alpha,
      },
    };
  });
  const lookAdjusted = looks.map((_, look) =>
    holmAdjusted(differences.map((d) => d.points[look]?.sequentialPValue ?? NaN)),
  );
  const adjustedDifferences = differences.map((d, k) => ({
    variant: d.variant,
    points: d.points.map((point, look): DifferencePoint => ({
      ...point,
      sequentialAdjustedPValue: lookAdjusted[look]?.[k] ?? NaN,
    })),
  }));

  return {
    id: metric.id,
    name: metric.name,
    description: metric.description,
    kind: metric.kind,
    format: metric.format,
    higherIsBetter: metric.higherIsBetter,
    hasCovariate: 'covariate' in metric && metric.covariate !== undefined,
    variants: variantValues,
    comparisons: verdicts,
    series: {
      variants: names.map((name) => ({
        variant: name,
        points: looks.map((look, k) => {
          const e = lookEstimates[k]?.get(name) ?? estimate(metric, emptyLook(), alpha);
          return { atMs: look.cutoffMs, n: e.n, value: e.value, ci: e.ci };
        }),
      })),
      differences: adjustedDifferences,
    },
  };
}

function emptyLook(): LookData {
  return { users: [], values: [], numerators: [], denominators: [] };
}

function pct(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export interface ExperimentReportFromEventsOptions
  extends Partial<Omit<AggregationOptions, 'experiment'>>, Omit<ReportOptions, 'weights'> {
  /** The log, readable twice (e.g. `() => eventLog.history()`). */
  readonly events: EventSource;
  readonly config: ExperimentsConfig;
  /** The experiment key. */
  readonly experiment: string;
  /**
   * What the caller calls startMs and endMs, for errors about the window (a CLI: `--start`,
   * `--end`). Default: startMs, endMs.
   */
  readonly windowNames?: { readonly start: string; readonly end: string };
}

/**
 * The report for one experiment of a config, straight from the log: the window is the
 * config's startAt/endAt unless given, else from the first exposure to the last event.
 * What `feedmesh experiment report <id>` calls.
 */
export async function experimentReportFromEvents(
  options: ExperimentReportFromEventsOptions,
): Promise<ExperimentReport> {
  checkReportSettings(options);
  const experiment: ExperimentConfig | undefined = findExperiment(
    options.config,
    options.experiment,
  );
  if (!experiment)
    throw new InvalidArgumentError(
      'experiment',
      `no experiment ${JSON.stringify(options.experiment)} in the config`,
    );
  const { startMs, endMs } = await reportWindow(options, experiment);
  const aggregates = await aggregateExperimentEvents(options.events, {
    ...options,
    experiment: experiment.key,
    startMs,
    endMs,
  });
  const weights = Object.fromEntries(
    experiment.variants.map((variant) => [variant.name, variant.weight]),
  );
  return buildExperimentReport(aggregates, { ...options, weights });
}

/** One end of the report's window, and what set it: an option, the config, or the log. */
interface WindowEdge {
  readonly ms: number;
  readonly from: 'option' | 'config' | 'log';
  /** How an error names it: `--start`, `endAt of experiment "x"`, `the end of the log`. */
  readonly name: string;
}

/**
 * The window: each end from the options, else the config, else the log (the first exposure,
 * just after the last event). An empty window is blamed on an option before the config, and
 * on the config before the log, naming both ends.
 */
async function reportWindow(
  options: ExperimentReportFromEventsOptions,
  experiment: ExperimentConfig,
): Promise<{ startMs: number; endMs: number }> {
  const names = options.windowNames ?? { start: 'startMs', end: 'endMs' };
  const key = JSON.stringify(experiment.key);
  const given = (
    option: number | undefined,
    optionName: string,
    configured: number | undefined,
    field: string,
  ): WindowEdge | undefined => {
    if (option !== undefined) return { ms: option, from: 'option', name: optionName };
    if (configured !== undefined) {
      return { ms: configured, from: 'config', name: `${field} of experiment ${key}` };
    }
    return undefined;
  };
  let start = given(options.startMs, names.start, experiment.startAtMs, 'startAt');
  let end = given(options.endMs, names.end, experiment.endAtMs, 'endAt');
  if (start === undefined || end === undefined) {
    const span = await exposureSpan(options.events, experiment.key);
    if (span.lastEventMs === -Infinity) {
      throw new InvalidArgumentError('events', 'the log holds no event');
    }
    if (start === undefined && span.firstExposureMs === undefined) {
      throw new InvalidArgumentError('experiment', `no exposure to ${key} in the log`);
    }
    start ??= { ms: span.firstExposureMs!, from: 'log', name: `the first exposure to ${key}` };
    end ??= { ms: span.lastEventMs + 1, from: 'log', name: 'the end of the log' };
  }
  if (end.ms > start.ms) return { startMs: start.ms, endMs: end.ms };
  const at = (ms: number) => new Date(ms).toISOString();
  const rank = { option: 0, config: 1, log: 2 } as const;
  const [culprit, other, relation] =
    rank[start.from] <= rank[end.from] ? [start, end, 'before'] : [end, start, 'after'];
  throw new InvalidArgumentError(
    culprit.name,
    `${at(culprit.ms)} is not ${relation} ${other.name} (${at(other.ms)}): the window is empty`,
  );
}

async function exposureSpan(
  source: EventSource,
  experiment: string,
): Promise<{ firstExposureMs: number | undefined; lastEventMs: number }> {
  let firstExposureMs: number | undefined;
  let lastEventMs = -Infinity;
  const iterable = typeof source === 'function' ? source() : source;
  for await (const event of iterable as AsyncIterable<eventsv1.Event>) {
    lastEventMs = Math.max(lastEventMs, event.atMs);
    const payload = event.payload;
    const assignments =
      payload?.$case === 'impression' || payload?.$case === 'notificationSent'
        ? payload.value.experiments
        : [];
    if (assignments.some((a) => a.experiment === experiment)) {
      firstExposureMs = Math.min(firstExposureMs ?? Infinity, event.atMs);
    }
  }
  return { firstExposureMs, lastEventMs };
}
