import { createLogger, startTelemetry } from '@feedmesh/telemetry';

// Telemetry first: it must be in place before anything loads gRPC.
startTelemetry({ serviceName: 'feature-store' });
const logger = createLogger('feature-store');
const { runServiceMain } = await import('@feedmesh/service-kit');
const { startFeatureStore, featureStoreConfigShape } = await import('./index.js');

await runServiceMain({
  name: 'feature-store',
  configShape: featureStoreConfigShape,
  logger,
  start: startFeatureStore,
});
