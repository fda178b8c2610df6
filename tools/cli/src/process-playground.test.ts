import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { PLAYGROUND_SERVICES } from '@feedmesh/playground';
import { createLogger } from '@feedmesh/telemetry';
import { testRedis, testRedisUrl, uniquePrefix } from '@feedmesh/testing';
import { startProcessPlayground } from './process-playground.js';

describe('the process playground (every service a child process, on Redis)', function () {
  this.timeout(120_000);

  it('stops every service by draining it (each logs that it stopped), none killed', async function () {
    const prefix = uniquePrefix('process-playground');
    const output = new PassThrough();
    const lines: string[] = [];
    output.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n')));
    const playground = await startProcessPlayground({
      gatewayListen: `127.0.0.1:${await freePort()}`,
      env: {
        ...process.env,
        REDIS_URL: testRedisUrl(),
        REDIS_PREFIX: prefix,
        LOG_LEVEL: 'info',
        OTEL_SDK_DISABLED: 'true',
      },
      logger: createLogger('process-playground-test', { level: 'silent' }),
      output,
    }).catch((error: unknown) => {
      // The services take their conventional ports: a playground or benchmark running on this
      // machine holds them.
      if (/EADDRINUSE|listening/.test(String(error))) this.skip();
      throw error;
    });
    try {
      await playground.shutdown();
    } finally {
      await testRedis(prefix).cleanup();
    }
    for (const service of PLAYGROUND_SERVICES) {
      assert.ok(
        lines.some(
          (line) => line.startsWith(`[${service}]`) && line.includes(`${service} stopped`),
        ),
        `${service} drained and said so`,
      );
    }
  });
});

/** A port nothing listens on right now (the gateway's address must be known up front). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
