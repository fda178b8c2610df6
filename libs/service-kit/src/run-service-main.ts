import { ConfigError } from '@feedmesh/errors';
import { AbortError, isAbortError } from 'abort-controller-x';
import type { z } from 'zod';
import { loadConfig } from './config.js';
import type { Logger } from './logger.js';
import { connectReachableRedis } from './reachable-redis.js';
import { createRuntime, type RedisClient, type Runtime, type RuntimeConfig } from './runtime.js';
import { shutdownOnSignals, type RunningServer } from './server.js';

/**
 * The body of every service's `main.ts` (after telemetry has started): load and validate the
 * config, build the runtime, start, and drain on SIGTERM. A bad config prints the variable
 * and exits 1 before anything listens.
 *
 * A SIGTERM or SIGINT that comes while the service is starting aborts `start`'s `signal`. A
 * start that honours it (a rebuild or a replay checking it between events) rejects with the
 * abort, having closed what it opened itself (its servers); the runtime (the event log's
 * consumers, Redis) and telemetry are then closed here, and the process exits 0, logging
 * "<name> start aborted by SIGTERM". A start that ignores it finishes, and is then drained as
 * on any SIGTERM. Either way nothing is left half-started, and nothing ends on Node's default.
 */
export async function runServiceMain<Shape extends z.ZodRawShape>(options: {
  readonly name: string;
  readonly configShape: Shape;
  readonly logger: Logger;
  readonly start: (deps: {
    config: Readonly<z.infer<z.ZodObject<Shape>>>;
    runtime: Runtime;
    logger: Logger;
    /**
     * Aborted by a SIGTERM or SIGINT during the start. A long start checks it (its loops:
     * `signal.throwIfAborted()`), closes what it opened, and rethrows the abort.
     */
    signal: AbortSignal;
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
  // A SIGTERM while the service starts (a rollout, a scale-down, a playground stopped at once)
  // would otherwise end it on Node's default, mid-start and without a word: it aborts the
  // start instead, which ends at once if the start honours the signal, else once it is done.
  const starting = new AbortController();
  let stopRequested: NodeJS.Signals | undefined;
  const whileStarting = (signal: NodeJS.Signals) => {
    if (stopRequested !== undefined) return;
    stopRequested = signal;
    options.logger.info({ signal }, `${options.name} was asked to stop while starting`);
    starting.abort(new AbortError());
  };
  process.on('SIGTERM', whileStarting);
  process.on('SIGINT', whileStarting);
  const stopWatching = () => {
    process.off('SIGTERM', whileStarting);
    process.off('SIGINT', whileStarting);
  };
  const runtimeConfig = config as unknown as RuntimeConfig;
  let runtime: Runtime;
  try {
    runtime = createRuntime(runtimeConfig, options.logger, {
      redis: await reachRedis(runtimeConfig, options.logger),
    });
  } catch (error) {
    stopWatching();
    return refuse(error);
  }
  let server: RunningServer;
  try {
    starting.signal.throwIfAborted();
    server = await options.start({
      config,
      runtime,
      logger: options.logger,
      signal: starting.signal,
    });
  } catch (error) {
    if (stopRequested !== undefined && isAbortOf(error, starting.signal)) {
      // The process goes as it would after a drain; the handlers stay, so that a second
      // signal meanwhile does not end it on Node's default.
      await runtime.close().catch((closeError: unknown) => {
        options.logger.warn({ err: closeError }, 'closing the runtime of an aborted start failed');
      });
      options.logger.info(
        { signal: stopRequested },
        `${options.name} start aborted by ${stopRequested}`,
      );
      await options.telemetry?.shutdown().catch(() => undefined);
      process.exit(0);
    }
    stopWatching();
    if (error instanceof ConfigError) await runtime.close().catch(() => undefined);
    return refuse(error);
  }
  const withRuntime: RunningServer = {
    ...server,
    shutdown: async (reason) => {
      await server.shutdown(reason);
      await runtime.close();
      await options.telemetry?.shutdown();
    },
  };
  // The drain's listeners go on before the start's come off. Node stops watching a signal once
  // its last listener goes, and a signal caught but not yet handed to the listeners (that waits
  // for the event loop's next poll, so one that came as the start ended) is dropped with the
  // watch: the service would serve on, deaf to the stop it was sent.
  shutdownOnSignals(withRuntime, options.logger);
  stopWatching();
  if (!runtimeConfig.REDIS_URL) warnInMemory(options.logger);
  if (stopRequested !== undefined) {
    options.logger.info(
      { signal: stopRequested },
      `${options.name} finished starting after it was asked to stop; draining`,
    );
    process.emit('SIGTERM', stopRequested);
  }
  return withRuntime;
}

/** Whether `error` is the start giving up on `signal`'s abort (itself, or what it caused). */
function isAbortOf(error: unknown, signal: AbortSignal): boolean {
  for (let cause = error, depth = 0; cause !== undefined && depth < 5; depth++) {
    if (cause === signal.reason || isAbortError(cause)) return true;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return false;
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
