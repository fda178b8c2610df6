/**
 * Candidate generation: keeps, from the event log, the indexes that propose posts (each a
 * candidate source) and serves Generate and Trending over gRPC.
 */
import { setImmediate } from 'node:timers/promises';
import { contentModelStoreFor, type ContentModelStore } from '@feedmesh/content';
import { embeddingStoreFor, type EmbeddingStore } from '@feedmesh/embeddings';
import { ConfigError } from '@feedmesh/errors';
import { inOrder } from '@feedmesh/events';
import {
  env,
  runtimeConfigShape,
  serverConfigShape,
  serverOptionsFrom,
  startGrpcServer,
  type Logger,
  type RunningServer,
  type Runtime,
} from '@feedmesh/service-kit';
import { meter, registerObservableGauge, runAsService, withSpan } from '@feedmesh/telemetry';
import { z } from 'zod';
import { candidateGenerationService } from './candidate-generation-service.js';
import { assembleCandidatePipeline, type CandidatePipeline } from './candidate-pipeline.js';
import { DEFAULT_SETTINGS, type CandidateSettings } from './candidate-settings.js';
import { DAY_MS, DEFAULT_STORE_LIMITS } from './candidate-store.js';
import { halfLifeOf } from './decay.js';
import { EmbeddingIndex, DEFAULT_EMBEDDING_INDEX_SETTINGS } from './embedding-index.js';
import { EmbeddingsLoader } from './embeddings-loader.js';
import { contentModelsLoader } from './content-models-loader.js';
import { InMemoryCandidateStore } from './in-memory-candidate-store.js';
import { createSourceMetrics } from './source-metrics.js';

const HOUR_MS = 60 * 60 * 1000;

/**
 * How many events the rebuild applies between two looks at the start's abort signal. Each look
 * lets the event loop turn first (a SIGTERM is heard only then, and the embedded log's
 * history never waits on I/O): at about 45,000 events a second, a stop waits some 20 ms.
 */
const ABORT_CHECK_EVENTS = 1_000;

/** The consumer group this service reads the event log with, unless configured otherwise. */
export const CONSUMER_GROUP = 'candidate-generation';

export const candidateGenerationConfigShape = {
  ...serverConfigShape,
  ...runtimeConfigShape,
  /**
   * The consumer group this replica follows the log with. Every replica holds every index in
   * memory, so every replica needs every event: with more than one replica, give each its own
   * group (e.g. `candidate-generation:$(CONSUMER_NAME)`), stable across its restarts.
   */
  CANDIDATES_CONSUMER_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'expected 1-64 characters from [A-Za-z0-9_.:-]')
    .default(CONSUMER_GROUP),
  /** A source's time budget when neither the request nor the surface defaults set one, ms. */
  CANDIDATES_SOURCE_TIMEOUT_MS: env.int(100, 1, 10_000),
  /** A blog younger than this (at request time) is a new creator, days. */
  CANDIDATES_NEW_CREATOR_MAX_AGE_DAYS: env.int(30, 1, 365),
  /** Half-life of post popularity, hours. Stored scores depend on it: rebuild after a change. */
  CANDIDATES_POPULARITY_HALF_LIFE_HOURS: env.int(24, 1, 24 * 365),
  /** Half-life of a user's tag affinity, days. Stored scores depend on it too. */
  CANDIDATES_AFFINITY_HALF_LIFE_DAYS: env.int(14, 1, 365),
  /** Posts older than this are not proposed by recency, days. */
  CANDIDATES_RETENTION_DAYS: env.int(30, 1, 365),
  /** Engagements a tag or post needs in the window before it can trend. */
  CANDIDATES_TRENDING_MIN_COUNT: env.int(5, 1, 1_000_000),
  /** Standardized surprise (z-score) a tag or post needs to start trending. */
  CANDIDATES_TRENDING_MIN_SCORE: env.number(2, 0, 1_000),
  /**
   * The score below which a trending tag or post stops trending (hysteresis); at most
   * CANDIDATES_TRENDING_MIN_SCORE. Unset: half of it.
   */
  CANDIDATES_TRENDING_RELEASE_SCORE: z.coerce.number().min(0).max(1_000).optional(),
  /** How long a trending ranking is reused before it is computed again, ms (0: never). */
  CANDIDATES_TRENDING_CACHE_MS: env.int(10_000, 0, 600_000),
  /** How often to look for newly published embeddings, ms (0: only at start). */
  CANDIDATES_EMBEDDINGS_POLL_MS: env.int(60_000, 0, 86_400_000),
  /** How often to look for newly published content models, ms (0: only at start). */
  CANDIDATES_CONTENT_MODELS_POLL_MS: env.int(60_000, 0, 86_400_000),
  /** Inverted lists of the embedding index scanned per search: recall against latency. */
  CANDIDATES_EMBEDDINGS_PROBE: env.int(DEFAULT_EMBEDDING_INDEX_SETTINGS.probe, 1, 4_096),
};

