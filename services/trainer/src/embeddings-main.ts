import { createLogger, startProcessTelemetry } from '@feedmesh/telemetry';

// The embeddings job (a Kubernetes CronJob, next to the ranking one): one run, exit 0 with the
// report on stdout, or exit 1 with the reason on stderr.
const telemetry = startProcessTelemetry({ serviceName: 'trainer' });
const logger = createLogger('trainer-embeddings');
const { embeddingStoreFor } = await import('@feedmesh/embeddings');
const { embeddingsJobConfigShape, embeddingsSettingsFrom } = await import('./embeddings-config.js');
const { runEmbeddingsJob } = await import('./embeddings-job.js');
const { runJobMain } = await import('./job-main.js');

const exitCode = await runJobMain({
  logger,
  configShape: embeddingsJobConfigShape,
  what: 'embeddings training',
  run: (config, runtime) =>
    runEmbeddingsJob({
      eventLog: runtime.eventLog,
      store: embeddingStoreFor(runtime),
      logger,
      clock: Date.now,
      ...embeddingsSettingsFrom(config),
    }),
});
await telemetry.shutdown();
process.exit(exitCode);
