import { createLogger, startProcessTelemetry } from '@feedmesh/telemetry';

const telemetry = startProcessTelemetry({ serviceName: 'search' });
const logger = createLogger('search');
const { runServiceMain } = await import('@feedmesh/service-kit');
const { startSearch, searchConfigShape } = await import('./index.js');

// The conventional port unless GRPC_LISTEN says otherwise (a pod listens on 0.0.0.0:50055).
await runServiceMain({
  telemetry,
  name: 'search',
  configShape: searchConfigShape,
  logger,
  start: startSearch,
  env: { GRPC_LISTEN: '127.0.0.1:50055', ...process.env },
});
