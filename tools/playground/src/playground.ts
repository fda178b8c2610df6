import { randomBytes } from 'node:crypto';
import {
  candidateGenerationConfigShape,
  CONSUMER_GROUP as CANDIDATE_GENERATION_GROUP,
  startCandidateGeneration,
} from '@feedmesh/candidate-generation';
import {
  FEATURE_STORE_GROUP,
  FEATURE_STORE_NODE_FLAGS,
  featureStoreConfigShape,
  startFeatureStore,
} from '@feedmesh/feature-store';
import { contentModelStoreFor, type ContentModelStore } from '@feedmesh/content';
import { embeddingStoreFor, type EmbeddingStore } from '@feedmesh/embeddings';
import { feedGatewayConfigShape, startFeedGateway } from '@feedmesh/feed-gateway';
import { modelRegistryFor, type ModelRegistry } from '@feedmesh/models';
import {
  NOTIFICATION_GROUP,
  notificationConfigShape,
  startNotification,
} from '@feedmesh/notification';
import { rankerConfigShape, startRanker } from '@feedmesh/ranker';
import { searchConfigShape, searchGroupName, startSearch } from '@feedmesh/search';
import {
  createRuntime,
  loadConfig,
  runtimeConfigShape,
  type Logger,
  type RunningServer,
  type Runtime,
} from '@feedmesh/service-kit';
import {
  contentModelsJobConfigShape,
  contentModelsSettingsFrom,
  embeddingsJobConfigShape,
  embeddingsSettingsFrom,
  runContentModelsJob,
  runEmbeddingsJob,
  runTrainer,
  trainerConfigShape,
  type ContentModelsJobReport,
  type EmbeddingsJobReport,
  type TrainerReport,
} from '@feedmesh/trainer';

/**
 * The playground's wiring: every service in this process on local ports, sharing one
 * runtime (the in-memory event log, or Redis when REDIS_URL is set) and one model registry,
 * the gateway in front. This is the one place that knows how the services fit together in a
 * single process (the CLI's `up` and `feedmesh simulate` both run on it); the CLI's
 * `process-playground.ts` does the same with a process per service.
 */

export type Env = Readonly<Record<string, string | undefined>>;

/** The services in start order: what the gateway calls comes up before it. */
export const PLAYGROUND_SERVICES = [
  'feature-store',
  'candidate-generation',
  'ranker',
  'search',
  'notification',
  'feed-gateway',
] as const;
export type PlaygroundService = (typeof PLAYGROUND_SERVICES)[number];

/** The conventional ports (docs/service-conventions.md), used when services run as processes. */
export const CONVENTIONAL_PORTS: Readonly<Record<PlaygroundService, number>> = {
  'feed-gateway': 50051,
  'candidate-generation': 50052,
  'feature-store': 50053,
  ranker: 50054,
  search: 50055,
  notification: 50056,
};

/**
 * V8 flags each service runs with beyond Node's defaults: its young generation, sized for the
 * garbage one request (or one batch of events) leaves, so a scavenge does not copy a request in
 * flight and promote it. The Kubernetes manifests' NODE_OPTIONS and the packages' `start`
 * scripts say the same (test/src/k8s checks), so processes started here run as deployed.
 * Measured with `bench feed` (default world, 4 callers, back to back): 64 MiB took the
 * gateway from 4.2-4.7 to 3.9-4.0 ms of CPU per feed.
 */
export const SERVICE_NODE_FLAGS: Readonly<Record<PlaygroundService, readonly string[]>> = {
  'feed-gateway': ['--max-semi-space-size=64'],
  // Not in NODE_OPTIONS (Node refuses it there): the manifest passes it as an argument.
  'candidate-generation': ['--max-semi-space-size=256', '--no-allocation-site-pretenuring'],
  // The service's own: its benchmark starts it as a process too.
  'feature-store': FEATURE_STORE_NODE_FLAGS,
  ranker: [],
  search: [],
  notification: [],
};

/** The downstream address variables the gateway (and the trainer) read. */
export function downstreamEnv(
  addresses: Readonly<Partial<Record<PlaygroundService, string>>>,
): Env {
  return {
    FEATURE_STORE_ADDR: addresses['feature-store'],
    CANDIDATE_GENERATION_ADDR: addresses['candidate-generation'],
    RANKER_ADDR: addresses.ranker,
    SEARCH_ADDR: addresses.search,
    NOTIFICATION_ADDR: addresses.notification,
  };
}

