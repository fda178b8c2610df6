// A real echo server process for drain tests: prints its address, prints `CALL <payload>` as
// each call arrives (so a test knows a call is in flight before it signals), drains on SIGTERM.
import { echov1 } from '@feedmesh/contracts';
import { createLogger } from '@feedmesh/telemetry';
import { delay } from 'abort-controller-x';
import { bindService, shutdownOnSignals, startGrpcServer } from '../server.js';

const logger = createLogger('echo-fixture');
const server = await startGrpcServer({
  name: 'echo',
  listen: '127.0.0.1:0',
  maxMessageBytes: 4 * 1024 * 1024 + 1024,
  unaryTimeoutMs: 30_000,
  drainTimeoutMs: 5_000,
  services: [
    bindService(echov1.EchoServiceDefinition, {
      async echo(request, context) {
        process.stdout.write(`CALL ${request.payload.toString()}\n`);
        if (request.delayMs > 0) await delay(context.signal, request.delayMs);
        return { payload: request.payload };
      },
    }),
  ],
  logger,
});
shutdownOnSignals(server, logger);
process.stdout.write(`LISTENING ${server.address}\n`);
