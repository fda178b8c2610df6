import { FailedPreconditionError, InvalidArgumentError } from '@feedmesh/errors';
import type { EventLog } from '@feedmesh/events';
import {
  countPositives,
  CurrentVersionChangedError,
  DanglingCurrentVersionError,
  evaluateModel,
  isMissing,
  isObjectiveName,
  OBJECTIVES,
  Scorer,
  seededRandom,
  selectRows,
  setMissing,
  trainGbdt,
  trainLogistic,
  type LabeledExamples,
  type ModelDocument,
  type ModelRegistry,
  type ModelVersion,
  type ObjectiveName,
  type StoredModel,
} from '@feedmesh/models';
import type { Logger } from '@feedmesh/service-kit';
import { examplesFromEngagements } from './engagement-examples.js';
import { hydrateExamples, type FeatureProvenance } from './example-features.js';
import type { FeatureSource } from './feature-source.js';
import { splitByTime } from './holdout.js';
import { examplesFromImpressions } from './impression-examples.js';
import { readSiteHistory } from './site-history.js';
import { NO_LABELS, type TrainingExample } from './training-example.js';

export interface TrainingSettings {
  readonly modelName: string;
  readonly attributionWindowMs: number;
  /** How far before an impression an engagement may be stamped and still count for it. */
  readonly clockSkewMs: number;
  readonly negativesPerPositive: number;
  readonly holdoutFraction: number;
  readonly seed: number;
  readonly l2: number;
  readonly family: 'logistic' | 'gbdt';
  /** Boosting rounds when the family is `gbdt`. */
  readonly gbdtTrees: number;
  /** Train on these features only (by name); empty means every feature served. */
  readonly features: readonly string[];
  /**
   * The held-out metric a new version must beat the current one on: `auc_<objective>`
   * (higher is better), `logloss_<objective>` or `ece_<objective>` (lower is better).
   */
  readonly promotionMetric: string;
  /**
   * Positives, and negatives, of the promotion metric's objective the held-out slice needs
   * before a version may replace the current one (TRAINER_PROMOTION_MIN_POSITIVES).
   */
  readonly promotionMinPositives: number;
}

export interface TrainerDeps {
  readonly eventLog: EventLog;
  readonly registry: ModelRegistry;
  readonly featureSource: FeatureSource;
  readonly logger: Logger;
  readonly clock: () => number;
}

export interface TrainerReport {
  readonly modelName: string;
  /** Where the examples came from; `none` when there was nothing to learn from. */
  readonly source: 'impressions' | 'engagements' | 'none';
  readonly events: number;
  /**
   * Every example built (`total`): trained on, held out, or embargoed (before the held-out
   * slice but within the attribution window of it, so possibly labelled by held-out events).
   */
  readonly examples: {
    readonly total: number;
    readonly train: number;
    readonly heldOut: number;
    readonly embargoed: number;
  };
  /** Without impressions: examples that are sampled negatives (posts the user did not engage with). */
  readonly sampledNegatives: number;
  /** Impressions left for a later run because their attribution window is still open. */
  readonly immatureImpressions: number;
  /**
   * Without impressions: engaged (user, post) pairs left for a later run because the
   * attribution window after their first engagement is still open. 0 with impressions.
   */
  readonly immatureEngagements: number;
  readonly positives: Readonly<Record<ObjectiveName, number>>;
  readonly heldOutPositives: Readonly<Record<ObjectiveName, number>>;
  /** Examples at or after this time were held out (split by time). */
  readonly holdoutCutoffMs: number;
  readonly featureNames: readonly string[];
  /** How many examples had their features logged, rebuilt as of their time, or fetched today. */
  readonly featureProvenance: FeatureProvenance;
  readonly promotionMetric: string;
  /** Held-out metrics of the model trained now and of the current version on the same slice. */
  readonly heldOutMetrics: {
    readonly candidate: Readonly<Record<string, number>>;
    readonly current?: Readonly<Record<string, number>>;
  };
  /** The version the name pointed to when the run read it (also when it could not be loaded). */
  readonly currentVersion?: string;
  /** The version published by this run; undefined when the run trained nothing. */
  readonly version?: string;
  readonly promoted: boolean;
  readonly reason: string;
  /** What a reader of the metrics should know about how they were made. */
  readonly caveats: readonly string[];
}