/**
 * Settings the playground changes from the services' defaults, unless the environment sets
 * them: the ranker and candidate generation look for new models and embeddings often, so the
 * first feed after training uses them; feed cursors are signed with a secret of this run (one
 * gateway, cursors die with it).
 */
export function playgroundDefaults(): Env {
  return {
    RANKER_RELOAD_INTERVAL_MS: '500',
    CANDIDATES_EMBEDDINGS_POLL_MS: '1000',
    CANDIDATES_CONTENT_MODELS_POLL_MS: '1000',
    SEARCH_CONTENT_MODELS_POLL_MS: '1000',
    CURSOR_SECRET: randomBytes(24).toString('hex'),
  };
}

/** A running playground, however it runs its services. */
export interface Playground {
  readonly mode: 'embedded' | 'processes';
  readonly gatewayAddress: string;
  readonly addresses: Readonly<Record<PlaygroundService, string>>;
  /** The event log (and Redis) the services share: for reading lag and history. */
  readonly runtime: Runtime;
  /** Every consumer group that must catch up before the world is fully loaded. */
  readonly consumerGroups: readonly string[];
  /** One run of the trainer, publishing where the ranker loads models from. */
  train(): Promise<TrainerReport>;
  /** One run of the embeddings job, publishing where candidate generation loads them from. */
  trainEmbeddings(): Promise<EmbeddingsJobReport>;
  /** One run of the content models job, for candidate generation and search. */
  trainContentModels(): Promise<ContentModelsJobReport>;
  /** Drains the gateway, then the services, then closes the runtime. Safe to call twice. */
  shutdown(): Promise<void>;
}

export interface EmbeddedPlaygroundOptions {
  /** Where the gateway listens, e.g. `127.0.0.1:50051`. The others take free ports. */
  readonly gatewayListen: string;
  /** The environment services read their settings from (REDIS_URL, their own variables). */
  readonly env: Env;
  readonly logger: Logger;
  /**
   * The clock every service, the registry and the jobs run on, ms since the epoch (a
   * simulation's clock, so the log has one timeline). Default: the wall clock.
   */
  readonly clock?: () => number;
  /**
   * Aborts the start (Ctrl-C): handed to each service's start (candidate generation's
   * rebuild and search's indexing stop at their next look at it) and checked between them.
   * What had started is stopped, in reverse order, and the start rejects with the abort.
   */
  readonly signal?: AbortSignal;
}

