import { createLogger, startProcessTelemetry } from '@feedmesh/telemetry';

const telemetry = startProcessTelemetry({ serviceName: 'ranker' });
const logger = createLogger('ranker');
const { runServiceMain } = await import('@feedmesh/service-kit');
const { startRanker, rankerConfigShape } = await import('./index.js');

// The conventional port unless GRPC_LISTEN says otherwise (a pod listens on 0.0.0.0:50054).
await runServiceMain({
  telemetry,
  name: 'ranker',
  configShape: rankerConfigShape,
  logger,
  start: startRanker,
  env: { GRPC_LISTEN: '127.0.0.1:50054', ...process.env },
});
