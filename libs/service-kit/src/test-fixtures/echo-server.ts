// A real echo server process for drain tests: prints its address, drains on SIGTERM.
import { createLogger } from '@feedmesh/telemetry';
import { echoService } from '../echo-service.js';
import { shutdownOnSignals, startGrpcServer } from '../server.js';

const logger = createLogger('echo-fixture');
const server = await startGrpcServer({
  name: 'echo',
  listen: '127.0.0.1:0',
  maxMessageBytes: 4 * 1024 * 1024 + 1024,
  unaryTimeoutMs: 30_000,
  drainTimeoutMs: 5_000,
  services: [echoService()],
  logger,
});
shutdownOnSignals(server, logger);
process.stdout.write(`LISTENING ${server.address}\n`);