/** Starts every service in this process. On a failure or an abort, what started is stopped again. */
export async function startEmbeddedPlayground(
  options: EmbeddedPlaygroundOptions,
): Promise<Playground> {
  const base: Env = { ...playgroundDefaults(), ...options.env };
  const runtime = createRuntime(loadConfig(runtimeConfigShape, base), options.logger);
  // One registry for trainer and ranker: in memory, or the deployment's in Redis.
  const clock = options.clock ?? Date.now;
  const registry: ModelRegistry = modelRegistryFor(runtime, { clock });
  // Likewise one embeddings store for the embeddings job and candidate generation.
  const embeddingStore = embeddingStoreFor(runtime);
  const contentModelStore = contentModelStoreFor(runtime);
  const started: { name: PlaygroundService; server: RunningServer }[] = [];
  const addresses: Partial<Record<PlaygroundService, string>> = {};
  const deps = (listen: string, extra: Env = {}) => ({
    runtime,
    logger: options.logger,
    clock,
    env: { ...base, GRPC_LISTEN: listen, ...extra },
  });
  const signal = options.signal;
  const start = async (name: PlaygroundService, run: () => Promise<RunningServer>) => {
    signal?.throwIfAborted();
    const server = await run();
    started.push({ name, server });
    addresses[name] = server.address;
  };

  const stopStarted = async () => {
    // The gateway first, so nothing calls a service that is already gone.
    for (const { server } of [...started].reverse()) {
      await server
        .shutdown('playground stopping')
        .catch((error: unknown) =>
          options.logger.error({ err: error }, 'a service failed to stop'),
        );
    }
  };

  try {
    const local = '127.0.0.1:0';
    await start('feature-store', () => {
      const { env, ...rest } = deps(local);
      return startFeatureStore({ ...rest, config: loadConfig(featureStoreConfigShape, env) });
    });
    await start('candidate-generation', () => {
      const { env, ...rest } = deps(local);
      return startCandidateGeneration({
        ...rest,
        ...(signal === undefined ? {} : { signal }),
        embeddingStore,
        contentModelStore,
        config: loadConfig(candidateGenerationConfigShape, env),
      });
    });
    await start('ranker', () => {
      const { env, ...rest } = deps(local);
      return startRanker({ ...rest, registry, config: loadConfig(rankerConfigShape, env) });
    });
    await start('search', () => {
      const { env, ...rest } = deps(local);
      return startSearch({
        ...rest,
        ...(signal === undefined ? {} : { signal }),
        contentModelStore,
        config: loadConfig(searchConfigShape, env),
      });
    });
    await start('notification', () => {
      // Reactivation and trending call candidate-generation, the feature store and the ranker.
      const { env, ...rest } = deps(local, downstreamEnv(addresses));
      return startNotification({
        ...rest,
        registry,
        config: loadConfig(notificationConfigShape, env),
      });
    });
    await start('feed-gateway', () => {
      const { env, ...rest } = deps(options.gatewayListen, downstreamEnv(addresses));
      return startFeedGateway({ ...rest, config: loadConfig(feedGatewayConfigShape, env) });
    });
    // The gateway's start does not look at the signal: an abort during it ends here.
    signal?.throwIfAborted();
  } catch (error) {
    await stopStarted();
    await runtime.close();
    throw error;
  }

  const complete = addresses as Record<PlaygroundService, string>;
  let stopping: Promise<void> | undefined;
  return {
    mode: 'embedded',
    gatewayAddress: complete['feed-gateway'],
    addresses: complete,
    runtime,
    consumerGroups: consumerGroupsOf(runtime.consumerName),
    train: () =>
      trainOnce(runtime, registry, base, complete['feature-store'], options.logger, clock),
    trainEmbeddings: () =>
      trainEmbeddingsOnce(runtime, embeddingStore, base, options.logger, clock),
    trainContentModels: () =>
      trainContentModelsOnce(runtime, contentModelStore, base, options.logger, clock),
    shutdown: () =>
      (stopping ??= (async () => {
        await stopStarted();
        await runtime.close();
      })()),
  };
}

/** The groups that read the log: one per service, search one per replica (its consumer name). */
export function consumerGroupsOf(searchConsumerName: string): string[] {
  return [
    FEATURE_STORE_GROUP,
    CANDIDATE_GENERATION_GROUP,
    NOTIFICATION_GROUP,
    searchGroupName(searchConsumerName),
  ];
}

/** Runs the trainer once against the playground's log, feature store and registry. */
export function trainOnce(
  runtime: Runtime,
  registry: ModelRegistry,
  env: Env,
  featureStoreAddress: string,
  logger: Logger,
  clock: () => number = Date.now,
): Promise<TrainerReport> {
  const config = loadConfig(trainerConfigShape, {
    ...env,
    FEATURE_STORE_ADDR: featureStoreAddress,
  });
  return runTrainer({ config, runtime, logger, registry, clock });
}

/** Runs the embeddings job once against the playground's log and embeddings store. */
export function trainEmbeddingsOnce(
  runtime: Runtime,
  store: EmbeddingStore,
  env: Env,
  logger: Logger,
  clock: () => number = Date.now,
): Promise<EmbeddingsJobReport> {
  const config = loadConfig(embeddingsJobConfigShape, env);
  return runEmbeddingsJob({
    eventLog: runtime.eventLog,
    store,
    logger,
    clock,
    ...embeddingsSettingsFrom(config),
  });
}

/** Runs the content models job once against the playground's log and content model store. */
export function trainContentModelsOnce(
  runtime: Runtime,
  store: ContentModelStore,
  env: Env,
  logger: Logger,
  clock: () => number = Date.now,
): Promise<ContentModelsJobReport> {
  const config = loadConfig(contentModelsJobConfigShape, env);
  return runContentModelsJob({
    eventLog: runtime.eventLog,
    store,
    logger,
    clock,
    settings: contentModelsSettingsFrom(config),
  });
}
