import { packedRankerDefinition } from '@feedmesh/contracts';
import { modelRegistryFor, type ModelRegistry } from '@feedmesh/models';
import {
  bindService,
  env,
  runtimeConfigShape,
  serverConfigShape,
  startGrpcServer,
  type Logger,
  type RunningServer,
  type Runtime,
  serverOptionsFrom,
} from '@feedmesh/service-kit';
import { z } from 'zod';
import { ModelLoader } from './model-loader.js';
import { createRankerMetrics } from './ranker-metrics.js';
import { rankerService } from './ranker-service.js';

export const rankerConfigShape = {
  ...serverConfigShape,
  ...runtimeConfigShape,
  /** The model an empty RankRequest.model means; until it is trained, the heuristic ranks. */
  RANKER_DEFAULT_MODEL: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'expected 1-64 characters from [A-Za-z0-9_.:-]')
    .default('feed'),
  /** How often the ranker polls the registry's current pointers for new versions, ms. */
  RANKER_RELOAD_INTERVAL_MS: env.int(5_000, 50, 3_600_000),
};

export type RankerConfig = Readonly<z.infer<z.ZodObject<typeof rankerConfigShape>>>;

export interface RankerOptions {
  readonly config: RankerConfig;
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly clock?: () => number;
  /**
   * Where models come from. Default: the Redis registry when `runtime.redis` is set, else an
   * in-memory one (the playground passes one registry to both ranker and trainer).
   */
  readonly registry?: ModelRegistry;
}

/**
 * Starts the ranker: loads the registry's current models (falling back to the built-in
 * heuristic), serves RankerService, and hot-reloads new versions every
 * RANKER_RELOAD_INTERVAL_MS until shutdown.
 */
export async function startRanker(options: RankerOptions): Promise<RunningServer> {
  const { config, logger } = options;
  const registry =
    options.registry ??
    modelRegistryFor(options.runtime, options.clock ? { clock: options.clock } : {});
  const metrics = createRankerMetrics();
  const loader = new ModelLoader({
    registry,
    defaultModel: config.RANKER_DEFAULT_MODEL,
    reloadIntervalMs: config.RANKER_RELOAD_INTERVAL_MS,
    logger,
    metrics,
  });
  await loader.start();
  return startGrpcServer({
    name: 'ranker',
    ...serverOptionsFrom(config),
    // Rank's request and response in the packed codec: the same wire format as generated.
    services: [
      bindService(packedRankerDefinition, rankerService({ loader, registry, logger, metrics })),
    ],
    logger,
    onShutdown: () => loader.stop(),
  });
}

export {
  ModelLoader,
  type LoadedModel,
  type ModelLoaderOptions,
  type ResolvedModel,
} from './model-loader.js';
export type { FallbackReason, LoadFailureReason, RankerMetrics } from './ranker-metrics.js';
export {
  parseRankRequest,
  MAX_CANDIDATES,
  type RankInput,
  type RankRequestMessage,
} from './rank-request.js';
