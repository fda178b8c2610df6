import { createLogger, startProcessTelemetry } from '@feedmesh/telemetry';

// Telemetry first: it must be installed before anything loads gRPC.
const telemetry = startProcessTelemetry({ serviceName: 'notification' });
const logger = createLogger('notification');
const { runServiceMain } = await import('@feedmesh/service-kit');
const { startNotification, notificationConfigShape } = await import('./index.js');

await runServiceMain({
  telemetry,
  name: 'notification',
  configShape: notificationConfigShape,
  logger,
  start: startNotification,
  // The conventional port when run as its own process; GRPC_LISTEN overrides it.
  env: { GRPC_LISTEN: '127.0.0.1:50056', ...process.env },
});