/** Said of the examples whose features were fetched today. */
function leakage(current: number, total: number): string {
  return [
    `${current} of ${total} examples have features fetched from the feature store as of training`,
    'time, not as they were when each example happened (no logged values in the current',
    'schema, and the source cannot rebuild the past), so counts include the engagement being',
    'predicted: held-out metrics are optimistic',
  ].join(' ');
}

const NO_PROVENANCE: FeatureProvenance = { logged: 0, pointInTime: 0, current: 0 };

const ZERO: Readonly<Record<ObjectiveName, number>> = {
  like: 0,
  reblog: 0,
  reply: 0,
  follow: 0,
  hide: 0,
};

/**
 * One training run: history -> examples -> features -> time split -> logistic model per
 * objective -> held-out comparison with the current version -> publish, and promote only a
 * version that beats the current one on `promotionMetric`, and only while that one is still
 * current (compare-and-set). A current pointer to a version that cannot be loaded promotes
 * nothing: the report's reason names it.
 */
export async function train(settings: TrainingSettings, deps: TrainerDeps): Promise<TrainerReport> {
  const { logger } = deps;
  const better = promotionDirection(settings.promotionMetric);
  const history = await readSiteHistory(deps.eventLog);
  const fromImpressions = examplesFromImpressions(
    history,
    settings.attributionWindowMs,
    settings.clockSkewMs,
  );
  let source: TrainerReport['source'] = 'impressions';
  let examples: TrainingExample[] = fromImpressions.examples;
  let immatureEngagements = 0;
  if (examples.length === 0) {
    source = 'engagements';
    const fromEngagements = examplesFromEngagements(history, {
      attributionWindowMs: settings.attributionWindowMs,
      negativesPerPositive: settings.negativesPerPositive,
      random: seededRandom(settings.seed),
    });
    examples = fromEngagements.examples;
    immatureEngagements = fromEngagements.immature;
  }
  const sampledNegatives =
    source === 'engagements' ? examples.filter((e) => e.labels === NO_LABELS).length : 0;
  logger.info(
    {
      events: history.events,
      source,
      examples: examples.length,
      immature: fromImpressions.immature,
      immatureEngagements,
    },
    'training examples built',
  );

  // Embargo: a training example's label must not come from the held-out period.
  const split = splitByTime(examples, settings.holdoutFraction, settings.attributionWindowMs);
  const counts = {
    total: examples.length,
    train: split.train.length,
    heldOut: split.heldOut.length,
    embargoed: split.embargoed.length,
  };
  const skipped = (reason: string, extra: Partial<TrainerReport> = {}): TrainerReport => ({
    modelName: settings.modelName,
    source: examples.length === 0 ? 'none' : source,
    events: history.events,
    examples: counts,
    sampledNegatives,
    immatureImpressions: fromImpressions.immature,
    immatureEngagements,
    positives: ZERO,
    heldOutPositives: ZERO,
    holdoutCutoffMs: split.cutoffMs,
    featureNames: [],
    featureProvenance: NO_PROVENANCE,
    promotionMetric: settings.promotionMetric,
    heldOutMetrics: { candidate: {} },
    promoted: false,
    reason,
    caveats: [],
    ...extra,
  });
  if (examples.length === 0) {
    return skipped('no engagement or impression whose attribution window has closed to learn from');
  }
  if (split.train.length === 0 && split.embargoed.length > 0) {
    return skipped(
      'every example before the held-out slice is within the attribution window of it (embargoed): no earlier slice to train on',
    );
  }
  if (split.train.length === 0 || split.heldOut.length === 0) {
    return skipped('every example happened at one time: no earlier slice to train on');
  }

  const hydrated = await hydrateExamples(examples, deps.featureSource);
  const provenance = hydrated.provenance;
  const featureCaveats = [
    ...(provenance.current > 0 ? [leakage(provenance.current, examples.length)] : []),
  ];
  const all = settings.features.length > 0 ? keepColumns(hydrated, settings.features) : hydrated;
  const trainSet = selectRows(all, split.train);
  // Both models are judged on every served feature: a restriction applies to training only.
  const heldOutSet = selectRows(hydrated, split.heldOut);
  const positives = withAllObjectives(countPositives(all));
  const heldOutPositives = withAllObjectives(countPositives(heldOutSet));
  // A slice without a like would train a like-blind model, and the first one is promoted.
  if ((countPositives(trainSet).like ?? 0) === 0) {
    return skipped(
      positives.like === 0
        ? 'no like among the examples'
        : `no like among the training examples: all ${positives.like} are held out or embargoed`,
      { positives, heldOutPositives, featureProvenance: provenance },
    );
  }

  const trainedAtMs = deps.clock();
  const upTo = new Date(history.horizonMs).toISOString();
  const { model, constantObjectives } =
    settings.family === 'gbdt'
      ? {
          model: trainGbdt(trainSet, {
            trees: settings.gbdtTrees,
            seed: settings.seed,
            description: `gbdt, ${source} examples up to ${upTo}`,
          }).model,
          constantObjectives: [],
        }
      : fitLogistic(trainSet, settings.l2, `logistic, ${source} examples up to ${upTo}`);
  const candidate = evaluateModel(new Scorer(model), heldOutSet).metrics;

  const baseline = await readBaseline(deps.registry, settings.modelName);
  const current =
    baseline.state === 'stored'
      ? evaluateModel(new Scorer(baseline.stored.model), heldOutSet).metrics
      : undefined;
  const currentVersion = baseline.state === 'none' ? undefined : baseline.version;

  const decision =
    baseline.state === 'dangling'
      ? { promote: false, reason: baseline.reason }
      : decide(settings.promotionMetric, better, candidate, current, {
          examples: split.heldOut.length,
          positives: heldOutPositives,
          minPositives: settings.promotionMinPositives,
        });
  const published = await deps.registry.publish(settings.modelName, model, {
    trainedAtMs,
    metrics: {
      ...candidate,
      train_examples: split.train.length,
      heldout_examples: split.heldOut.length,
    },
    notes: {
      source,
      holdout: `time: examples at or after ${split.cutoffMs} ms; ${split.embargoed.length} before it within the attribution window (${settings.attributionWindowMs} ms) embargoed`,
      promotion: decision.reason,
      ...(baseline.state === 'stored'
        ? { compared_with: `${settings.modelName}@${baseline.version}` }
        : {}),
      family: model.family,
      constant_objectives: constantObjectives.join(',') || '-',
      features: `logged ${provenance.logged}, point-in-time ${provenance.pointInTime}, current ${provenance.current}`,
      ...(provenance.current > 0 ? { leakage: leakage(provenance.current, examples.length) } : {}),
    },
  });
  const outcome = decision.promote
    ? await promoteOver(deps.registry, settings.modelName, published.version, currentVersion)
    : { promoted: false, moved: undefined };
  const reason =
    outcome.moved === undefined
      ? decision.reason
      : `${decision.reason}, but the current version moved from ${currentVersion ?? 'none'} to ${outcome.moved ?? 'none'} while this run trained: not promoted over a version it was not compared with`;
  // A pointer that dangles or moved under this run is for an operator to look at.
  const unexpected = baseline.state === 'dangling' || outcome.moved !== undefined;
  logger[unexpected ? 'warn' : 'info'](
    {
      model: settings.modelName,
      version: published.version,
      promoted: outcome.promoted,
      reason,
      currentVersion,
      metric: settings.promotionMetric,
      candidate: candidate[settings.promotionMetric],
      current: current?.[settings.promotionMetric],
    },
    outcome.promoted ? 'model promoted' : 'model published, not promoted',
  );

  return {
    modelName: settings.modelName,
    source,
    events: history.events,
    examples: counts,
    sampledNegatives,
    immatureImpressions: fromImpressions.immature,
    immatureEngagements,
    positives,
    heldOutPositives,
    holdoutCutoffMs: split.cutoffMs,
    featureNames: model.features.map((f) => f.name),
    featureProvenance: provenance,
    promotionMetric: settings.promotionMetric,
    heldOutMetrics: current ? { candidate, current } : { candidate },
    ...(currentVersion !== undefined ? { currentVersion } : {}),
    version: published.version,
    promoted: outcome.promoted,
    reason,
    caveats:
      source === 'engagements'
        ? [
            ...featureCaveats,
            'negatives are sampled posts the user never engaged with, not ignored impressions',
          ]
        : featureCaveats,
  };
}

