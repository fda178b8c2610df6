import { createLogger, startProcessTelemetry } from '@feedmesh/telemetry';

// The content models job (a Kubernetes CronJob, next to the ranking and embeddings ones): one
// run, exit 0 with the report on stdout, or exit 1 with the reason on stderr.
const telemetry = startProcessTelemetry({ serviceName: 'trainer' });
const logger = createLogger('trainer-content-models');
const { contentModelStoreFor } = await import('@feedmesh/content');
const { contentModelsJobConfigShape, contentModelsSettingsFrom } =
  await import('./content-models-config.js');
const { runContentModelsJob } = await import('./content-models-job.js');
const { runJobMain } = await import('./job-main.js');

const exitCode = await runJobMain({
  logger,
  configShape: contentModelsJobConfigShape,
  what: 'content models training',
  run: (config, runtime) =>
    runContentModelsJob({
      eventLog: runtime.eventLog,
      store: contentModelStoreFor(runtime),
      logger,
      clock: Date.now,
      settings: contentModelsSettingsFrom(config),
    }),
});
await telemetry.shutdown();
process.exit(exitCode);
