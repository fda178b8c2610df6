import { ConfigError } from '@feedmesh/errors';
import {
  createRuntime,
  loadConfig,
  runtimeConfigShape,
  type Logger,
  type Runtime,
} from '@feedmesh/service-kit';
import type { z } from 'zod';

type RuntimeConfig = z.infer<z.ZodObject<typeof runtimeConfigShape>>;

/**
 * A job without REDIS_URL reads an event log of its own, in memory and empty, and publishes
 * where nothing reads: it would exit 0 every day, so a CronJob that lost its REDIS_URL must
 * say so, on stderr whatever LOG_LEVEL is.
 */
export function warnWithoutRedis(config: Pick<RuntimeConfig, 'REDIS_URL'>, logger: Logger): void {
  if (config.REDIS_URL) return;
  const message =
    'REDIS_URL is not set: this run read an in-memory event log of its own (empty) and ' +
    'published nowhere another process reads';
  logger.warn({ variable: 'REDIS_URL' }, message);
  process.stderr.write(`trainer: ${message}\n`);
}

/**
 * One run of a trainer job (a Kubernetes CronJob): validates the config (a bad variable is
 * named), opens the runtime, runs, prints the report on stdout and returns 0; or logs the
 * reason, prints it on stderr and returns 1. The caller started telemetry first.
 */
export async function runJobMain<Shape extends typeof runtimeConfigShape>(options: {
  readonly logger: Logger;
  readonly configShape: Shape;
  /** What failed, for the message: "embeddings training". */
  readonly what: string;
  readonly run: (
    config: Readonly<z.infer<z.ZodObject<Shape>>> & RuntimeConfig,
    runtime: Runtime,
  ) => Promise<unknown>;
}): Promise<number> {
  const { logger } = options;
  try {
    const config = loadConfig(options.configShape, process.env) as Readonly<
      z.infer<z.ZodObject<Shape>>
    > &
      RuntimeConfig;
    warnWithoutRedis(config, logger);
    const runtime = createRuntime(config, logger);
    try {
      const report = await options.run(config, runtime);
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } finally {
      await runtime.close();
    }
    return 0;
  } catch (error) {
    const message =
      error instanceof ConfigError
        ? error.message
        : `${options.what} failed: ${error instanceof Error ? error.message : String(error)}`;
    logger.error({ err: error }, message);
    process.stderr.write(`trainer: ${message}\n`);
    return 1;
  }
}
