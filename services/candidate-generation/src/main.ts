import { createLogger, startProcessTelemetry } from '@feedmesh/telemetry';

const telemetry = startProcessTelemetry({ serviceName: 'candidate-generation' });
const logger = createLogger('candidate-generation');
const { runServiceMain } = await import('@feedmesh/service-kit');
const { startCandidateGeneration, candidateGenerationConfigShape } = await import('./index.js');

// The conventional port unless GRPC_LISTEN says otherwise (a pod listens on 0.0.0.0:50052).
await runServiceMain({
  telemetry,
  name: 'candidate-generation',
  configShape: candidateGenerationConfigShape,
  logger,
  start: startCandidateGeneration,
  env: { GRPC_LISTEN: '127.0.0.1:50052', ...process.env },
});
