import { createLogger, startTelemetry } from '@feedmesh/telemetry';

// The embeddings job (a Kubernetes CronJob, next to the ranking one): one run, exit 0 with the
// report on stdout, or exit 1 with the reason on stderr.
const telemetry = startTelemetry({ serviceName: 'trainer' });
const logger = createLogger('trainer-embeddings');
const { createRuntime, loadConfig } = await import('@feedmesh/service-kit');
const { ConfigError } = await import('@feedmesh/errors');
const { embeddingStoreFor } = await import('@feedmesh/embeddings');
const { embeddingsJobConfigShape } = await import('./embeddings-config.js');
const { runEmbeddingsJob } = await import('./embeddings-job.js');

let exitCode = 0;
try {
  const config = loadConfig(embeddingsJobConfigShape, process.env);
  const runtime = createRuntime(config, logger);
  try {
    const report = await runEmbeddingsJob({
      eventLog: runtime.eventLog,
      store: embeddingStoreFor(runtime),
      logger,
      clock: Date.now,
      als: {
        factors: config.EMBEDDINGS_FACTORS,
        iterations: config.EMBEDDINGS_ITERATIONS,
        regularization: config.EMBEDDINGS_REGULARIZATION,
        alpha: config.EMBEDDINGS_ALPHA,
        seed: config.EMBEDDINGS_SEED,
      },
      neighbours: config.EMBEDDINGS_NEIGHBOUR_POSTS > 0 && {
        maxItems: config.EMBEDDINGS_NEIGHBOUR_POSTS,
        minEngagers: 2,
        neighbours: config.EMBEDDINGS_NEIGHBOURS,
        window: config.EMBEDDINGS_NEIGHBOUR_WINDOW,
        regularization: config.EMBEDDINGS_NEIGHBOUR_REGULARIZATION,
      },
    });
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await runtime.close();
  }
} catch (error) {
  exitCode = 1;
  const message =
    error instanceof ConfigError
      ? error.message
      : `embeddings training failed: ${error instanceof Error ? error.message : String(error)}`;
  logger.error({ err: error }, message);
  process.stderr.write(`trainer: ${message}\n`);
}
await telemetry.shutdown();
process.exit(exitCode);
