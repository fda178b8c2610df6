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
