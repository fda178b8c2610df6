import { ConfigError } from '@feedmesh/errors';
import type { z } from 'zod';
import { loadConfig } from './config.js';
import type { Logger } from './logger.js';
import { connectReachableRedis } from './reachable-redis.js';
import { createRuntime, type RedisClient, type Runtime, type RuntimeConfig } from './runtime.js';
import { shutdownOnSignals, type RunningServer } from './server.js';

/**
 * The body of every service's `main.ts` (after telemetry has started): load and validate the
 * config, build the runtime, start, and drain on SIGTERM. A bad config prints the variable
 * and exits 1 before anything listens. A SIGTERM or SIGINT that comes while the service is
 * starting is held until the start is done, then drains it (a service whose start takes long,
 * a rebuild or a replay, is meanwhile ended by the orchestrator's SIGKILL at its grace period).
 */
export async function runServiceMain<Shape extends z.ZodRawShape>(options: {
  readonly name: string;
  readonly configShape: Shape;
  readonly logger: Logger;
  readonly start: (deps: {
    config: Readonly<z.infer<z.ZodObject<Shape>>>;
    runtime: Runtime;
    logger: Logger;
  }) => Promise<RunningServer>;
  readonly env?: Record<string, string | undefined>;
  /** The process's telemetry: flushed last on shutdown, so the final spans are not lost. */
  readonly telemetry?: { shutdown(): Promise<void> };
}): Promise<RunningServer> {
  // A ConfigError from start (TLS files, a port in use, a missing file) is reported the same
  // way as one from loadConfig: one line naming the variable, exit 1.
  const refuse = (error: unknown): never => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${options.name}: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  };
  let config: Readonly<z.infer<z.ZodObject<Shape>>>;
  try {
    config = loadConfig(options.configShape, options.env ?? process.env);
  } catch (error) {
    return refuse(error);
  }
  const runtimeConfig = config as unknown as RuntimeConfig;
  let runtime: Runtime;
  try {
    runtime = createRuntime(runtimeConfig, options.logger, {
      redis: await reachRedis(runtimeConfig, options.logger),
    });
  } catch (error) {
    return refuse(error);
  }
  // A SIGTERM while the service starts (a rollout, a scale-down, a playground stopped at once)
  // would otherwise end it on Node's default, mid-start and without a word: remember it, and
  // drain as soon as the start is done.
  let stopRequested: NodeJS.Signals | undefined;
  const whileStarting = (signal: NodeJS.Signals) => {
    stopRequested ??= signal;
  };
  process.on('SIGTERM', whileStarting);
  process.on('SIGINT', whileStarting);
  let server: RunningServer;
  try {
    server = await options.start({ config, runtime, logger: options.logger });
  } catch (error) {
    if (error instanceof ConfigError) await runtime.close().catch(() => undefined);
    return refuse(error);
  } finally {
    process.off('SIGTERM', whileStarting);
    process.off('SIGINT', whileStarting);
  }
  if (!runtimeConfig.REDIS_URL) warnInMemory(options.logger);
  const withRuntime: RunningServer = {
    ...server,
    shutdown: async (reason) => {
      await server.shutdown(reason);
      await runtime.close();
      await options.telemetry?.shutdown();
    },
  };
  shutdownOnSignals(withRuntime, options.logger);
  if (stopRequested !== undefined) {
    options.logger.info(
      { signal: stopRequested },
      `${options.name} was asked to stop while starting`,
    );
    process.emit('SIGTERM', stopRequested);
  }
  return withRuntime;
}

/**
 * A service process without REDIS_URL runs on an event log and stores of its own, in memory:
 * events it acknowledges reach no other service (a standalone gateway's PublishEvents) and
 * nothing survives it. Right for trying one service alone, surprising anywhere else, so it is
 * said once at start. (The playground shares one in-memory runtime between the services of
 * its process and does not come through here.)
 */
function warnInMemory(logger: Logger): void {
  logger.warn(
    { variable: 'REDIS_URL' },
    "REDIS_URL is not set: the event log and state are in this process's memory only, " +
      'not shared with other services and lost at exit; set REDIS_URL to share them',
  );
}

/**
 * Redis (or, with REDIS_CLUSTER, the cluster) must answer before the service starts, or the
 * process would rebuild nothing, retry forever or serve without its state.
 */
async function reachRedis(config: RuntimeConfig, logger: Logger): Promise<RedisClient | undefined> {
  if (!config.REDIS_URL) return undefined;
  try {
    return await connectReachableRedis(config.REDIS_URL, {
      logger,
      cluster: config.REDIS_CLUSTER,
    });
  } catch (error) {
    // "redis: cannot reach <url>: ECONNREFUSED" without its dependency prefix.
    const problem = (error as Error).message.replace(/^redis: /, '');
    throw new ConfigError('REDIS_URL', problem);
  }
}