export type CandidateGenerationConfig = Readonly<
  z.infer<z.ZodObject<typeof candidateGenerationConfigShape>>
>;

export interface CandidateGenerationOptions {
  readonly config: CandidateGenerationConfig;
  /** The event log, and Redis for the embeddings store when set. */
  readonly runtime: Runtime;
  readonly logger: Logger;
  /** ms since the epoch; tests pass a fake. */
  readonly clock?: () => number;
  /** Where the trainer publishes embeddings; default `embeddingStoreFor(runtime)`. */
  readonly embeddingStore?: EmbeddingStore;
  /** Where the trainer publishes content models; default `contentModelStoreFor(runtime)`. */
  readonly contentModelStore?: ContentModelStore;
  /**
   * Aborted when the process is asked to stop during the start (runServiceMain): the start
   * then stops at its next check (the rebuild checks every `ABORT_CHECK_EVENTS` events),
   * stops what it started, and rejects with the abort.
   */
  readonly signal?: AbortSignal;
}

/** The settings the config describes. */
export function candidateSettingsFrom(config: CandidateGenerationConfig): CandidateSettings {
  return {
    ...DEFAULT_SETTINGS,
    popularityHalfLife: halfLifeOf(config.CANDIDATES_POPULARITY_HALF_LIFE_HOURS * HOUR_MS),
    affinityHalfLife: halfLifeOf(config.CANDIDATES_AFFINITY_HALF_LIFE_DAYS * DAY_MS),
    newCreatorMaxAgeMs: config.CANDIDATES_NEW_CREATOR_MAX_AGE_DAYS * DAY_MS,
    retentionMs: config.CANDIDATES_RETENTION_DAYS * DAY_MS,
    defaultSourceTimeoutMs: config.CANDIDATES_SOURCE_TIMEOUT_MS,
    trending: {
      ...DEFAULT_SETTINGS.trending,
      minCount: config.CANDIDATES_TRENDING_MIN_COUNT,
      minScore: config.CANDIDATES_TRENDING_MIN_SCORE,
      releaseScore: trendingReleaseScore(config),
      cacheMs: config.CANDIDATES_TRENDING_CACHE_MS,
    },
  };
}

/** The hysteresis's lower threshold: CANDIDATES_TRENDING_RELEASE_SCORE, checked against MIN_SCORE. */
function trendingReleaseScore(config: CandidateGenerationConfig): number {
  const start = config.CANDIDATES_TRENDING_MIN_SCORE;
  const release = config.CANDIDATES_TRENDING_RELEASE_SCORE ?? start / 2;
  if (release > start) {
    throw new ConfigError(
      'CANDIDATES_TRENDING_RELEASE_SCORE',
      `must be at most CANDIDATES_TRENDING_MIN_SCORE (${start}), got ${release}: a trend stops below the score it starts at`,
    );
  }
  return release;
}

