import { createLogger, startProcessTelemetry } from '@feedmesh/telemetry';

const telemetry = startProcessTelemetry({ serviceName: 'feed-gateway' });
const logger = createLogger('feed-gateway');
const { runServiceMain } = await import('@feedmesh/service-kit');
const { startFeedGateway, feedGatewayConfigShape } = await import('./index.js');

// The conventional port unless GRPC_LISTEN says otherwise (a pod listens on 0.0.0.0:50051).
await runServiceMain({
  telemetry,
  name: 'feed-gateway',
  configShape: feedGatewayConfigShape,
  logger,
  start: startFeedGateway,
  env: { GRPC_LISTEN: '127.0.0.1:50051', ...process.env },
});
