import type { eventsv1 } from '@feedmesh/contracts';
import { RedisStreamsEventLog, type Delivery } from '@feedmesh/events';
import {
  serverOptionsFrom,
  startGrpcServer,
  type Logger,
  type RunningServer,
  type Runtime,
} from '@feedmesh/service-kit';
import type { Redis } from 'ioredis';
import { meter, registerObservableGauge, runAsService, withSpan } from '@feedmesh/telemetry';
import { consumerNames, FEATURE_STORE_GROUP, type FeatureStoreConfig } from './config.js';
import { FeatureMaterializer } from './event-materializer.js';
import type { FeatureStore } from './feature-store.js';
import { featureStoreService } from './feature-store-service.js';
import { InMemoryFeatureStore } from './in-memory-feature-store.js';
import { TrackedNearCache } from './near-cache.js';
import { RedisFeatureStore } from './redis-feature-store.js';

export {
  FEATURE_STORE_GROUP,
  FEATURE_STORE_NODE_FLAGS,
  featureStoreConfigShape,
  type FeatureStoreConfig,
} from './config.js';
export { featureSchema, type FeatureSchema } from './feature-schema.js';
export { FEATURES, type FeatureDeclaration } from './feature-registry.js';
export {
  fetchEntityFeatures,
  formatEntityFeatures,
  type EntityFeatures,
  type EntityFeaturesRequest,
  type NamedFeature,
} from './entity-features.js';
export {
  featuresAsOf,
  PointInTimeFeatureSource,
  type FeatureRequestAt,
  type FeaturesAt,
  type PointInTimeOptions,
} from './point-in-time.js';
export {
  runFeatureBench,
  type FeatureBenchOptions,
  type FeatureBenchReport,
} from './bench/feature-bench.js';
export type { LatencySummary } from './bench/latency.js';
export type { PackedMatrix, PackedVector } from './candidate-matrix.js';

const SERVICE = 'feature-store';
export interface FeatureStoreOptions {
  readonly config: FeatureStoreConfig;
  /** Redis (undefined when embedded: in-memory store) and the event log. */
  readonly runtime: Runtime;
  readonly logger: Logger;
  /** The request clock, ms since the epoch; tests pass a fake. */
  readonly clock?: () => number;
}

/**
 * Starts the feature store: consumes the event log (group `feature-store`) into the store
 * and serves FeatureStoreService. `shutdown()` drains gRPC, then stops the consumer; the
 * runtime stays open for its owner.
 */