/** What the new version is judged against: the current version, if it can be read. */
type Baseline =
  | { readonly state: 'none' }
  | { readonly state: 'stored'; readonly version: string; readonly stored: StoredModel }
  /** The pointer names a version that cannot be loaded: nothing to compare with. */
  | { readonly state: 'dangling'; readonly version: string; readonly reason: string };

/**
 * The current version and its model. A pointer to a version the registry no longer holds is
 * not "no current version": promoting over it would skip the comparison, so it is reported
 * and left to an operator (promoting a stored version by hand repairs it).
 */
async function readBaseline(registry: ModelRegistry, name: string): Promise<Baseline> {
  const dangling = (version: string, what: string): Baseline => ({
    state: 'dangling',
    version,
    reason: `the current pointer names ${name}@${version}, whose ${what}: nothing to compare this version with, so it is not promoted (promote a stored version by hand to repair the pointer)`,
  });
  let info: ModelVersion | undefined;
  try {
    info = await registry.current(name);
  } catch (error) {
    if (!(error instanceof DanglingCurrentVersionError)) throw error;
    const what = error.missing === 'document' ? 'model document' : 'metadata';
    return dangling(error.version, `${what} is no longer stored`);
  }
  if (info === undefined) return { state: 'none' };
  const stored = await registry.get(name, info.version);
  // Gone since current() read it: pruned after the pointer moved on, or lost.
  if (stored === undefined) return dangling(info.version, 'model document could not be loaded');
  return { state: 'stored', version: info.version, stored };
}

