import { setTimeout as sleep } from 'node:timers/promises';
import { gatewayv1, rankerv1, type eventsv1 } from '@feedmesh/contracts';
import { startEmbeddedPlayground } from '@feedmesh/playground';
import { createServiceClient, type Logger, type Runtime } from '@feedmesh/service-kit';
import type { TrainerReport } from '@feedmesh/trainer';
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
  /** The ranker's address, for reading which models it serves. */
  readonly rankerAddress: string;
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
/** How often the ranker looks for a new model. */
const RANKER_RELOAD_INTERVAL_MS = 200;
/** How long `train` waits for the ranker to load what it promoted before giving up. */
const MODEL_LOAD_TIMEOUT_MS = 30_000;

/**
 * The playground's mesh (every service in this process, `@feedmesh/playground`) on the
 * simulated clock, for simulations and experiment tests that must not wait for wall time.
 */
export async function startSimulationMesh(options: SimulationMeshOptions): Promise<SimulationMesh> {
  const playground = await startEmbeddedPlayground({
    gatewayListen: '127.0.0.1:0',
    env: { RANKER_RELOAD_INTERVAL_MS: String(RANKER_RELOAD_INTERVAL_MS), ...options.env },
    logger: options.logger ?? SILENT,
    clock: () => options.clock.now(),
  });
  const { runtime, gatewayAddress, consumerGroups } = playground;
  const settle = async () => {
    for (;;) {
      const lags = await Promise.all(consumerGroups.map((group) => runtime.eventLog.lag(group)));
      if (lags.every((lag) => lag.undelivered + lag.pending === 0)) return;
      await sleep(5);
    }
  };
  const client = createServiceClient(gatewayv1.FeedGatewayServiceDefinition, gatewayAddress, {
    deadlineMs: 60_000,
  });
  const ranker = createServiceClient(
    rankerv1.RankerServiceDefinition,
    playground.addresses.ranker,
    {
      deadlineMs: 10_000,
    },
  );
  /**
   * Until the ranker has `version` of `model` loaded and current: a loaded machine may take
   * longer than any fixed wait, and feeds served before would still use the old model.
   */
  const rankerServes = async (model: string, version: string) => {
    const deadline = Date.now() + MODEL_LOAD_TIMEOUT_MS;
    for (;;) {
      const { models } = await ranker.client.listModels({});
      if (models.some((m) => m.name === model && m.version === version && m.current && m.loaded))
        return;
      if (Date.now() > deadline) {
        throw new Error(
          `the ranker did not load ${model} ${version} within ${MODEL_LOAD_TIMEOUT_MS} ms`,
        );
      }
      await sleep(20);
    }
  };
  let stopping: Promise<void> | undefined;
  return {
    gatewayAddress,
    rankerAddress: playground.addresses.ranker,
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
      const report = await playground.train();
      if (report.promoted && report.version !== undefined) {
        await rankerServes(report.modelName, report.version);
      }
      return report;
    },
    shutdown: () =>
      (stopping ??= (async () => {
        client.close();
        ranker.close();
        await playground.shutdown();
      })()),
  };
}
