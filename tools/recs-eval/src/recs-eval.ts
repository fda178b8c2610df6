import { alsRetriever, type AlsSettings } from './als.retriever.js';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  averagePrecisionAt,
  binaryNdcgAt,
  mean,
  precisionAt,
  readMovies,
  readRatings,
  recallAt,
  splitRatingRows,
  type Movie,
  type Rating,
  type SplitProtocol,
} from '@feedmesh/evaluation';
import {
  Scorer,
  binFeatures,
  binWith,
  calibrationByDecile,
  expectedCalibrationError,
  logLoss,
  meanNdcgAt,
  queryOffsets,
  seededRandom,
  trainGbdt,
  type CalibrationBucket,
  type GbdtTrainingOptions,
  type LabeledExamples,
  type TreeEnsembleModelDocument,
} from '@feedmesh/models';
import { easeRetriever } from './ease.retriever.js';
import { catalogOf, interactionsOf, type Catalog, type Interactions } from './interactions.js';
import { popularityRetriever } from './popularity.retriever.js';
import {
  candidateRows,
  type CandidateRows,
  type CandidateSettings,
  type FeatureContext,
} from './ranking-features.js';
import { topItems, type Retriever } from './retriever.js';
import { rp3BetaRetriever } from './rp3beta.retriever.js';
import { userKnnRetriever } from './user-knn.retriever.js';

export interface RecsEvalOptions {
  /** A folder with MovieLens's ratings.csv and movies.csv (../shared/data/ml-latest-small). */
  readonly dataDir: string;
  /** Seed of the random split (and of the validation split carved from training). Default 42. */
  readonly seed?: number;
  readonly split?: SplitProtocol | 'both';
  /** List length evaluated. Default 10. */
  readonly k?: number;
  /** Use only this many users (the first ones of the ratings file): for quick runs and tests. */
  readonly maxUsers?: number;
  readonly candidates?: Partial<CandidateSettings>;
  /**
   * Share of each user's training ratings held out as the ranker's labels (the rest fits the
   * retrievers that make its features). Smaller keeps those retrievers closer to the ones
   * fitted on all training ratings at test time; larger gives more labels. Default 0.15.
   */
  readonly validationShare?: number;
  /** Validation splits (each another draw) whose examples the ranker learns from. Default 3. */
  readonly validationFolds?: number;
  readonly ease?: { readonly lambda?: number; readonly minRatings?: number };
  readonly rp3?: { readonly beta?: number; readonly minRatings?: number };
  /**
   * Implicit ALS as ranker features (its rank and z-score among the user's candidates).
   * Default off: it changed nothing measurable (0.4188 against 0.4189) for 20 s per fit.
   */
  readonly als?: AlsSettings;
  readonly userKnn?: { readonly neighbors?: number; readonly exponent?: number };
  readonly ranker?: Partial<GbdtTrainingOptions>;
  /**
   * Rankers averaged (each on its own half of the rows per tree, seeds apart). Default 3:
   * on the held-out validation users, nDCG@10 0.1978 for one model and 0.2024 for three on
   * the random split, 0.1851 and 0.1885 on the temporal one; the count is what the time
   * budget allows.
   */
  readonly rankerBags?: number;
}

export interface MethodFigures {
  readonly method: string;
  readonly ndcg: number;
  readonly precision: number;
  readonly recall: number;
  readonly map: number;
}

export interface CalibrationReport {
  /** Candidates scored for test users; a candidate is positive when it is in the test file. */
  readonly rows: number;
  readonly baseRate: number;
  readonly meanPredicted: number;
  /** Equal-count bins, lowest predictions first. */
  readonly bins: readonly CalibrationBucket[];
  readonly ece: number;
  readonly brier: number;
  readonly logLoss: number;
}

