import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import {
  trainEmbeddings,
  type ImplicitAlsOptions,
  type SessionEaseOptions,
} from '@feedmesh/embeddings';
import { existsSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@feedmesh/errors';
import {
  mean,
  readMovies,
  readRatings,
  recallAt,
  releaseYearOf,
  splitRatings,
  type Movie,
  type Rating,
} from '@feedmesh/evaluation';
import { createLogger } from '@feedmesh/telemetry';
import { assembleCandidatePipeline } from '../candidate-pipeline.js';
import { DEFAULT_SETTINGS, type CandidateSettings } from '../candidate-settings.js';
import { SOURCE_NAMES } from '../candidate-source.js';
import { DAY_MS, DEFAULT_STORE_LIMITS, type StoreLimits } from '../candidate-store.js';
import {
  DEFAULT_CO_ENGAGEMENT_SETTINGS,
  type CoEngagementSettings,
} from '../co-engagement.source.js';
import { halfLifeOf } from '../decay.js';
import { InMemoryCandidateStore } from '../in-memory-candidate-store.js';
import { DEFAULT_SESSION_SETTINGS, type SessionSettings } from '../session.source.js';
import { unionWeights } from './union-weights.js';

export interface CandidateEvalOptions {
  /** Training ratings CSV (`user_id,item_id,rating,timestamp` or MovieLens's header). */
  readonly train?: string;
  /** Test ratings CSV, same format. */
  readonly test?: string;
  /** The same as `train` and `test`, under the names `splitRatings` reports them with. */
  readonly trainPath?: string;
  readonly testPath?: string;
  /**
   * A MovieLens folder (ratings.csv, movies.csv), e.g. ../shared/data/ml-latest-small: used
   * when no train and test files are given, split by the README protocol (`splitRatings`,
   * random 75/25 per user) with `seed`; its movies.csv is the default `movies`.
   */
  readonly dataDir?: string;
  /** Seed of the split of `dataDir`. Default 42. */
  readonly seed?: number;
  /** MovieLens movies.csv: each movie's genres become its post's tags. */
  readonly movies?: string;
  /** Cut-offs. Default 100, 500, 1,000. */
  readonly ks?: readonly number[];
  /** Evaluate only the first N test users (in id order): for a quick run. Default all. */
  readonly users?: number;
  /** Sources measured alone (the union always uses every source). Default all. */
  readonly sources?: readonly string[];
  /** Implicit ALS settings of the embedding training (defaults below). */
  readonly embeddings?: ImplicitAlsOptions;
  /** The related source's item-to-item model; `false` trains none. Default EVAL_NEIGHBOURS. */
  readonly neighbours?: SessionEaseOptions | false;
  readonly coEngagement?: Partial<CoEngagementSettings>;
  readonly session?: Partial<SessionSettings>;
  /** Fusion weights of the union by source; default: the SURFACE_FOR_YOU defaults. */
  readonly weights?: Readonly<Record<string, number>>;
  /**
   * The union asks every source for this many times max(ks) candidates (the request's
   * `source_budgets`; with `unionPerK`, times K) and is cut at max(ks) (`max_candidates`).
   * Default UNION_SOURCE_DEPTH.
   */
  readonly sourceDepth?: number;
  /**
   * Ask for the union once per K (budgets and `max_candidates` K), as every figure before
   * 2026-11-27 was measured, instead of once at max(ks) and read at each K. Default false.
   */
  readonly unionPerK?: boolean;
  /**
   * Writes each test user's list from every source alone (top max(ks), best first) with their
   * test items to this file, one JSON object a line (`{ userId, lists: { source: [postId] },
   * relevant: [postId] }`): what offline fusion experiments start from.
   */
  readonly listsPath?: string;
  /**
   * When each test user is asked. `end` (the default): at the end of the training data, as a
   * service asked today would be. `last-activity`: as of the user's last training rating, the
   * moment a replay of their history ends: a movie released after it (a title year later than
   * that rating's) did not exist yet and is left out the way the caller's `exclude` leaves
   * posts out. Needs `movies` (the titles). Only training data decides the moment.
   */
  readonly askAt?: AskAt;
  readonly progress?: (line: string) => void;
}

/** When the evaluation asks each test user: see `CandidateEvalOptions.askAt`. */
export type AskAt = 'end' | 'last-activity';
export const ASK_AT: readonly AskAt[] = ['end', 'last-activity'];

export interface CandidateEvalReport {
  readonly data: {
    readonly trainRatings: number;
    readonly testRatings: number;
    readonly items: number;
    readonly users: number;
    readonly tags: number;
  };
  readonly ks: readonly number[];
  /** When each user was asked, and how many candidate movies were not released yet then. */
  readonly askAt: {
    readonly when: AskAt;
    /** Mean over test users of the movies seen in training released after their moment. */
    readonly unreleasedPerUser: number;
  };
  /** Mean over test users of hits in the top k / the user's test ratings, per source and union. */
  readonly recall: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** How the union is ranked and cut. */
  readonly union: string;
  readonly embeddings: { readonly factors: number; readonly trainMs: number };
  readonly timings: { readonly replayMs: number; readonly evaluateMs: number };
  /** Where the per-source lists were written, when asked. */
  readonly listsPath?: string;
}

const BLOG = 'movielens';
const SURFACE = commonv1.Surface.SURFACE_FOR_YOU;

/**
 * The offline evaluation of candidate generation on a ratings data set (ml-latest-small and
 * its protocol, ../shared/data/README.md): replays the training ratings as events through the
 * real indexer (each rated item a post, its genres its tags, each rating a like at its time),
 * trains the embeddings on the same ratings with the trainer's code, and for every test user
 * asks the real generator for candidates, excluding what the user rated in training:
 * - each source alone, with a budget of max(ks);
 * - the union: one Generate of max(ks) candidates with every source budgeted max(ks) (times
 *   `sourceDepth`), what a caller asking for max(ks) gets (reciprocal rank fusion, cut at
 *   max(ks)), and recall@K of its first K: the usual reading of one ranked list at several
 *   cut-offs. `unionPerK` asks once per K instead.
 * Recall@k counts every test rating as relevant, including items never seen in training.
 */
export async function runCandidateEval(
  options: CandidateEvalOptions,
): Promise<CandidateEvalReport> {
  const ks = [...(options.ks ?? [100, 500, 1000])].sort((a, b) => a - b);
  const maxK = ks[ks.length - 1]!;
  const sourceDepth = options.sourceDepth ?? UNION_SOURCE_DEPTH;
  if (!(sourceDepth >= 1)) {
    throw new InvalidArgumentError('source_depth', 'must be at least 1 (a multiple of K)');
  }
  checkSourceNames('sources', options.sources ?? []);
  const weights = unionWeights(options.weights ?? {});
  const progress = options.progress ?? (() => undefined);
  const files = await ratingFiles(options);
  const [train, test, movies] = await Promise.all([
    readFileAs('train', files.train, readRatings),
    readFileAs('test', files.test, readRatings),
    files.movies ? readFileAs('movies', files.movies, readMovies) : Promise.resolve(undefined),
  ]).finally(files.cleanup);
  const tagsOf = (itemId: string) => movies?.get(itemId)?.genres ?? [];
  const askAt = options.askAt ?? 'end';
  if (!ASK_AT.includes(askAt)) {
    throw new InvalidArgumentError('ask_at', `must be one of ${ASK_AT.join(', ')}, not ${askAt}`);
  }
  if (askAt === 'last-activity' && !movies) {
    throw new InvalidArgumentError(
      'movies',
      'is needed to ask at last-activity: release years come from the titles',
    );
  }

  const store = new InMemoryCandidateStore(EVAL_STORE_LIMITS);
  const nowMs = Math.max(...train.map((r) => r.timestamp)) * 1000 + 1000;
  const pipeline = assembleCandidatePipeline({
    store,
    settings: EVAL_SETTINGS,
    storeLimits: EVAL_STORE_LIMITS,
    clock: () => nowMs,
    logger: createLogger('candidate-eval', { level: 'silent' }),
    coEngagement: { ...EVAL_CO_ENGAGEMENT, ...options.coEngagement },
    session: { ...EVAL_SESSION, ...options.session },
    embeddingsSource: { recentEngagements: EVAL_STORE_LIMITS.engagementsPerUser },
    relatedSource: { recentEngagements: EVAL_STORE_LIMITS.engagementsPerUser },
    defaultBudgets: {
      [SURFACE]: Object.fromEntries(
        SOURCE_NAMES.map((name) => [
          name,
          {
            maxCandidates: 0,
            weight: weights[name],
          },
        ]),
      ),
    },
  });

  const replayStarted = performance.now();
  for (const event of replayEvents(train, tagsOf)) await pipeline.indexer.apply(event);
  const replayMs = performance.now() - replayStarted;
  progress(`replayed ${train.length} ratings in ${Math.round(replayMs)} ms`);

  const als = { ...EVAL_ALS, ...options.embeddings };
  const items = new Set(train.map((r) => r.itemId));
  const artifact = trainEmbeddings(
    train.map((r) => ({
      userId: r.userId,
      postId: postIdOf(r.itemId),
      weight: 1,
      atMs: r.timestamp * 1000,
    })),
    [...items].map((itemId) => ({
      postId: postIdOf(itemId),
      blogId: BLOG,
      tags: tagsOf(itemId).map(normalize),
    })),
    { ...als, trainedAtMs: nowMs, neighbours: options.neighbours ?? EVAL_NEIGHBOURS },
  );
  pipeline.embeddings.load(artifact);
  pipeline.related.load(artifact.neighbours);
  progress(`trained embeddings (${artifact.dim} factors) in ${artifact.metrics['train_ms']} ms`);

  const trainedBy = groupItems(train);
  const testedBy = groupItems(test);
  const unreleasedAt = askAt === 'last-activity' ? unreleasedAfter(train, movies!) : undefined;
  const unreleasedCounts: number[] = [];
  const users = [...testedBy.keys()].sort(byId).slice(0, options.users ?? Infinity);
  const sources = SOURCE_NAMES.filter((name) =>
    pipeline.sources.some((s) => s.name === name && s.surfaces.has(SURFACE)),
  );
  const alone = sources.filter((name) => !options.sources || options.sources.includes(name));
  const recalls = new Map<string, number[][]>(
    [...alone, 'union'].map((name) => [name, ks.map(() => [])]),
  );
  const listsFile = options.listsPath ? await open(options.listsPath, 'w') : undefined;
  const evaluateStarted = performance.now();
  try {
    for (const [n, userId] of users.entries()) {
      const relevant = new Set([...testedBy.get(userId)!].map(postIdOf));
      const exclude = new Set([...(trainedBy.get(userId) ?? [])].map(postIdOf));
      if (unreleasedAt) {
        const unreleased = unreleasedAt(userId);
        unreleasedCounts.push(unreleased.length);
        for (const itemId of unreleased) exclude.add(postIdOf(itemId));
      }
      const ask = async (budgets: ReadonlyMap<string, number>, maxCandidates: number) => {
        const response = await pipeline.generator.generate(
          {
            userId,
            surface: SURFACE,
            tag: undefined,
            maxCandidates,
            budgets: new Map(
              sources.map((name) => [
                name,
                { maxCandidates: budgets.get(name) ?? 0, timeoutMs: 10_000 },
              ]),
            ),
            exclude,
          },
          new AbortController().signal,
        );
        return response.candidates.map((c) => c.postId);
      };
      const lists: Record<string, readonly string[]> = {};
      for (const source of alone) {
        const ranked = await ask(new Map([[source, maxK]]), maxK);
        ks.forEach((k, i) => recalls.get(source)![i]!.push(recallAt(ranked, relevant, k)));
        lists[source] = ranked;
      }
      if (listsFile)
        await listsFile.write(`${JSON.stringify({ userId, lists, relevant: [...relevant] })}\n`);
      const askUnion = async (k: number) => {
        const budget = Math.ceil(k * sourceDepth);
        const ranked = await ask(new Map(sources.map((name) => [name, budget])), k);
        if (ranked.length > k) throw new Error(`the union at ${k} has ${ranked.length} items`);
        return ranked;
      };
      const union = options.unionPerK ? undefined : await askUnion(maxK);
      for (const [i, k] of ks.entries()) {
        const ranked = union ?? (await askUnion(k));
        recalls.get('union')![i]!.push(recallAt(ranked, relevant, k));
      }
      if ((n + 1) % 100 === 0) progress(`${n + 1} of ${users.length} users`);
    }
  } finally {
    await listsFile?.close();
  }
  const evaluateMs = performance.now() - evaluateStarted;

  const round = (v: number) => Math.round(v * 10_000) / 10_000;
  return {
    data: {
      trainRatings: train.length,
      testRatings: test.filter((r) => users.includes(r.userId)).length,
      items: items.size,
      users: users.length,
      tags: new Set([...items].flatMap(tagsOf)).size,
    },
    ks,
    askAt: {
      when: askAt,
      unreleasedPerUser: Math.round(mean(unreleasedCounts) * 10) / 10 || 0,
    },
    recall: Object.fromEntries(
      [...recalls].map(([name, perK]) => [
        name,
        Object.fromEntries(ks.map((k, i) => [`@${k}`, round(mean(perK[i]!))])),
      ]),
    ),
    union: options.unionPerK
      ? `asked once per K: every source with a budget of ${sourceDepth === 1 ? 'K' : `${sourceDepth} × K`} and max_candidates K, merged by weighted reciprocal ` +
        'rank fusion (sum over proposing sources of weight / (60 + rank); the FOR_YOU weights ' +
        'unless `weights` names others) and cut at K: what Generate returns'
      : `one Generate of ${maxK} candidates (every source with a budget of ${Math.ceil(maxK * sourceDepth)}), merged by weighted reciprocal ` +
        'rank fusion (sum over proposing sources of weight / (60 + rank); the FOR_YOU weights ' +
        `unless \`weights\` names others) and cut at ${maxK}, read at each K`,
    embeddings: { factors: artifact.dim, trainMs: artifact.metrics['train_ms'] ?? 0 },
    timings: { replayMs: Math.round(replayMs), evaluateMs: Math.round(evaluateMs) },
    ...(options.listsPath ? { listsPath: options.listsPath } : {}),
  };
}

/**
 * How deep the union reads each source, as a multiple of max(ks) (or of K, per K): 1 asks
 * every source for as many candidates as the union keeps (EVALUATION.md, "Reading the sources deeper than the cut").
 */
export const UNION_SOURCE_DEPTH = 1;

/** Large enough to hold all of ml-latest-small: production caps are set for latency instead. */
export const EVAL_STORE_LIMITS: StoreLimits = {
  ...DEFAULT_STORE_LIMITS,
  recentPostsPerTag: 20_000,
  popularPostsPerTag: 20_000,
  popularPosts: 20_000,
  tagsPerUser: 1_000,
  engagementsPerUser: 5_000,
  engagersPerPost: 5_000,
};

/** The walk over the whole history rather than its recent part. */
export const EVAL_CO_ENGAGEMENT: CoEngagementSettings = {
  ...DEFAULT_CO_ENGAGEMENT_SETTINGS,
  seeds: 5_000,
  engagersPerSeed: 5_000,
  maxEngagers: 5_000,
  postsPerEngager: 5_000,
  damping: 0.6,
};

/** Every rating a seed, every rater of a seed read, as in the prototype. */
export const EVAL_SESSION: SessionSettings = {
  ...DEFAULT_SESSION_SETTINGS,
  seeds: 5_000,
  engagersPerSeed: 5_000,
  window: 100,
  damping: 0.5,
};

/** Ratings span 22 years: decay over years, not the feed's hours and days. */
const TEN_YEARS = halfLifeOf(10 * 365 * DAY_MS);
export const EVAL_SETTINGS: CandidateSettings = {
  ...DEFAULT_SETTINGS,
  popularityHalfLife: TEN_YEARS,
  affinityHalfLife: TEN_YEARS,
  recencyHalfLife: TEN_YEARS,
  retentionMs: 100 * 365 * DAY_MS,
  defaultSourceTimeoutMs: 10_000,
};

export const EVAL_ALS: ImplicitAlsOptions = {
  factors: 128,
  iterations: 15,
  regularization: 30,
  alpha: 5,
  seed: 42,
};

/** The item-to-item model of the related source, as the prototype fitted it (EVALUATION.md). */
export const EVAL_NEIGHBOURS: SessionEaseOptions = {
  window: 100,
  regularization: 50,
  minEngagers: 2,
  // The 4,500 most-rated movies: in the numpy prototype all 5,588 with two ratings or more
  // added 0.0002 / 0.0012 to the fused recall@500 / @1000 for about twice the inversion time.
  maxItems: 4_500,
  neighbours: 1_000,
};

/** Every name must be a source's: a misspelt one would otherwise be measured as nothing. */
function checkSourceNames(field: string, names: readonly string[]): void {
  const unknown = names.filter((name) => !(SOURCE_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      field,
      `unknown source ${unknown.map((name) => `"${name}"`).join(', ')}; the sources are ${SOURCE_NAMES.join(', ')}`,
    );
  }
}

/** Reads a file the options name; a file that cannot be read is reported under that option. */
async function readFileAs<T>(
  field: string,
  path: string,
  read: (path: string) => Promise<T>,
): Promise<T> {
  try {
    return await read(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code !== 'string') throw error;
    throw new InvalidArgumentError(field, `cannot read ${path} (${code})`);
  }
}

/** The train and test files the options name, or a seeded split of `dataDir` written to a temp folder. */
async function ratingFiles(options: CandidateEvalOptions): Promise<{
  train: string;
  test: string;
  movies: string | undefined;
  cleanup?: () => Promise<void>;
}> {
  const train = options.train ?? options.trainPath;
  const test = options.test ?? options.testPath;
  const dataMovies = options.dataDir ? join(options.dataDir, 'movies.csv') : undefined;
  const movies = options.movies ?? (dataMovies && existsSync(dataMovies) ? dataMovies : undefined);
  if (train && test) return { train, test, movies };
  if (train || test) throw new InvalidArgumentError(train ? 'test' : 'train', 'give both files');
  if (!options.dataDir) {
    throw new InvalidArgumentError('train', 'give train and test files, or a data_dir to split');
  }
  const outDir = await mkdtemp(join(tmpdir(), 'candidate-eval-'));
  const split = await splitRatings({
    ratings: join(options.dataDir, 'ratings.csv'),
    outDir,
    seed: options.seed ?? 42,
  });
  return {
    train: split.trainPath,
    test: split.testPath,
    movies,
    cleanup: () => rm(outDir, { recursive: true, force: true }),
  };
}

function* replayEvents(
  train: readonly Rating[],
  tagsOf: (itemId: string) => readonly string[],
): Generator<eventsv1.Event> {
  const firstRating = new Map<string, number>();
  for (const r of train) {
    firstRating.set(r.itemId, Math.min(firstRating.get(r.itemId) ?? Infinity, r.timestamp));
  }
  const start = Math.min(...firstRating.values()) * 1000 - DAY_MS;
  yield {
    eventId: 'ml-blog',
    atMs: start,
    payload: {
      $case: 'blogCreated',
      value: { blogId: BLOG, ownerUserId: 'movielens', name: 'movielens', title: '' },
    },
  };
  // Each movie becomes a post a second before its first rating, so it exists when rated.
  for (const [itemId, first] of firstRating) {
    yield {
      eventId: `ml-post-${itemId}`,
      atMs: first * 1000 - 1000,
      payload: {
        $case: 'postCreated',
        value: {
          postId: postIdOf(itemId),
          blogId: BLOG,
          text: '',
          tags: [...tagsOf(itemId)],
          mediaKind: commonv1.MediaKind.MEDIA_KIND_TEXT,
          reblogOf: '',
        },
      },
    };
  }
  let n = 0;
  for (const r of train) {
    yield {
      eventId: `ml-rating-${n++}`,
      atMs: r.timestamp * 1000,
      payload: {
        $case: 'engagement',
        value: {
          userId: r.userId,
          postId: postIdOf(r.itemId),
          kind: commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE,
        },
      },
    };
  }
}

/**
 * For `askAt: 'last-activity'`: per user, the movies rated in training whose title year is
 * later than the year of the user's last training rating (not released yet at that moment).
 * Movies without a year in their title are never left out.
 */
function unreleasedAfter(
  train: readonly Rating[],
  movies: ReadonlyMap<string, Movie>,
): (userId: string) => string[] {
  const lastRating = new Map<string, number>();
  for (const r of train)
    lastRating.set(r.userId, Math.max(lastRating.get(r.userId) ?? 0, r.timestamp));
  const byYear: { itemId: string; year: number }[] = [];
  for (const itemId of new Set(train.map((r) => r.itemId))) {
    const movie = movies.get(itemId);
    const year = movie ? releaseYearOf(movie) : undefined;
    if (year !== undefined) byYear.push({ itemId, year });
  }
  return (userId) => {
    const year = new Date((lastRating.get(userId) ?? 0) * 1000).getUTCFullYear();
    return byYear.filter((movie) => movie.year > year).map((movie) => movie.itemId);
  };
}

function postIdOf(itemId: string): string {
  return `m${itemId}`;
}

function normalize(tag: string): string {
  return tag.trim().toLowerCase();
}

function groupItems(ratings: readonly Rating[]): Map<string, Set<string>> {
  const byUser = new Map<string, Set<string>>();
  for (const r of ratings) {
    const items = byUser.get(r.userId);
    if (items) items.add(r.itemId);
    else byUser.set(r.userId, new Set([r.itemId]));
  }
  return byUser;
}

function byId(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a < b ? -1 : a > b ? 1 : 0;
}
