import { createLogger, startProcessTelemetry } from '@feedmesh/telemetry';

// The bare echo RPC in a process of its own, started like a service (telemetry first, the
// same server bootstrap and middleware), so its throughput is the transport's limit on this
// machine. With ECHO_RELAY_TO (an echo server's address), each call is first passed on there
// ECHO_RELAY_CALLS times (relay-echo.ts): a feed path with no work. Prints
// `listening <host:port>` once it serves; drains on SIGTERM.
startProcessTelemetry({ serviceName: 'echo' });
const logger = createLogger('echo');
const { echoService, shutdownOnSignals, startGrpcServer } = await import('@feedmesh/service-kit');
const { relayEcho } = await import('./relay-echo.js');

const relayTo = process.env['ECHO_RELAY_TO'];
const relayCalls = Number(process.env['ECHO_RELAY_CALLS'] ?? '1');
if (relayTo && !(Number.isInteger(relayCalls) && relayCalls >= 1)) {
  logger.error(
    { relayCalls: process.env['ECHO_RELAY_CALLS'] },
    'ECHO_RELAY_CALLS must be a whole number >= 1',
  );
  process.exit(2);
}
const relay = relayTo ? relayEcho(relayTo, relayCalls) : undefined;
const server = await startGrpcServer({
  name: relay ? 'relay-echo' : 'echo',
  listen: process.env['GRPC_LISTEN'] ?? '127.0.0.1:0',
  maxMessageBytes: 16 * 1024 * 1024,
  unaryTimeoutMs: 30_000,
  drainTimeoutMs: 2_000,
  services: [relay ? relay.binding : echoService()],
  logger,
});
shutdownOnSignals(server, logger);
process.stdout.write(`listening ${server.address}\n`);
