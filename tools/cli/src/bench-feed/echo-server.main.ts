import { createLogger, startTelemetry } from '@feedmesh/telemetry';

// The bare echo RPC in a process of its own, started like a service (telemetry first, the
// same server bootstrap and middleware), so its throughput is the transport's limit on this
// machine. Prints `listening <host:port>` once it serves; drains on SIGTERM.
startTelemetry({ serviceName: 'echo' });
const logger = createLogger('echo');
const { echoService, shutdownOnSignals, startGrpcServer } = await import('@feedmesh/service-kit');

const server = await startGrpcServer({
  name: 'echo',
  listen: process.env['GRPC_LISTEN'] ?? '127.0.0.1:0',
  maxMessageBytes: 16 * 1024 * 1024,
  unaryTimeoutMs: 30_000,
  drainTimeoutMs: 2_000,
  services: [echoService()],
  logger,
});
shutdownOnSignals(server, logger);
process.stdout.write(`listening ${server.address}\n`);