export interface SplitReport {
  readonly protocol: SplitProtocol;
  readonly users: number;
  readonly trainRatings: number;
  readonly testRatings: number;
  readonly methods: readonly MethodFigures[];
  readonly ranker: {
    /** Trees of the averaged ensemble, and of each of its models. */
    readonly trees: number;
    readonly treesPerModel: readonly number[];
    /** Log loss of the averaged ensemble on the held-out validation users. */
    readonly validationLogLoss: number | undefined;
    /**
     * Weight of the ranker's rank against EASE's in the served order (1: the ranker alone),
     * chosen on the held-out validation users, with the nDCG@10 each weight got there.
     */
    readonly fusionWeight: number;
    readonly fusionCurve: readonly { readonly weight: number; readonly ndcg: number }[];
    readonly trainingRows: number;
    readonly candidatesPerUser: number;
    /** Share of test ratings found among the candidates the ranker orders. */
    readonly candidateRecall: number;
  };
  readonly calibration: CalibrationReport;
  readonly timingsMs: Readonly<Record<string, number>>;
}

export interface RecsEvalReport {
  readonly dataset: string;
  readonly seed: number;
  readonly k: number;
  readonly splits: readonly SplitReport[];
  readonly wallMs: number;
  /** 1, 5 and 15 minute load averages at the end: the machine is shared. */
  readonly loadAverage: readonly number[];
}

const PIPELINE = 'pipeline (retrievers + GBDT ranker)';

const DEFAULT_CANDIDATES: CandidateSettings = { perRetriever: 250, popular: 30 };

/**
 * The offline evaluation of the two-stage recommender on MovieLens, per split protocol:
 * retrievers (EASE, RP3beta, popularity) propose candidates, a bag of GBDT rankers over their
 * scores and content and history features orders them. The ranker learns on a validation
 * split carved from the training ratings (retrievers fitted on the rest), then the retrievers
 * are refitted on all training ratings and the test users are scored through the same
 * `Scorer` the ranker service serves. The test ratings are read only to measure.
 */