/**
 * Rebuilds the indexes in memory from the event log's history, follows the log with this
 * replica's group, loads the trainer's embeddings (and newer ones as they are published), and
 * serves CandidateGenerationService. gRPC starts only once the rebuild is done.
 *
 * Why a history pass and a group: the group is joined first (from the end, when it is new), so
 * nothing appended during the rebuild is missed; after a restart it resumes where the last
 * process stopped, and the history pass restores what that process had built. Events both
 * deliver are applied once (see `CandidateIndexer`). `shutdown()` drains gRPC, then stops the
 * consumer and the loader; the runtime belongs to the caller.
 *
 * An abort of `signal` during the start (checked in the rebuild and between its steps; a load
 * of content models or embeddings under way is finished first) stops the consumer and the
 * loaders and rejects with the abort, before anything listens.
 */
export async function startCandidateGeneration(
  options: CandidateGenerationOptions,
): Promise<RunningServer> {
  const { config, runtime, logger, signal } = options;
  signal?.throwIfAborted();
  const clock = options.clock ?? Date.now;
  const settings = candidateSettingsFrom(config);
  const storeLimits = { ...DEFAULT_STORE_LIMITS, retentionMs: settings.retentionMs };
  const store = new InMemoryCandidateStore(storeLimits);
  const pipeline = assembleCandidatePipeline({
    store,
    settings,
    storeLimits,
    clock,
    logger,
    metrics: createSourceMetrics(),
    embeddings: new EmbeddingIndex({
      ...DEFAULT_EMBEDDING_INDEX_SETTINGS,
      probe: config.CANDIDATES_EMBEDDINGS_PROBE,
    }),
  });
  const group = config.CANDIDATES_CONSUMER_GROUP;

  const consumer = await runtime.eventLog.consume({
    group,
    consumer: runtime.consumerName,
    startFrom: 'end',
    // Batch mode: the indexes are in memory, so a read costs two round trips, not two an event.
    batchHandler: inOrder((event) => pipeline.indexer.apply(event)),
  });
  const loader = new EmbeddingsLoader({
    store: options.embeddingStore ?? embeddingStoreFor(runtime),
    index: pipeline.embeddings,
    related: pipeline.related,
    isLive: (postId) => store.isLive(postId),
    pollMs: config.CANDIDATES_EMBEDDINGS_POLL_MS,
    logger,
  });
  const contentModels = contentModelsLoader({
    store: options.contentModelStore ?? contentModelStoreFor(runtime),
    index: pipeline.content,
    pollMs: config.CANDIDATES_CONTENT_MODELS_POLL_MS,
    logger,
  });
  const stopGauges: (() => void)[] = [];
  const stop = async () => {
    for (const stopGauge of stopGauges) stopGauge();
    loader.stop();
    contentModels.stop();
    await consumer.stop();
  };

  try {
    // Before the rebuild, so the posts of the history are understood with the trained models.
    await contentModels.start();
    signal?.throwIfAborted();
    await rebuild(pipeline, runtime, logger, group, signal);
    await loader.start();
    signal?.throwIfAborted();
    stopGauges.push(...registerGauges(store, pipeline));
    return await startGrpcServer({
      name: 'candidate-generation',
      ...serverOptionsFrom(config),
      logger,
      services: [
        candidateGenerationService({
          generator: pipeline.generator,
          trending: pipeline.trending,
          store,
          defaultTrendingWindowMs: settings.trending.defaultWindowMs,
          clock,
        }),
      ],
      onShutdown: stop,
    });
  } catch (error) {
    await stop();
    throw error;
  }
}

