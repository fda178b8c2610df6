import { createLogger, startTelemetry } from '@feedmesh/telemetry';

// The content models job (a Kubernetes CronJob, next to the ranking and embeddings ones): one
// run, exit 0 with the report on stdout, or exit 1 with the reason on stderr.
const telemetry = startTelemetry({ serviceName: 'trainer' });
const logger = createLogger('trainer-content-models');
const { createRuntime, loadConfig } = await import('@feedmesh/service-kit');
const { ConfigError } = await import('@feedmesh/errors');
const { contentModelStoreFor } = await import('@feedmesh/content');
const { contentModelsJobConfigShape } = await import('./content-models-config.js');
const { runContentModelsJob } = await import('./content-models-job.js');

let exitCode = 0;
try {
  const config = loadConfig(contentModelsJobConfigShape, process.env);
  const runtime = createRuntime(config, logger);
  try {
    const report = await runContentModelsJob({
      eventLog: runtime.eventLog,
      store: contentModelStoreFor(runtime),
      logger,
      clock: Date.now,
      settings: {
        dim: config.CONTENT_MODELS_DIM,
        neighbours: config.CONTENT_MODELS_NEIGHBOURS,
        maxPosts: config.CONTENT_MODELS_MAX_POSTS,
        seed: config.CONTENT_MODELS_SEED,
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
      : `content models training failed: ${error instanceof Error ? error.message : String(error)}`;
  logger.error({ err: error }, message);
  process.stderr.write(`trainer: ${message}\n`);
}
await telemetry.shutdown();
process.exit(exitCode);
