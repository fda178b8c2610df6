import { createLogger, startTelemetry } from '@feedmesh/telemetry';

startTelemetry({ serviceName: 'ranker' });
const logger = createLogger('ranker');
const { runServiceMain } = await import('@feedmesh/service-kit');
const { startRanker, rankerConfigShape } = await import('./index.js');

await runServiceMain({
  name: 'ranker',
  configShape: rankerConfigShape,
  logger,
  start: startRanker,
});
