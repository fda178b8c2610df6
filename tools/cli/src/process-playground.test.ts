import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { PLAYGROUND_SERVICES } from '@feedmesh/playground';
import { createLogger } from '@feedmesh/telemetry';
import { testRedis, testRedisUrl, uniquePrefix } from '@feedmesh/testing';
import { freePorts } from '@feedmesh/service-kit';
import { startProcessPlayground } from './process-playground.js';

describe('the process playground (every service a child process, on Redis)', function () {
  this.timeout(120_000);

  it('stops every service by draining it (each logs that it stopped), none killed', async function () {
    const prefix = uniquePrefix('process-playground');
    const output = new PassThrough();
    const lines: string[] = [];
    output.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n')));
    const ports = await freePorts(PLAYGROUND_SERVICES.length);
    const byService = Object.fromEntries(PLAYGROUND_SERVICES.map((name, i) => [name, ports[i]!]));
    const playground = await startProcessPlayground({
      gatewayListen: `127.0.0.1:${byService['feed-gateway']}`,
      ports: byService,
      env: {
        ...process.env,
        REDIS_URL: testRedisUrl(),
        REDIS_PREFIX: prefix,
        LOG_LEVEL: 'info',
        OTEL_SDK_DISABLED: 'true',
      },
      logger: createLogger('process-playground-test', { level: 'silent' }),
      output,
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
        `${service} drained and said so; its output:\n${lines.filter((line) => line.startsWith(`[${service}]`)).join('\n')}`,
      );
    }
  });
});