async function rebuild(
  pipeline: CandidatePipeline,
  runtime: Runtime,
  logger: Logger,
  group: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  await runAsService('candidate-generation', () =>
    withSpan('candidates.rebuild', { 'messaging.consumer.group.name': group }, async (span) => {
      logger.info({ group }, 'rebuilding candidate indexes from the log');
      const started = performance.now();
      let events = 0;
      let rejected = 0;
      const stopIfAborted = async (): Promise<void> => {
        if (!signal) return;
        await setImmediate();
        if (!signal.aborted) return;
        const ms = Math.round(performance.now() - started);
        span.setAttributes({
          'feedmesh.candidates.events': events,
          'feedmesh.candidates.rejected': rejected,
        });
        logger.info({ events, rejected, ms }, 'candidate indexes rebuild aborted');
        // Leaving the loop ends the history read.
        signal.throwIfAborted();
      };
      for await (const event of runtime.eventLog.history()) {
        events += 1;
        try {
          await pipeline.indexer.apply(event);
        } catch (error) {
          // The group meets it again and dead-letters it; the rebuild goes on.
          rejected += 1;
          logger.warn({ err: error, eventId: event.eventId }, 'rebuild skipped a bad event');
        }
        if (events % ABORT_CHECK_EVENTS === 0) await stopIfAborted();
      }
      const ms = Math.round(performance.now() - started);
      span.setAttributes({
        'feedmesh.candidates.events': events,
        'feedmesh.candidates.rejected': rejected,
      });
      const early = pipeline.indexer.earlyEngagements;
      span.setAttribute('feedmesh.candidates.early_engagements', early.waiting);
      logger.info(
        { events, rejected, ms, earlyEngagements: early.waiting, forgotten: early.forgotten },
        'candidate indexes rebuilt from the log',
      );
    }),
  );
}

function registerGauges(
  store: InMemoryCandidateStore,
  pipeline: CandidatePipeline,
): (() => void)[] {
  const scope = meter('@feedmesh/candidate-generation');
  return [
    registerObservableGauge(
      'feedmesh.candidates.index.size',
      { description: 'Entries of the in-process indexes, by kind', unit: '{entry}', meter: scope },
      () => {
        const s = store.stats();
        const e = pipeline.embeddings.stats;
        return [
          { value: s.livePosts, attributes: { 'feedmesh.index': 'posts' } },
          { value: s.users, attributes: { 'feedmesh.index': 'users' } },
          { value: s.listEntries, attributes: { 'feedmesh.index': 'list_entries' } },
          { value: e.posts, attributes: { 'feedmesh.index': 'embedded_posts' } },
          {
            value: pipeline.indexer.earlyEngagements.waiting,
            attributes: { 'feedmesh.index': 'early_engagements' },
          },
        ];
      },
    ),
    registerObservableGauge(
      'feedmesh.candidates.early_engagements.forgotten',
      {
        description:
          'Engagements applied before their post whose tag credit was forgotten at the bounds, since start',
        unit: '{engagement}',
        meter: scope,
      },
      () => [{ value: pipeline.indexer.earlyEngagements.forgotten }],
    ),
    registerObservableGauge(
      'feedmesh.candidates.index.bytes',
      { description: 'Bytes of the typed arrays behind the indexes', unit: 'By', meter: scope },
      () => [
        { value: store.stats().arrayBytes, attributes: { 'feedmesh.index': 'store' } },
        {
          value: pipeline.embeddings.stats.vectorBytes,
          attributes: { 'feedmesh.index': 'vectors' },
        },
      ],
    ),
  ];
}

export { SOURCE_NAMES, type SourceName } from './candidate-source.js';
export {
  DEFAULT_SOURCE_BUDGETS,
  type BudgetSetting,
  type SurfaceBudgets,
} from './source-budgets.js';
export type { CandidateSettings, TrendingSettings } from './candidate-settings.js';
export {
  runGenerateBench,
  type GenerateBenchOptions,
  type GenerateBenchReport,
} from './bench/generate-bench.js';
export {
  ASK_AT,
  runCandidateEval,
  type AskAt,
  type CandidateEvalOptions,
  type CandidateEvalReport,
} from './evaluation/candidate-eval.js';
export {
  runCandidateEvalDraws,
  type CandidateEvalDrawsOptions,
  type CandidateEvalDrawsReport,
  type DrawSpread,
} from './evaluation/candidate-eval-draws.js';
export { parseSourceWeights, unionWeights } from './evaluation/union-weights.js';
export {
  FUSION_KS,
  replayFusion,
  tuneFusion,
  type FusionReplayOptions,
  type FusionReplayReport,
  type FusionTuneFold,
  type FusionTuneOptions,
  type FusionTuneReport,
} from './evaluation/fusion-replay.js';
export { EmbeddingIndex, type EmbeddingIndexSettings } from './embedding-index.js';
