import { createLogger, startTelemetry } from '@feedmesh/telemetry';

startTelemetry({ serviceName: 'candidate-generation' });
const logger = createLogger('candidate-generation');
const { runServiceMain } = await import('@feedmesh/service-kit');
const { startCandidateGeneration, candidateGenerationConfigShape } = await import('./index.js');

await runServiceMain({
  name: 'candidate-generation',
  configShape: candidateGenerationConfigShape,
  logger,
  start: startCandidateGeneration,
});
