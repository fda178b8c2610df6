// A service's main.ts in miniature (echo on runServiceMain), for tests of how a refused start
// is reported: one line on stderr naming the variable, exit 1.
import { createLogger } from '@feedmesh/telemetry';
import { serverConfigShape, serverOptionsFrom } from '../config.js';
import { echoService } from '../echo-service.js';
import { runServiceMain } from '../run-service-main.js';
import { runtimeConfigShape } from '../runtime.js';
import { startGrpcServer } from '../server.js';

const logger = createLogger('echo-main');
const server = await runServiceMain({
  name: 'echo-main',
  configShape: { ...serverConfigShape, ...runtimeConfigShape },
  logger,
  start: ({ config }) =>
    startGrpcServer({
      ...serverOptionsFrom(config),
      name: 'echo-main',
      services: [echoService()],
      logger,
    }),
});
process.stdout.write(`LISTENING ${server.address}\n`);
await server.shutdown('test');
