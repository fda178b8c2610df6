// A service's main.ts in miniature (echo on runServiceMain), for tests of how a refused start
// is reported: one line on stderr naming the variable, exit 1. With ECHO_MAIN_SLOW_START_MS it
// prints LISTENING as soon as it listens, finishes starting that much later, and then runs
// until a signal stops it (a start still going when SIGTERM comes).
import { createLogger } from '@feedmesh/telemetry';
import { serverConfigShape, serverOptionsFrom } from '../config.js';
import { echoService } from '../echo-service.js';
import { runServiceMain } from '../run-service-main.js';
import { runtimeConfigShape } from '../runtime.js';
import { startGrpcServer } from '../server.js';

const logger = createLogger('echo-main');
const slowStartMs = Number(process.env['ECHO_MAIN_SLOW_START_MS'] ?? 0);
const server = await runServiceMain({
  name: 'echo-main',
  configShape: { ...serverConfigShape, ...runtimeConfigShape },
  logger,
  start: async ({ config }) => {
    const running = await startGrpcServer({
      ...serverOptionsFrom(config),
      name: 'echo-main',
      services: [echoService()],
      logger,
    });
    if (slowStartMs > 0) {
      process.stdout.write(`LISTENING ${running.address}\n`);
      await new Promise((resolve) => setTimeout(resolve, slowStartMs));
    }
    return running;
  },
});
if (slowStartMs === 0) {
  process.stdout.write(`LISTENING ${server.address}\n`);
  await server.shutdown('test');
}
