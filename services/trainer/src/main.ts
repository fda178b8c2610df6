import { createLogger, startProcessTelemetry } from '@feedmesh/telemetry';

// A batch job (a Kubernetes CronJob): one run, exit 0 with the report on stdout, or exit 1
// with the reason on stderr.
const telemetry = startProcessTelemetry({ serviceName: 'trainer' });
const logger = createLogger('trainer');
const { createRuntime, loadConfig } = await import('@feedmesh/service-kit');
const { ConfigError } = await import('@feedmesh/errors');
const { runTrainer, trainerConfigShape } = await import('./index.js');
const { warnWithoutRedis } = await import('./job-main.js');

let exitCode = 0;
try {
  const config = loadConfig(trainerConfigShape, process.env);
  warnWithoutRedis(config, logger);
  const runtime = createRuntime(config, logger);
  try {
    const report = await runTrainer({ config, runtime, logger });
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await runtime.close();
  }
} catch (error) {
  exitCode = 1;
  const message =
    error instanceof ConfigError
      ? error.message
      : `training failed: ${error instanceof Error ? error.message : String(error)}`;
  logger.error({ err: error }, message);
  process.stderr.write(`trainer: ${message}\n`);
}
await telemetry.shutdown();
process.exit(exitCode);
