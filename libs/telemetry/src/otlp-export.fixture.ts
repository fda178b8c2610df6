/**
 * A service process for otlp-export.test.ts: an Echo server whose telemetry is configured only by
 * the OTEL_* variables it was started with. Prints its port, serves until SIGTERM, then shuts
 * down (which flushes).
 */
import { echov1 } from '@feedmesh/contracts';
import { createServer } from 'nice-grpc';
import { serverTelemetryMiddleware, startTelemetry, traceRedis } from './index.js';

const telemetry = startTelemetry({ serviceName: 'echo-fixture' });

const server = createServer().use(serverTelemetryMiddleware('echo'));
server.add(echov1.EchoServiceDefinition, {
  async echo(request) {
    return traceRedis('GET', async () => ({ payload: request.payload }));
  },
});
const port = await server.listen('127.0.0.1:0');
process.stdout.write(`${port}\n`);

process.once('SIGTERM', () => {
  void server
    .shutdown()
    .then(() => telemetry.shutdown())
    .then(() => process.exit(0));
});
