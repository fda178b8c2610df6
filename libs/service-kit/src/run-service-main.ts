import { ConfigError } from '@feedmesh/errors';
import type { z } from 'zod';
import { loadConfig } from './config.js';
import type { Logger } from './logger.js';
import { createRuntime, type Runtime, type RuntimeConfig } from './runtime.js';
import { shutdownOnSignals, type RunningServer } from './server.js';

/**
 * The body of every service's `main.ts` (after telemetry has started): load and validate the
 * config, build the runtime, start, and drain on SIGTERM. A bad config prints the variable
 * and exits 1 before anything listens.
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
  let config: Readonly<z.infer<z.ZodObject<Shape>>>;
  try {
    config = loadConfig(options.configShape, options.env ?? process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${options.name}: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const runtime = createRuntime(config as unknown as RuntimeConfig, options.logger);
  const server = await options.start({ config, runtime, logger: options.logger });
  const withRuntime: RunningServer = {
    ...server,
    shutdown: async (reason) => {
      await server.shutdown(reason);
      await runtime.close();
      await options.telemetry?.shutdown();
    },
  };
  shutdownOnSignals(withRuntime, options.logger);
  return withRuntime;
}