export async function startFeatureStore(options: FeatureStoreOptions): Promise<RunningServer> {
  const { config, runtime, logger } = options;
  // Named (and checked, with or without Redis alike) before anything is opened: a name the log
  // would refuse stops the start here. In process memory a second consumer would only take
  // turns with the first, so one runs there.
  const names = consumerNames(runtime.consumerName, config.FEATURE_STORE_CONSUMERS).slice(
    0,
    runtime.redis ? config.FEATURE_STORE_CONSUMERS : 1,
  );
  const limits = {
    setCap: config.FEATURE_STORE_LIST_CAP,
    interestCap: config.FEATURE_STORE_INTEREST_CAP,
  };
  const nearCache = await openNearCache(config, runtime, logger);
  const store: FeatureStore = runtime.redis
    ? new RedisFeatureStore({
        redis: runtime.redis,
        prefix: runtime.prefix,
        metaCacheSize: config.FEATURE_STORE_META_CACHE,
        countedTtlMs: config.FEATURE_STORE_COUNTED_TTL_MS,
        ...(nearCache ? { nearCache } : {}),
        ...limits,
      })
    : new InMemoryFeatureStore({ ...limits, countedTtlMs: config.FEATURE_STORE_COUNTED_TTL_MS });
  // On a single Redis each batch lands whole with the log's processed-markers of its events
  // (see BatchUnit): the store's per-entity markers are kept for a Cluster only.
  const { eventLog } = runtime;
  const inUnits =
    eventLog instanceof RedisStreamsEventLog &&
    runtime.redis !== undefined &&
    !runtime.redis.isCluster;
  const applied = meter('@feedmesh/feature-store').createCounter(
    'feedmesh.feature_store.events_applied',
    { description: 'Events of the log applied to the feature store', unit: '{event}' },
  );
  const refused = meter('@feedmesh/feature-store').createCounter(
    'feedmesh.feature_store.batch_refusals',
    {
      description:
        'Batch writes Redis refused because what their prefetch read changed (planned again)',
      unit: '{batch}',
    },
  );
  const materializer = new FeatureMaterializer(store, {
    ...(inUnits
      ? {
          markerOf: (event) => eventLog.processedMarker(FEATURE_STORE_GROUP, event),
          onRefused: () => refused.add(1),
          unitPartEvents: config.FEATURE_STORE_WRITE_PART_EVENTS,
        }
      : {}),
  });
  const batchHandler = (events: readonly eventsv1.Event[], deliveries: readonly Delivery[]) =>
    runAsService(SERVICE, async () => {
      const failures = await withSpan(
        'feature-store.apply-batch',
        { 'feedmesh.events': events.length },
        () => materializer.applyBatch(events, deliveries),
      );
      const failed = new Set(failures.map((failure) => failure.index));
      const byType = new Map<string, number>();
      events.forEach((event, index) => {
        if (failed.has(index)) return;
        const type = event.payload?.$case ?? 'none';
        byType.set(type, (byType.get(type) ?? 0) + 1);
      });
      for (const [type, count] of byType) applied.add(count, { 'feedmesh.event.type': type });
      return failures;
    });
  const consumers = await Promise.all(
    names.map((consumer) =>
      runtime.eventLog.consume({
        group: FEATURE_STORE_GROUP,
        consumer,
        batchSize: config.FEATURE_STORE_BATCH_SIZE,
        // The units set the markers with their writes: the consumer only acknowledges. While
        // catching up, the next batch is read and planned while the last one is written.
        marksProcessed: inUnits,
        overlapBatches: inUnits,
        batchHandler,
      }),
    ),
  );
  const stopConsumers = () => Promise.all(consumers.map((consumer) => consumer.stop()));
  const stopCacheGauge = nearCache
    ? registerObservableGauge(
        'feedmesh.feature_store.near_cache.reads',
        {
          unit: '{key}',
          description: 'Keys GetFeatures read through the near cache, by outcome (cumulative)',
        },
        () => {
          const { hits, misses, invalidations, entries } = nearCache.stats;
          return [
            { value: hits, attributes: { 'feedmesh.outcome': 'hit' } },
            { value: misses, attributes: { 'feedmesh.outcome': 'miss' } },
            { value: invalidations, attributes: { 'feedmesh.outcome': 'invalidated' } },
            { value: entries, attributes: { 'feedmesh.outcome': 'held' } },
          ];
        },
      )
    : () => undefined;
  try {
    return await startGrpcServer({
      name: SERVICE,
      ...serverOptionsFrom(config),
      services: [featureStoreService({ store, clock: options.clock ?? Date.now })],
      logger,
      onShutdown: async () => {
        stopCacheGauge();
        await stopConsumers();
        await nearCache?.close();
      },
    });
  } catch (error) {
    stopCacheGauge();
    await stopConsumers();
    await nearCache?.close();
    throw error;
  }
}

/** The near cache when configured and possible: a single Redis (see TrackedNearCache). */
async function openNearCache(
  config: FeatureStoreConfig,
  runtime: Runtime,
  logger: Logger,
): Promise<TrackedNearCache | undefined> {
  const redis = runtime.redis;
  if (!redis || config.FEATURE_STORE_NEAR_CACHE_ENTRIES === 0) return undefined;
  if (redis.isCluster) {
    logger.info({}, 'near cache off: FEATURE_STORE_NEAR_CACHE_ENTRIES needs a single Redis');
    return undefined;
  }
  return TrackedNearCache.open(redis as Redis, {
    maxEntries: config.FEATURE_STORE_NEAR_CACHE_ENTRIES,
  });
}
