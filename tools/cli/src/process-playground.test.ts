import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { PLAYGROUND_SERVICES } from '@feedmesh/playground';
import { createLogger } from '@feedmesh/telemetry';
import { testRedis, testRedisUrl, uniquePrefix } from '@feedmesh/testing';
import { freePorts } from '@feedmesh/service-kit';
import { serviceChildren } from './bench-feed/process-cpu.js';
import { startProcessPlayground, type ProcessPlaygroundOptions } from './process-playground.js';

/** Options for a playground on free ports of 127.0.0.1 and the test Redis under `prefix`. */
async function playgroundOptions(
  prefix: string,
  output: PassThrough = new PassThrough(),
): Promise<ProcessPlaygroundOptions & { ports: Record<string, number> }> {
  const ports = await freePorts(PLAYGROUND_SERVICES.length);
  const byService = Object.fromEntries(PLAYGROUND_SERVICES.map((name, i) => [name, ports[i]!]));
  return {
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
  };
}

describe('the process playground (every service a child process, on Redis)', function () {
  this.timeout(120_000);

  it('stops every service by draining it (each logs that it stopped), none killed', async function () {
    const prefix = uniquePrefix('process-playground');
    const output = new PassThrough();
    const lines: string[] = [];
    output.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n')));
    const playground = await startProcessPlayground(await playgroundOptions(prefix, output));
    // How long the stop took and how each child ended, for the failure message: a child ended
    // by SIGKILL after the grace period hung; one ended by SIGTERM had no handler yet.
    const stopStarted = Date.now();
    try {
      await playground.shutdown();
    } finally {
      await testRedis(prefix).cleanup();
    }
    const stopMs = Date.now() - stopStarted;
    for (const service of PLAYGROUND_SERVICES) {
      assert.ok(
        lines.some(
          (line) => line.startsWith(`[${service}]`) && line.includes(`${service} stopped`),
        ),
        `${service} drained and said so (the stop took ${stopMs} ms; ended by ${playground.exits[service] ?? 'nothing recorded'}); its output:\n${lines.filter((line) => line.startsWith(`[${service}]`)).join('\n')}`,
      );
    }
  });

  it("refuses to start when a service's port is taken, naming the service and address, and starts none", async () => {
    const prefix = uniquePrefix('process-playground-taken');
    const options = await playgroundOptions(prefix);
    const holder = createServer();
    await new Promise<void>((resolve) =>
      holder.listen(options.ports['ranker'], '127.0.0.1', resolve),
    );
    try {
      await assert.rejects(
        startProcessPlayground(options),
        new RegExp(
          `^CommandFailedError: ranker cannot listen at 127\\.0\\.0\\.1:${options.ports['ranker']}: address in use \\(EADDRINUSE\\)$`,
        ),
      );
      assert.deepEqual(serviceChildren(), [], 'no service process started');
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
      await testRedis(prefix).cleanup(); // nothing, unless a service did start
    }
  });

  it("ends work run while the services run with a service's exit, and aborts the work's signal", async function () {
    const prefix = uniquePrefix('process-playground-dies');
    const playground = await startProcessPlayground(await playgroundOptions(prefix));
    try {
      const ranker = serviceChildren().find((child) => child.name === 'ranker');
      assert.ok(ranker, 'the ranker runs as a child process');
      let workSignal: AbortSignal | undefined;
      const run = playground.whileRunning(async (signal) => {
        workSignal = signal;
        // Work that would never end by itself: only the ranker's death ends it.
        await new Promise<never>(() => undefined);
      });
      process.kill(ranker.pid, 'SIGKILL');
      await assert.rejects(
        run,
        /^CommandFailedError: ranker exited \(SIGKILL\); its output is above/,
      );
      assert.equal(workSignal?.aborted, true);
    } finally {
      await playground.shutdown();
      await testRedis(prefix).cleanup();
    }
  });
});
