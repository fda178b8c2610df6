/**
 * Candidate generation: keeps, from the event log, the indexes that propose posts (each a
 * candidate source) and serves Generate and Trending over gRPC.
 */
import {
  env,
  runtimeConfigShape,
  serverConfigShape,
  startGrpcServer,
  type Logger,
  type RunningServer,
  type Runtime,
} from '@feedmesh/service-kit';
import { meter, registerObservableGauge } from '@feedmesh/telemetry';
import type { z } from 'zod';
import { candidateGenerationService } from './candidate-generation-service.js';
import { assembleCandidatePipeline } from './candidate-pipeline.js';
import { DEFAULT_SETTINGS, type CandidateSettings } from './candidate-settings.js';
import { DAY_MS, DEFAULT_STORE_LIMITS, type CandidateStore } from './candidate-store.js';
import { halfLifeOf } from './decay.js';
import { InMemoryCandidateStore } from './in-memory-candidate-store.js';
import { RedisCandidateStore } from './redis-candidate-store.js';
import { createSourceMetrics } from './source-metrics.js';

const HOUR_MS = 60 * 60 * 1000;

/** The consumer group this service reads the event log with. */
export const CONSUMER_GROUP = 'candidate-generation';

export const candidateGenerationConfigShape = {
  ...serverConfigShape,
  ...runtimeConfigShape,
  /** A source's time budget when neither the request nor the surface defaults set one, ms. */
  CANDIDATES_SOURCE_TIMEOUT_MS: env.int(100, 1, 10_000),
  /** A blog younger than this (at request time) is a new creator, days. */
  CANDIDATES_NEW_CREATOR_MAX_AGE_DAYS: env.int(30, 1, 365),
  /** Half-life of post popularity, hours. Stored scores depend on it: rebuild after a change. */
  CANDIDATES_POPULARITY_HALF_LIFE_HOURS: env.int(24, 1, 24 * 365),
  /** Half-life of a user's tag affinity, days. Stored scores depend on it too. */
  CANDIDATES_AFFINITY_HALF_LIFE_DAYS: env.int(14, 1, 365),
  /** Posts older than this are not proposed by recency; per-entity keys expire after it, days. */
  CANDIDATES_RETENTION_DAYS: env.int(30, 1, 365),
  /** Engagements a tag or post needs in the window before it can trend. */
  CANDIDATES_TRENDING_MIN_COUNT: env.int(5, 1, 1_000_000),
  /** Standardized surprise (z-score) a tag or post needs to trend. */
  CANDIDATES_TRENDING_MIN_SCORE: env.int(2, 0, 1_000),
  /** How long a trending ranking is reused before it is computed again, ms (0: never). */
  CANDIDATES_TRENDING_CACHE_MS: env.int(10_000, 0, 600_000),
};

export type CandidateGenerationConfig = Readonly<
  z.infer<z.ZodObject<typeof candidateGenerationConfigShape>>
>;

export interface CandidateGenerationOptions {
  readonly config: CandidateGenerationConfig;
  /** Redis (undefined: embedded, in-memory store) and the event log. */
  readonly runtime: Runtime;
  readonly logger: Logger;
  /** ms since the epoch; tests pass a fake. */
  readonly clock?: () => number;
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
      cacheMs: config.CANDIDATES_TRENDING_CACHE_MS,
    },
  };
}

/**
 * Starts consuming the event log (group `candidate-generation`) into the store, and serves
 * CandidateGenerationService. `shutdown()` drains gRPC, then stops the consumer; the runtime
 * belongs to the caller.
 */
export async function startCandidateGeneration(
  options: CandidateGenerationOptions,
): Promise<RunningServer> {
  const { config, runtime, logger } = options;
  const clock = options.clock ?? Date.now;
  const settings = candidateSettingsFrom(config);
  const storeLimits = { ...DEFAULT_STORE_LIMITS, retentionMs: settings.retentionMs };
  const store: CandidateStore = runtime.redis
    ? new RedisCandidateStore(runtime.redis, `${runtime.prefix}:cg`, storeLimits)
    : new InMemoryCandidateStore(storeLimits);
  const pipeline = assembleCandidatePipeline({
    store,
    settings,
    storeLimits,
    clock,
    logger,
    metrics: createSourceMetrics(),
  });

  const consumer = await runtime.eventLog.consume({
    group: CONSUMER_GROUP,
    consumer: runtime.consumerName,
    handler: (event) => pipeline.indexer.apply(event),
  });
  const stopLagGauge = registerObservableGauge(
    'messaging.consumer.lag',
    {
      description: 'Event log entries not yet applied by the group: undelivered plus pending',
      unit: '{message}',
      meter: meter('@feedmesh/candidate-generation'),
    },
    async () => {
      const lag = await runtime.eventLog.lag(CONSUMER_GROUP);
      return [
        {
          value: lag.undelivered + lag.pending,
          attributes: { 'messaging.consumer.group.name': CONSUMER_GROUP },
        },
      ];
    },
  );

  try {
    return await startGrpcServer({
      name: 'candidate-generation',
      listen: config.GRPC_LISTEN,
      maxMessageBytes: config.GRPC_MAX_MESSAGE_BYTES,
      unaryTimeoutMs: config.GRPC_UNARY_TIMEOUT_MS,
      drainTimeoutMs: config.GRPC_DRAIN_TIMEOUT_MS,
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
      onShutdown: async () => {
        stopLagGauge();
        await consumer.stop();
      },
    });
  } catch (error) {
    stopLagGauge();
    await consumer.stop();
    throw error;
  }
}

export { SOURCE_NAMES, type SourceName } from './candidate-source.js';
export {
  DEFAULT_SOURCE_BUDGETS,
  type BudgetSetting,
  type SurfaceBudgets,
} from './source-budgets.js';
export type { CandidateSettings, TrendingSettings } from './candidate-settings.js';
