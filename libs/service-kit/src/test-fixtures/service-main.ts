// A service's main.ts in miniature (echo on runServiceMain), for tests of how a refused start
// is reported (one line on stderr naming the variable, exit 1) and of a SIGTERM during start.
// With ECHO_MAIN_SLOW_START_MS it prints LISTENING as soon as it listens, finishes starting that
// much later (printing STARTED), and then runs until a signal stops it. Its slow start ignores
// the start's abort signal, as a start hook written before there was one; with
// ECHO_MAIN_HONOUR_ABORT=true it honours it instead: it also joins the event log's group
// "echo-main" before it listens (printing CONSUMING), and an abort ends its wait at once; it
// then closes its own server and throws, leaving the consumer to runServiceMain.
import { createLogger } from '@feedmesh/telemetry';
import { delay } from 'abort-controller-x';
import { serverConfigShape, serverOptionsFrom } from '../config.js';
import { echoService } from '../echo-service.js';
import { runServiceMain } from '../run-service-main.js';
import { runtimeConfigShape } from '../runtime.js';
import { startGrpcServer } from '../server.js';

const logger = createLogger('echo-main');
const slowStartMs = Number(process.env['ECHO_MAIN_SLOW_START_MS'] ?? 0);
const honoursAbort = process.env['ECHO_MAIN_HONOUR_ABORT'] === 'true';
const sigtermEndingStart = process.env['ECHO_MAIN_SIGTERM_ENDING_START'] === 'true';
const server = await runServiceMain({
  name: 'echo-main',
  configShape: { ...serverConfigShape, ...runtimeConfigShape },
  logger,
  start: async ({ config, runtime, signal }) => {
    if (honoursAbort) {
      await runtime.eventLog.consume({
        group: 'echo-main',
        consumer: runtime.consumerName,
        startFrom: 'end',
        handler: async () => {},
      });
      process.stdout.write('CONSUMING\n');
    }
    const running = await startGrpcServer({
      ...serverOptionsFrom(config),
      name: 'echo-main',
      services: [echoService()],
      logger,
    });
    if (slowStartMs > 0) {
      process.stdout.write(`LISTENING ${running.address}\n`);
      try {
        if (honoursAbort) await delay(signal, slowStartMs);
        else await new Promise((resolve) => setTimeout(resolve, slowStartMs));
      } catch (error) {
        await running.shutdown('start aborted');
        throw error;
      }
      process.stdout.write('STARTED\n');
    }
    // Delivered at once, but Node hands it to the listeners only when the loop next polls.
    if (sigtermEndingStart) process.kill(process.pid, 'SIGTERM');
    return running;
  },
});
if (slowStartMs === 0 && !sigtermEndingStart) {
  process.stdout.write(`LISTENING ${server.address}\n`);
  await server.shutdown('test');
}