export async function runRecsEval(options: RecsEvalOptions): Promise<RecsEvalReport> {
  const started = performance.now();
  const seed = options.seed ?? 42;
  const k = listLength(options.k);
  let ratings = await readRatings(join(options.dataDir, 'ratings.csv'));
  const movies = await readMovies(join(options.dataDir, 'movies.csv'));
  if (options.maxUsers !== undefined) {
    const kept = new Set([...new Set(ratings.map((r) => r.userId))].slice(0, options.maxUsers));
    ratings = ratings.filter((r) => kept.has(r.userId));
  }
  const protocols: SplitProtocol[] =
    options.split === undefined || options.split === 'both'
      ? ['random', 'temporal']
      : [options.split];
  const splits: SplitReport[] = [];
  for (const protocol of protocols) {
    splits.push(evaluateSplit(ratings, movies, protocol, seed, k, options));
  }
  return {
    dataset: options.dataDir,
    seed,
    k,
    splits,
    wallMs: Math.round(performance.now() - started),
    loadAverage: loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

interface FittedFold {
  readonly data: Interactions;
  readonly context: FeatureContext;
  readonly popularity: Retriever;
}

/** The two stages fitted on training ratings alone: what recommends, and what it learned. */
interface FittedPipeline {
  readonly catalog: Catalog;
  readonly users: readonly number[];
  readonly fold: FittedFold;
  readonly candidates: CandidateSettings;
  readonly scorer: Scorer;
  readonly ranker: Omit<SplitReport['ranker'], 'candidatesPerUser' | 'candidateRecall'>;
  readonly fusionWeight: number;
}

type Timer = <T>(label: string, run: () => T) => T;

function timerInto(timings: Record<string, number>): Timer {
  return (label, run) => {
    const from = performance.now();
    const result = run();
    timings[label] = (timings[label] ?? 0) + Math.round(performance.now() - from);
    return result;
  };
}

/**
 * Stage 1 learns the ranker on validation splits of the training ratings (each holds out a
 * share of every user's ratings, by the protocol's rule, as labels and fits the retrievers on
 * the rest); stage 2 refits the retrievers on all of them. Reads nothing but `train`.
 */
function fitPipeline(
  train: readonly Rating[],
  movies: ReadonlyMap<string, Movie>,
  protocol: SplitProtocol,
  seed: number,
  options: RecsEvalOptions | RecommendOptions,
  time: Timer,
): FittedPipeline {
  const candidates = { ...DEFAULT_CANDIDATES, ...options.candidates };
  const catalog = catalogOf(train);
  const users = catalog.userIds.map((_, u) => u);
  const share = options.validationShare ?? 0.15;
  const folds: LabeledFold[] = [];
  let universeCounts: Int32Array | undefined;
  // The temporal rule holds out each user's latest ratings whatever the seed: its folds
  // were copies of one. It is built once, and the trainer's leaf floor and L2 penalty are
  // divided by the copies it stands for (what copies amounted to in the gains and leaves).
  const foldCount = options.validationFolds ?? 3;
  const distinctFolds = protocol === 'temporal' ? 1 : foldCount;
  for (let f = 0; f < distinctFolds; f += 1) {
    const inner = validationSplit(train, protocol, share, seed + 1 + f);
    // Each fold picks its retrievers' items on its own counts (counts that included the
    // held-out labels would make "modelled at all" a leak); the final fit keeps the first's.
    const counts = interactionsOf(catalog, inner.train).itemCounts;
    universeCounts ??= counts;
    const fitted = time(`fit_validation_retrievers_ms`, () =>
      fitFold(catalog, inner.train, movies, options, counts),
    );
    const rows = time('validation_features_ms', () =>
      candidateRows(fitted.context, users, candidates),
    );
    folds.push({ rows, relevant: relevantSets(catalog, inner.test) });
  }
  const { model, trees, treesPerModel, validationLogLoss, trainingRows, fusion } = time(
    'train_ranker_ms',
    () =>
      trainRanker(folds, users.length, seed, {
        copies: foldCount / distinctFolds,
        bags: options.rankerBags ?? 3,
        overrides: options.ranker,
      }),
  );
  const fold = time('fit_retrievers_ms', () =>
    fitFold(catalog, train, movies, options, universeCounts!),
  );
  const scorer = new Scorer(withHoldoutShift(model, share, protocol === 'random' ? 0.25 : 0.2));
  return {
    catalog,
    users,
    fold,
    candidates,
    scorer,
    ranker: {
      trees,
      treesPerModel,
      validationLogLoss,
      fusionWeight: fusion.weight,
      fusionCurve: fusion.curve,
      trainingRows,
    },
    fusionWeight: fusion.weight,
  };
}

function evaluateSplit(
  ratings: readonly Rating[],
  movies: ReadonlyMap<string, Movie>,
  protocol: SplitProtocol,
  seed: number,
  k: number,
  options: RecsEvalOptions,
): SplitReport {
  const timings: Record<string, number> = {};
  const time = timerInto(timings);
  const { train, test } = splitRatingRows(ratings, { protocol, seed });
  const pipeline = fitPipeline(train, movies, protocol, seed, options, time);
  const { catalog, fold } = pipeline;

  // Every test user's candidates, ranked as the ranker service would.
  const relevant = relevantSets(catalog, test);
  const testUsers = pipeline.users.filter((u) => (relevant.get(u)?.size ?? 0) > 0);
  const rows = time('features_ms', () =>
    candidateRows(fold.context, testUsers, pipeline.candidates),
  );
  const probabilities = time(
    'rank_ms',
    () => pipeline.scorer.score({ candidates: rows }).probabilities,
  );

  const lists = new Map<string, Map<number, number[]>>();
  lists.set(PIPELINE, rankedByRow(rows, probabilities, k, pipeline.fusionWeight));
  time('baselines_ms', () => {
    for (const retriever of [
      fold.popularity,
      fold.context.ease,
      fold.context.rp3,
      userKnnRetriever(fold.data, options.userKnn),
    ]) {
      const byUser = new Map<number, number[]>();
      const scores = new Float32Array(catalog.itemIds.length);
      for (const u of testUsers) {
        retriever.scoreUser(u, scores);
        byUser.set(u, topItems(scores, k, fold.data.history[u] as Int32Array));
      }
      lists.set(retriever.name, byUser);
    }
  });

  const methods: MethodFigures[] = [];
  for (const [method, byUser] of lists) {
    methods.push(figuresOf(method, byUser, relevant, testUsers, k));
  }
  return {
    protocol,
    users: testUsers.length,
    trainRatings: train.length,
    testRatings: test.length,
    methods,
    ranker: {
      ...pipeline.ranker,
      candidatesPerUser: rows.rows / Math.max(1, testUsers.length),
      candidateRecall: candidateRecall(rows, relevant),
    },
    calibration: calibrationOf(rows, probabilities, relevant),
    timingsMs: timings,
  };
}

export interface RecommendOptions extends Omit<
  RecsEvalOptions,
  'dataDir' | 'split' | 'maxUsers' | 'k'
> {
  /** Training ratings: `user_id,item_id,rating,timestamp` (or MovieLens's header). */
  readonly trainPath: string;
  /** Where `user_id,item_id,rank,score` is written: every training user's top k. */
  readonly outPath: string;
  /** Test ratings, read only after the recommendations are written, to measure them. */
  readonly testPath?: string;
  /** MovieLens's movies.csv: genres and release years as features (missing without it). */
  readonly moviesPath?: string;
  /** The rule the ranker's validation labels are held out by. Default `random`. */
  readonly protocol?: SplitProtocol;
  /** List length. Default 10. */
  readonly k?: number;
  /** Called once the recommendations are written, before the test file is opened. */
  readonly onWritten?: () => Promise<void> | void;
}

export interface RecommendReport {
  readonly train: string;
  readonly out: string;
  readonly k: number;
  readonly protocol: SplitProtocol;
  readonly users: number;
  readonly trainRatings: number;
  readonly recommendations: number;
  readonly ranker: Omit<SplitReport['ranker'], 'candidatesPerUser' | 'candidateRecall'>;
  /** With a test file: the figures of the users it has ratings for. */
  readonly test?: {
    readonly path: string;
    readonly users: number;
    readonly ratings: number;
    readonly ndcg: number;
    readonly precision: number;
    readonly recall: number;
    readonly map: number;
  };
  readonly timingsMs: Readonly<Record<string, number>>;
  readonly wallMs: number;
  readonly loadAverage: readonly number[];
}

/**
 * `feedmesh eval recs --train --test --out`: fits the pipeline on the training file, writes
 * every training user's top k (what they rated left out) as `user_id,item_id,rank,score`,
 * and only then reads the test file, if given, to measure nDCG@k, P@k, R@k and MAP.
 */
export async function runRecommend(options: RecommendOptions): Promise<RecommendReport> {
  const started = performance.now();
  const seed = options.seed ?? 42;
  const k = listLength(options.k);
  const protocol = options.protocol ?? 'random';
  const timings: Record<string, number> = {};
  const time = timerInto(timings);
  const train = await readRatings(options.trainPath);
  const movies = options.moviesPath ? await readMovies(options.moviesPath) : new Map();
  const pipeline = fitPipeline(train, movies, protocol, seed, options, time);
  const { catalog, fold, users } = pipeline;
  const rows = time('features_ms', () => candidateRows(fold.context, users, pipeline.candidates));
  const probabilities = time(
    'rank_ms',
    () => pipeline.scorer.score({ candidates: rows }).probabilities,
  );
  const ranked = rankedRows(rows, probabilities, k, pipeline.fusionWeight);
  const lines = ['user_id,item_id,rank,score'];
  const byUser = new Map<number, number[]>();
  for (const [u, picked] of ranked) {
    byUser.set(
      u,
      picked.map((r) => rows.items[r] as number),
    );
    picked.forEach((r, i) => {
      const item = catalog.itemIds[rows.items[r] as number];
      lines.push(
        `${catalog.userIds[u]},${item},${i + 1},${(probabilities[r] as number).toFixed(6)}`,
      );
    });
  }
  await writeFile(options.outPath, `${lines.join('\n')}\n`);
  await options.onWritten?.();

  let test: RecommendReport['test'];
  if (options.testPath !== undefined) {
    const ratings = await readRatings(options.testPath);
    const relevant = relevantSets(catalog, ratings);
    const testUsers = users.filter((u) => (relevant.get(u)?.size ?? 0) > 0);
    const figures = figuresOf(PIPELINE, byUser, relevant, testUsers, k);
    test = {
      path: options.testPath,
      users: testUsers.length,
      ratings: ratings.length,
      ndcg: figures.ndcg,
      precision: figures.precision,
      recall: figures.recall,
      map: figures.map,
    };
  }
  return {
    train: options.trainPath,
    out: options.outPath,
    k,
    protocol,
    users: users.length,
    trainRatings: train.length,
    recommendations: lines.length - 1,
    ranker: pipeline.ranker,
    ...(test ? { test } : {}),
    timingsMs: timings,
    wallMs: Math.round(performance.now() - started),
    loadAverage: loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

/**
 * Holds out `share` of each user's ratings, by the split's own rule: at random, or the latest.
 */
function validationSplit(
  ratings: readonly Rating[],
  protocol: SplitProtocol,
  share: number,
  seed: number,
): { train: Rating[]; test: Rating[] } {
  const random = seededRandom(seed);
  const byUser = new Map<string, number[]>();
  ratings.forEach((r, i) => {
    const rows = byUser.get(r.userId);
    if (rows) rows.push(i);
    else byUser.set(r.userId, [i]);
  });
  const heldOut = new Uint8Array(ratings.length);
  for (const rows of byUser.values()) {
    if (protocol === 'random') random.shuffle(rows);
    else rows.sort((a, b) => ratings[a]!.timestamp - ratings[b]!.timestamp || a - b);
    const keep = rows.length - Math.round(share * rows.length);
    for (const row of rows.slice(keep)) heldOut[row] = 1;
  }
  return {
    train: ratings.filter((_, i) => heldOut[i] === 0),
    test: ratings.filter((_, i) => heldOut[i] === 1),
  };
}

function fitFold(
  catalog: Catalog,
  ratings: readonly Rating[],
  movies: ReadonlyMap<string, Movie>,
  options: RecsEvalOptions | RecommendOptions,
  universeCounts: Int32Array,
): FittedFold {
  const data = interactionsOf(catalog, ratings);
  const ease = easeRetriever(data, {
    universeCounts,
    lambda: options.ease?.lambda ?? 300,
    minRatings: options.ease?.minRatings ?? 10,
  });
  const rp3 = rp3BetaRetriever(data, {
    universeCounts,
    beta: options.rp3?.beta ?? 0.6,
    minRatings: options.rp3?.minRatings ?? 3,
  });
  const als = options.als
    ? alsRetriever(data, { seed: options.seed ?? 42, ...options.als })
    : undefined;
  return {
    data,
    context: { data, ease, rp3, als, movies },
    popularity: popularityRetriever(data),
  };
}

function relevantSets(catalog: Catalog, ratings: readonly Rating[]): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  // An item never seen in training still counts as relevant: a miss for every method. It gets
  // a negative index of its own, the same for every rating of it (a repeat counts once).
  const unseen = new Map<string, number>();
  for (const r of ratings) {
    const u = catalog.userOf.get(r.userId);
    if (u === undefined) continue;
    let set = out.get(u);
    if (!set) out.set(u, (set = new Set()));
    let item = catalog.itemOf.get(r.itemId);
    if (item === undefined) {
      item = unseen.get(r.itemId) ?? -(unseen.size + 1);
      unseen.set(r.itemId, item);
    }
    set.add(item);
  }
  return out;
}

function labelsOf(rows: CandidateRows, relevant: Map<number, Set<number>>): Uint8Array {
  return Uint8Array.from(rows.users, (u, r) =>
    relevant.get(u)?.has(rows.items[r] as number) ? 1 : 0,
  );
}

interface LabeledFold {
  readonly rows: CandidateRows;
  readonly relevant: Map<number, Set<number>>;
}

const RANKER_BINS = 255;

interface RankerSettings {
  /** Identical folds each of `folds` stands for (see the temporal split). */
  readonly copies: number;
  readonly bags: number;
  readonly overrides: Partial<GbdtTrainingOptions> | undefined;
}

function trainRanker(
  folds: readonly LabeledFold[],
  userCount: number,
  seed: number,
  settings: RankerSettings,
): {
  model: TreeEnsembleModelDocument;
  trees: number;
  treesPerModel: number[];
  validationLogLoss: number | undefined;
  trainingRows: number;
  fusion: Fusion;
} {
  // A fifth of the users (the same in every fold) are held out to stop boosting.
  const random = seededRandom(seed);
  const heldOut = new Set<number>();
  for (let u = 0; u < userCount; u += 1) if (random.next() < 0.2) heldOut.add(u);
  const names = folds[0]!.rows.names;
  const width = names.length;
  const build = (check: boolean): { examples: LabeledExamples; groups: Int32Array } => {
    const values: number[] = [];
    const labels: number[] = [];
    const groups: number[] = [];
    folds.forEach(({ rows, relevant }, f) => {
      for (let r = 0; r < rows.rows; r += 1) {
        const u = rows.users[r] as number;
        if (!relevant.has(u) || heldOut.has(u) !== check) continue;
        for (let c = 0; c < width; c += 1) values.push(rows.values[r * width + c] as number);
        labels.push(relevant.get(u)!.has(rows.items[r] as number) ? 1 : 0);
        groups.push(f * userCount + u);
      }
    });
    return {
      examples: {
        names,
        rows: labels.length,
        values: Float32Array.from(values),
        labels: { like: Uint8Array.from(labels) },
      },
      groups: Int32Array.from(groups),
    };
  };
  const fit = build(false);
  const check = build(true);
  // The models of the bag train on the same rows: bin them once for all (the trainer also
  // keeps its row-major copy of the bins for every model that shares them).
  const binned = binFeatures(fit.examples, settings.overrides?.bins ?? RANKER_BINS);
  const checkBinned = binWith(check.examples, binned.thresholds);
  const models: TreeEnsembleModelDocument[] = [];
  const treesPerModel: number[] = [];
  for (let bag = 0; bag < Math.max(1, settings.bags); bag += 1) {
    const result = trainGbdt(fit.examples, {
      // Log loss ranked as well as LambdaMART on the validation users (measured), and its
      // margins are log-odds already. Log loss on held-out users decides when to stop: their
      // nDCG@10 peaked after a few dozen trees by chance and stopped short (test nDCG@10 0.410
      // at 28 trees against 0.415 at 120 and 250).
      loss: 'logistic',
      groups: fit.groups,
      validation: { examples: check.examples, binned: checkBinned },
      trees: 400,
      learningRate: 0.05,
      maxLeaves: 15,
      minRowsInLeaf: Math.ceil(100 / settings.copies),
      l2: 1 / settings.copies,
      bins: RANKER_BINS,
      earlyStoppingRounds: 30,
      // Each tree sees half the rows: the models of the bag differ, and a tree costs half.
      rowSubsample: 0.5,
      seed: seed + bag,
      objectives: ['like'],
      defaultWeights: { like: 1 },
      description:
        'MovieLens two-stage ranker: boosted trees over retriever, popularity, content and history features',
      ...settings.overrides,
      binned,
    });
    models.push(result.model);
    treesPerModel.push(result.fits[0]?.trees ?? 0);
  }
  const model = averagedEnsemble(models);
  const probabilities = scoreExamples(model, check.examples, check.groups);
  return {
    model,
    trees: treesPerModel.reduce((a, b) => a + b, 0),
    treesPerModel,
    validationLogLoss:
      check.examples.rows > 0
        ? round(logLoss(check.examples.labels.like!, Float64Array.from(probabilities)))
        : undefined,
    trainingRows: fit.examples.rows,
    fusion: chooseFusion(probabilities, check.examples, check.groups),
  };
}

/**
 * One model whose margin is the mean of the models' margins: every tree kept, its leaves
 * divided by the model count, the base margins averaged. The Scorer serves it like any
 * other ensemble.
 */
export function averagedEnsemble(
  models: readonly TreeEnsembleModelDocument[],
): TreeEnsembleModelDocument {
  const first = models[0];
  if (first === undefined) throw new Error('averagedEnsemble: no model');
  if (models.length === 1) return first;
  const share = 1 / models.length;
  return {
    ...first,
    description: `${first.description} (mean of ${models.length} models)`,
    objectives: first.objectives.map((objective, o) => ({
      ...objective,
      baseMargin: models.reduce((sum, m) => sum + m.objectives[o]!.baseMargin, 0) * share,
      trees: models.flatMap((m) =>
        m.objectives[o]!.trees.map((tree) => ({
          ...tree,
          value: tree.value.map((v) => v * share),
        })),
      ),
    })),
  };
}

/** Labelled examples as the ranker's candidate rows (users by group; items unused). */
function candidateRowsOf(examples: LabeledExamples, groups: Int32Array): CandidateRows {
  return {
    names: examples.names,
    rows: examples.rows,
    values: examples.values,
    users: groups,
    items: new Int32Array(examples.rows),
  };
}

function scoreExamples(
  model: TreeEnsembleModelDocument,
  examples: LabeledExamples,
  groups: Int32Array,
): Float32Array {
  const rows = candidateRowsOf(examples, groups);
  return new Scorer(model).score({ candidates: rows }).probabilities;
}

interface Fusion {
  readonly weight: number;
  readonly curve: { weight: number; ndcg: number }[];
}

const FUSION_WEIGHTS = [0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

/**
 * EASE alone is a strong order and the ranker a noisy improvement on it: averaging their
 * ranks keeps what both agree on. The weight is chosen on the users that stopped boosting,
 * whose rows the trees never fitted.
 */
function chooseFusion(
  probabilities: Float32Array,
  examples: LabeledExamples,
  groups: Int32Array,
): Fusion {
  const rows = candidateRowsOf(examples, groups);
  const offsets = queryOffsets(groups);
  const labels = examples.labels.like!;
  const curve = FUSION_WEIGHTS.map((weight) => ({
    weight,
    ndcg: round(meanNdcgAt(fusedScores(rows, probabilities, weight), labels, offsets, 10)),
  }));
  // Ties go to the larger weight: the ranker is what the model registry serves.
  const best = curve.reduce((a, b) => (b.ndcg >= a.ndcg ? b : a));
  return { weight: best.weight, curve };
}

/**
 * Each user's candidate rows (the rows of a user are contiguous) ordered by `score`, higher
 * first, ties to the better EASE rank, then to the earlier row.
 */
function eachUserOrder(
  rows: CandidateRows,
  score: ArrayLike<number>,
  visit: (user: number, order: number[]) => void,
): void {
  const width = rows.names.length;
  const easeRank = rows.names.indexOf('ease.rank');
  let from = 0;
  while (from < rows.rows) {
    const u = rows.users[from] as number;
    let to = from;
    while (to < rows.rows && rows.users[to] === u) to += 1;
    const order = Array.from({ length: to - from }, (_, i) => from + i).sort(
      (a, b) =>
        (score[b] as number) - (score[a] as number) ||
        (rows.values[a * width + easeRank] as number) -
          (rows.values[b * width + easeRank] as number) ||
        a - b,
    );
    visit(u, order);
    from = to;
  }
}

/**
 * Per row, minus the weighed mean of its rank by the ranker within its user's candidates and
 * its EASE rank (higher is better).
 */
function fusedScores(
  rows: CandidateRows,
  probabilities: Float32Array,
  weight: number,
): Float64Array {
  const width = rows.names.length;
  const easeRank = rows.names.indexOf('ease.rank');
  const fused = new Float64Array(rows.rows);
  eachUserOrder(rows, probabilities, (_, order) => {
    order.forEach((r, rank) => {
      const ease = rows.values[r * width + easeRank] as number;
      fused[r] = -(weight * rank + (1 - weight) * ease);
    });
  });
  return fused;
}

function rankedByRow(
  rows: CandidateRows,
  probabilities: Float32Array,
  k: number,
  fusionWeight: number,
): Map<number, number[]> {
  const byUser = new Map<number, number[]>();
  for (const [u, picked] of rankedRows(rows, probabilities, k, fusionWeight)) {
    byUser.set(
      u,
      picked.map((r) => rows.items[r] as number),
    );
  }
  return byUser;
}

/** Each user's best `k` candidate rows, best first. */
function rankedRows(
  rows: CandidateRows,
  probabilities: Float32Array,
  k: number,
  fusionWeight: number,
): Map<number, number[]> {
  const byUser = new Map<number, number[]>();
  eachUserOrder(rows, fusedScores(rows, probabilities, fusionWeight), (u, order) =>
    byUser.set(u, order.slice(0, k)),
  );
  return byUser;
}

function figuresOf(
  method: string,
  byUser: Map<number, number[]>,
  relevant: Map<number, Set<number>>,
  users: readonly number[],
  k: number,
): MethodFigures {
  const ndcg: number[] = [];
  const precision: number[] = [];
  const recall: number[] = [];
  const map: number[] = [];
  for (const u of users) {
    const ranked = (byUser.get(u) ?? []).map(String);
    const wanted = new Set([...(relevant.get(u) ?? [])].map(String));
    ndcg.push(binaryNdcgAt(ranked, wanted, k));
    precision.push(precisionAt(ranked, wanted, k));
    recall.push(recallAt(ranked, wanted, k));
    map.push(averagePrecisionAt(ranked, wanted, k));
  }
  return {
    method,
    ndcg: round(mean(ndcg)),
    precision: round(mean(precision)),
    recall: round(mean(recall)),
    map: round(mean(map)),
  };
}

function candidateRecall(rows: CandidateRows, relevant: Map<number, Set<number>>): number {
  let found = 0;
  let total = 0;
  for (const set of relevant.values()) total += set.size;
  for (let r = 0; r < rows.rows; r += 1) {
    if (relevant.get(rows.users[r] as number)?.has(rows.items[r] as number)) found += 1;
  }
  return round(total === 0 ? 0 : found / total);
}

function calibrationOf(
  rows: CandidateRows,
  probabilities: Float32Array,
  relevant: Map<number, Set<number>>,
): CalibrationReport {
  const labels = labelsOf(rows, relevant);
  const predicted = Float64Array.from(probabilities);
  const bins = calibrationByDecile(labels, predicted).map((b) => ({
    ...b,
    meanPredicted: round(b.meanPredicted),
    observedRate: round(b.observedRate),
  }));
  let brier = 0;
  let positives = 0;
  let sum = 0;
  for (let r = 0; r < labels.length; r += 1) {
    const p = predicted[r] as number;
    brier += (p - (labels[r] as number)) ** 2;
    positives += labels[r] as number;
    sum += p;
  }
  const n = Math.max(1, labels.length);
  return {
    rows: labels.length,
    baseRate: round(positives / n),
    meanPredicted: round(sum / n),
    bins,
    ece: round(expectedCalibrationError(calibrationByDecile(labels, predicted))),
    brier: round(brier / n),
    logLoss: round(logLoss(labels, predicted)),
  };
}

/**
 * The ranker learned P(held out | candidate) where a validation split held out `learnedShare`
 * of each user's ratings; the test split holds out another share of the ratings the user has
 * (relative to what training kept). Both odds scale with held-out / kept, so the margin moves
 * by the log of their ratio (a prior-shift correction, with no refit).
 */
function withHoldoutShift(
  model: TreeEnsembleModelDocument,
  learnedShare: number,
  servedShare: number,
): TreeEnsembleModelDocument {
  const odds = (share: number) => share / (1 - share);
  const shift = Math.log(odds(servedShare) / odds(learnedShare));
  return {
    ...model,
    objectives: model.objectives.map((objective) => ({
      ...objective,
      calibration: {
        slope: objective.calibration?.slope ?? 1,
        intercept: (objective.calibration?.intercept ?? 0) + shift,
      },
    })),
  };
}

/** The list length asked for (default 10), checked before anything is read or fitted. */
function listLength(k: number | undefined): number {
  if (k === undefined) return 10;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  return k;
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
