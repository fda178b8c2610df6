import { createLogger, startProcessTelemetry } from '@feedmesh/telemetry';

// Telemetry first: it must be in place before anything loads gRPC.
const telemetry = startProcessTelemetry({ serviceName: 'feature-store' });
const logger = createLogger('feature-store');
const { runServiceMain } = await import('@feedmesh/service-kit');
const { startFeatureStore, featureStoreConfigShape } = await import('./index.js');

// The conventional port unless GRPC_LISTEN says otherwise (a pod listens on 0.0.0.0:50053).
await runServiceMain({
  telemetry,
  name: 'feature-store',
  configShape: featureStoreConfigShape,
  logger,
  start: startFeatureStore,
  env: { GRPC_LISTEN: '127.0.0.1:50053', ...process.env },
});
