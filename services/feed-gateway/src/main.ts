import { createLogger, startTelemetry } from '@feedmesh/telemetry';

startTelemetry({ serviceName: 'feed-gateway' });
const logger = createLogger('feed-gateway');
const { runServiceMain } = await import('@feedmesh/service-kit');
const { startFeedGateway, feedGatewayConfigShape } = await import('./index.js');

await runServiceMain({
  name: 'feed-gateway',
  configShape: feedGatewayConfigShape,
  logger,
  start: startFeedGateway,
});