/**
 * Promotes `version` only while `name` still points where it did when the run read it
 * (`expected`, undefined for none): another run may have promoted its own version since, and
 * this one was not compared with it. `moved` is what the pointer names then (null: none).
 */
async function promoteOver(
  registry: ModelRegistry,
  name: string,
  version: string,
  expected: string | undefined,
): Promise<{ promoted: boolean; moved: string | null | undefined }> {
  try {
    await registry.promote(name, version, { expectedCurrent: expected ?? null });
    return { promoted: true, moved: undefined };
  } catch (error) {
    if (!(error instanceof CurrentVersionChangedError)) throw error;
    return { promoted: false, moved: error.actual };
  }
}

type Direction = 'higher' | 'lower';

/** Which way each metric `evaluateModel` reports per objective improves. */
const METRIC_DIRECTIONS: ReadonlyMap<string, Direction> = new Map([
  ['auc', 'higher'],
  ['logloss', 'lower'],
  ['ece', 'lower'],
]);

/**
 * Whether a higher or a lower value of `metric` is better; throws naming the option when the
 * held-out evaluation does not compute a metric of that name.
 */
export function promotionDirection(metric: string): Direction {
  const cut = metric.indexOf('_');
  const direction = cut > 0 ? METRIC_DIRECTIONS.get(metric.slice(0, cut)) : undefined;
  const objective = metric.slice(cut + 1);
  if (direction === undefined || !isObjectiveName(objective)) {
    throw new InvalidArgumentError(
      'promotionMetric',
      `must be <metric>_<objective> with metric one of ${[...METRIC_DIRECTIONS.keys()].join(', ')} and objective one of ${OBJECTIVES.join(', ')}, not ${JSON.stringify(metric)}`,
    );
  }
  return direction;
}

