import type { eventsv1 } from '@feedmesh/contracts';
import {
  env,
  runtimeConfigShape,
  serverConfigShape,
  startGrpcServer,
  type Logger,
  type RunningServer,
  type Runtime,
} from '@feedmesh/service-kit';
import { meter, registerObservableGauge, runAsService } from '@feedmesh/telemetry';
import type { z } from 'zod';
import { FeatureMaterializer } from './event-materializer.js';
import type { FeatureStore } from './feature-store.js';
import { featureStoreService } from './feature-store-service.js';
import { InMemoryFeatureStore } from './in-memory-feature-store.js';
import { RedisFeatureStore } from './redis-feature-store.js';

export { featureSchema, type FeatureSchema } from './feature-schema.js';
export { FEATURES, type FeatureDeclaration } from './feature-registry.js';

const SERVICE = 'feature-store';
/** The consumer group this service reads the event log with. */
export const FEATURE_STORE_GROUP = 'feature-store';

export const featureStoreConfigShape = {
  ...serverConfigShape,
  ...runtimeConfigShape,
  /** Ids kept per user in each set (served, engaged, hidden, owned blogs). */
  FEATURE_STORE_LIST_CAP: env.int(1_000, 1, 100_000),
  /** Tags, and blogs, whose affinity is tracked per user for GetUserFeatures' interests. */
  FEATURE_STORE_INTEREST_CAP: env.int(200, 1, 10_000),
};

export type FeatureStoreConfig = Readonly<z.infer<z.ZodObject<typeof featureStoreConfigShape>>>;

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
  const limits = {
    setCap: config.FEATURE_STORE_LIST_CAP,
    interestCap: config.FEATURE_STORE_INTEREST_CAP,
  };
  const store: FeatureStore = runtime.redis
    ? new RedisFeatureStore({ redis: runtime.redis, prefix: runtime.prefix, ...limits })
    : new InMemoryFeatureStore(limits);
  const materializer = new FeatureMaterializer(store);
  const applied = meter('@feedmesh/feature-store').createCounter(
    'feedmesh.feature_store.events_applied',
    { description: 'Events of the log applied to the feature store', unit: '{event}' },
  );
  const consumer = await runtime.eventLog.consume({
    group: FEATURE_STORE_GROUP,
    consumer: runtime.consumerName,
    handler: (event: eventsv1.Event) =>
      runAsService(SERVICE, async () => {
        await materializer.apply(event);
        applied.add(1, { 'feedmesh.event.type': event.payload?.$case ?? 'none' });
      }),
  });
  const stopLagGauge = registerObservableGauge(
    'messaging.consumer.lag',
    { unit: '{message}', description: 'Events of the log not yet applied by the group' },
    async () => {
      const { undelivered, pending } = await runtime.eventLog.lag(FEATURE_STORE_GROUP);
      return [
        {
          value: undelivered + pending,
          attributes: { 'messaging.consumer.group.name': FEATURE_STORE_GROUP },
        },
      ];
    },
  );
  try {
    return await startGrpcServer({
      name: SERVICE,
      listen: config.GRPC_LISTEN,
      maxMessageBytes: config.GRPC_MAX_MESSAGE_BYTES,
      unaryTimeoutMs: config.GRPC_UNARY_TIMEOUT_MS,
      drainTimeoutMs: config.GRPC_DRAIN_TIMEOUT_MS,
      services: [featureStoreService({ store, clock: options.clock ?? Date.now })],
      logger,
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
