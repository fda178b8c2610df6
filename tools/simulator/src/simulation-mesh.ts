import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  candidateGenerationConfigShape,
  CONSUMER_GROUP as CANDIDATE_GENERATION_GROUP,
  startCandidateGeneration,
} from '@feedmesh/candidate-generation';
import { gatewayv1, type eventsv1 } from '@feedmesh/contracts';
import {
  FEATURE_STORE_GROUP,
  featureStoreConfigShape,
  startFeatureStore,
} from '@feedmesh/feature-store';
import { feedGatewayConfigShape, startFeedGateway } from '@feedmesh/feed-gateway';
import { modelRegistryFor } from '@feedmesh/models';
import {
  NOTIFICATION_GROUP,
  notificationConfigShape,
  startNotification,
} from '@feedmesh/notification';
import { rankerConfigShape, startRanker } from '@feedmesh/ranker';
import { searchConfigShape, searchGroupName, startSearch } from '@feedmesh/search';
import {
  createRuntime,
  createServiceClient,
  loadConfig,
  runtimeConfigShape,
  type Logger,
  type RunningServer,
  type Runtime,
} from '@feedmesh/service-kit';
import { runTrainer, trainerConfigShape, type TrainerReport } from '@feedmesh/trainer';
import type { SimulatedClock } from './simulated-clock.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface SimulationMeshOptions {
  /** Every service (and the trainer) runs on this clock, so the log has one timeline. */
  readonly clock: SimulatedClock;
  /** Settings for the services (REDIS_URL for Redis, experiment config, ...). Default: in memory. */
  readonly env?: Env;
  readonly logger?: Logger;
}

/** The whole mesh in this process on the simulator's clock, the gateway in front. */
export interface SimulationMesh {
  readonly gatewayAddress: string;
  readonly runtime: Runtime;
  /** Publishes events through the gateway (1,000 a call), then waits for every consumer. */
  publish(events: Iterable<eventsv1.Event>): Promise<number>;
  /** Resolves once every consumer group has applied everything in the log. */
  settle(): Promise<void>;
  /** One trainer run on the log so far; resolves once the ranker serves what it promoted. */
  train(): Promise<TrainerReport>;
  shutdown(): Promise<void>;
}

const SILENT: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Starts every service in this process on one runtime and the simulated clock, as the
 * playground does, for simulations and experiment tests that must not wait for wall time.
 */
export async function startSimulationMesh(options: SimulationMeshOptions): Promise<SimulationMesh> {
  const logger = options.logger ?? SILENT;
  const clock = () => options.clock.now();
  const base: Env = {
    RANKER_RELOAD_INTERVAL_MS: '200',
    CURSOR_SECRET: randomBytes(24).toString('hex'),
    ...options.env,
    GRPC_LISTEN: '127.0.0.1:0',
  };
  const runtime = createRuntime(loadConfig(runtimeConfigShape, base), logger);
  const registry = modelRegistryFor(runtime, { clock });
  const rankerConfig = loadConfig(rankerConfigShape, base);
  const started: RunningServer[] = [];
  const common = { runtime, logger, clock };
  const stopStarted = async () => {
    for (const server of [...started].reverse()) {
      await server.shutdown('simulation mesh stopping').catch(() => undefined);
    }
  };
  let gatewayAddress: string;
  let featureStoreAddress: string;
  try {
    const featureStore = await startFeatureStore({
      ...common,
      config: loadConfig(featureStoreConfigShape, base),
    });
    started.push(featureStore);
    const candidates = await startCandidateGeneration({
      ...common,
      config: loadConfig(candidateGenerationConfigShape, base),
    });
    started.push(candidates);
    const ranker = await startRanker({ ...common, registry, config: rankerConfig });
    started.push(ranker);
    const search = await startSearch({ ...common, config: loadConfig(searchConfigShape, base) });
    started.push(search);
    const downstream: Env = {
      FEATURE_STORE_ADDR: featureStore.address,
      CANDIDATE_GENERATION_ADDR: candidates.address,
      RANKER_ADDR: ranker.address,
      SEARCH_ADDR: search.address,
    };
    const notification = await startNotification({
      ...common,
      registry,
      config: loadConfig(notificationConfigShape, { ...base, ...downstream }),
    });
    started.push(notification);
    const gateway = await startFeedGateway({
      ...common,
      config: loadConfig(feedGatewayConfigShape, {
        ...base,
        ...downstream,
        NOTIFICATION_ADDR: notification.address,
      }),
    });
    started.push(gateway);
    gatewayAddress = gateway.address;
    featureStoreAddress = featureStore.address;
  } catch (error) {
    await stopStarted();
    await runtime.close();
    throw error;
  }

  const groups = [
    FEATURE_STORE_GROUP,
    CANDIDATE_GENERATION_GROUP,
    NOTIFICATION_GROUP,
    searchGroupName(runtime.consumerName),
  ];
  const settle = async () => {
    for (;;) {
      const lags = await Promise.all(groups.map((group) => runtime.eventLog.lag(group)));
      if (lags.every((lag) => lag.undelivered + lag.pending === 0)) return;
      await sleep(5);
    }
  };
  const client = createServiceClient(gatewayv1.FeedGatewayServiceDefinition, gatewayAddress, {
    deadlineMs: 60_000,
  });
  let stopping: Promise<void> | undefined;
  return {
    gatewayAddress,
    runtime,
    settle,
    async publish(events) {
      let batch: eventsv1.Event[] = [];
      let published = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        published += (await client.client.publishEvents({ events: batch })).accepted;
        batch = [];
      };
      for (const event of events) {
        batch.push(event);
        if (batch.length === 1_000) await flush();
      }
      await flush();
      await settle();
      return published;
    },
    async train() {
      const report = await runTrainer({
        config: loadConfig(trainerConfigShape, {
          ...base,
          FEATURE_STORE_ADDR: featureStoreAddress,
        }),
        runtime,
        logger,
        registry,
        clock,
      });
      // Two reload periods: the ranker has swapped the new version in.
      await sleep(2 * Number(rankerConfig.RANKER_RELOAD_INTERVAL_MS));
      return report;
    },
    shutdown: () =>
      (stopping ??= (async () => {
        client.close();
        await stopStarted();
        await runtime.close();
      })()),
  };
}