function decide(
  metric: string,
  better: Direction,
  candidate: Readonly<Record<string, number>>,
  current: Readonly<Record<string, number>> | undefined,
  heldOut: {
    examples: number;
    positives: Readonly<Record<ObjectiveName, number>>;
    minPositives: number;
  },
): { promote: boolean; reason: string } {
  const mine = candidate[metric];
  if (current === undefined) return { promote: true, reason: 'no current version' };
  // promotionDirection has checked the name: <metric>_<objective>.
  const objective = metric.slice(metric.indexOf('_') + 1) as ObjectiveName;
  const positives = heldOut.positives[objective];
  const negatives = heldOut.examples - positives;
  if (positives < heldOut.minPositives || negatives < heldOut.minPositives) {
    return {
      promote: false,
      reason: `the held-out slice has ${positives} ${objective} positives and ${negatives} negatives, fewer than TRAINER_PROMOTION_MIN_POSITIVES (${heldOut.minPositives}) of each: too few to tell the versions apart on ${metric}`,
    };
  }
  const theirs = current[metric];
  if (mine === undefined || !Number.isFinite(mine)) {
    return { promote: false, reason: `${metric} undefined on the held-out slice` };
  }
  if (theirs === undefined || !Number.isFinite(theirs)) {
    return { promote: true, reason: `current version has no ${metric} on the held-out slice` };
  }
  const [wins, loses] = better === 'higher' ? ['>', '<='] : ['<', '>='];
  const beats = better === 'higher' ? mine > theirs : mine < theirs;
  return {
    promote: beats,
    reason: `${metric} ${mine.toFixed(4)} ${beats ? wins : loses} current ${theirs.toFixed(4)}`,
  };
}

function withAllObjectives(
  counts: Partial<Record<ObjectiveName, number>>,
): Record<ObjectiveName, number> {
  return Object.fromEntries(OBJECTIVES.map((o) => [o, counts[o] ?? 0])) as Record<
    ObjectiveName,
    number
  >;
}

/** The examples restricted to the named columns (in that order); unknown names fail the run. */
function keepColumns(examples: LabeledExamples, names: readonly string[]): LabeledExamples {
  const from = names.map((name) => {
    const index = examples.names.indexOf(name);
    if (index === -1) {
      throw new FailedPreconditionError(
        `feature ${name} was requested for training but the feature source does not serve it`,
      );
    }
    return index;
  });
  const width = examples.names.length;
  const values = new Float32Array(examples.rows * names.length);
  const missing = new Uint8Array(Math.ceil(values.length / 8));
  for (let r = 0; r < examples.rows; r += 1) {
    from.forEach((c, k) => {
      const source = r * width + c;
      const target = r * names.length + k;
      values[target] = examples.values[source] as number;
      if (isMissing(examples.missing, source)) setMissing(missing, target);
    });
  }
  return { names: [...names], rows: examples.rows, values, missing, labels: examples.labels };
}

function fitLogistic(
  examples: Parameters<typeof trainLogistic>[0],
  l2: number,
  description: string,
): { model: ModelDocument; constantObjectives: string[] } {
  const { model, fits } = trainLogistic(examples, { l2, description });
  return { model, constantObjectives: fits.filter((f) => f.constant).map((f) => f.objective) };
}
