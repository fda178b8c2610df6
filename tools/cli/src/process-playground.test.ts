import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { PLAYGROUND_SERVICES, type PlaygroundService } from '@feedmesh/playground';
import { createLogger } from '@feedmesh/telemetry';
import { testRedis, testRedisUrl, uniquePrefix, waitFor } from '@feedmesh/testing';
import { freePorts } from '@feedmesh/service-kit';
import { serviceChildren } from './bench-feed/process-cpu.js';
import { startProcessPlayground, type ProcessPlaygroundOptions } from './process-playground.js';

/** Preloaded (`node --import`) into a service's process: its port accepts connections early. */
const LISTENS_BEFORE_READY = new URL('./test-support/listens-before-ready.js', import.meta.url)
  .href;
/** Preloaded into a service's process: it exits with code 3 before the service loads. */
const EXITS_BEFORE_READY = new URL('./test-support/exits-before-ready.js', import.meta.url).href;

/** Where the children's lines go, and the lines so far. */
function capturedOutput(): { output: PassThrough; lines: string[] } {
  const output = new PassThrough();
  const lines: string[] = [];
  output.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n')));
  return { output, lines };
}

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

describe('the process playground reports a service ready when it answers SERVING', function () {
  this.timeout(120_000);
  let releaseDir: string;
  before(async () => {
    releaseDir = await mkdtemp(join(tmpdir(), 'feedmesh-release-'));
  });
  after(() => rm(releaseDir, { recursive: true, force: true }));

  it('not when its port first accepts connections, but once a grpc.health.v1 Check says SERVING', async () => {
    const prefix = uniquePrefix('process-playground-early');
    const { output, lines } = capturedOutput();
    const release = join(releaseDir, 'early');
    const options = await playgroundOptions(prefix, output);
    let ready = false;
    const starting = startProcessPlayground({
      ...options,
      env: { ...options.env, FEEDMESH_TEST_RELEASE_FILE: release },
      // Every service's port accepts connections before the service has loaded.
      nodeFlags: () => ['--import', LISTENS_BEFORE_READY],
    }).then((playground) => {
      ready = true;
      return playground;
    });
    starting.catch(() => undefined);
    try {
      const dropped = (service: PlaygroundService) =>
        lines.includes(`[${service}] early listener: dropped a connection`);
      await waitFor(
        'a connection to every port, or the playground reporting ready',
        () => ready || PLAYGROUND_SERVICES.every(dropped),
        { timeoutMs: 60_000 },
      );
      assert.equal(ready, false, 'reported ready while each port only accepted connections');
      await writeFile(release, '');
      const playground = await starting;
      assert.equal(playground.gatewayAddress, options.gatewayListen);
    } finally {
      await writeFile(release, '');
      await (await starting.catch(() => undefined))?.shutdown();
      await testRedis(prefix).cleanup();
    }
  });

  it('fails the start when a service exits first, naming it, how it exited and its last lines, and stops the others', async () => {
    const prefix = uniquePrefix('process-playground-exits');
    const options = await playgroundOptions(prefix);
    try {
      await assert.rejects(
        startProcessPlayground({
          ...options,
          nodeFlags: (service) => (service === 'ranker' ? ['--import', EXITS_BEFORE_READY] : []),
        }),
        (error: Error) => {
          assert.equal(error.name, 'CommandFailedError');
          assert.equal(
            error.message,
            'ranker exited (code 3) before it was ready; its last lines:\n' +
              '  [ranker] exits-before-ready: giving up before the service starts',
          );
          return true;
        },
      );
      assert.deepEqual(serviceChildren(), [], 'the other services were stopped');
    } finally {
      await testRedis(prefix).cleanup();
    }
  });

  it('fails the start when a service is not SERVING within the start timeout, naming each such service with its last lines', async () => {
    const prefix = uniquePrefix('process-playground-late');
    const options = await playgroundOptions(prefix);
    try {
      await assert.rejects(
        startProcessPlayground({
          ...options,
          startTimeoutMs: 5_000,
          // Never released: the ports accept connections, and no service ever starts.
          nodeFlags: () => ['--import', LISTENS_BEFORE_READY],
        }),
        (error: Error) => {
          assert.equal(error.name, 'CommandFailedError');
          for (const service of PLAYGROUND_SERVICES) {
            const address = `127\\.0\\.0\\.1:${options.ports[service]}`;
            assert.match(
              error.message,
              new RegExp(
                `(^|\\n)${service} was not SERVING at ${address} within 5000 ms \\([^\\n]+\\); ` +
                  `its last lines:\\n  \\[${service}\\] early listener: accepting connections at ${address} before the service starts(\\n|$)`,
              ),
            );
          }
          return true;
        },
      );
      assert.deepEqual(serviceChildren(), [], 'every service process was stopped');
    } finally {
      await testRedis(prefix).cleanup();
    }
  });

  it('stops the services and rejects with an AbortError when interrupted while they start', async () => {
    const prefix = uniquePrefix('process-playground-interrupted');
    const { output, lines } = capturedOutput();
    const options = await playgroundOptions(prefix, output);
    const interrupt = new AbortController();
    try {
      const starting = startProcessPlayground({
        ...options,
        interrupt: interrupt.signal,
        nodeFlags: () => ['--import', LISTENS_BEFORE_READY],
      });
      starting.catch(() => undefined);
      await waitFor(
        'every service process to be running',
        () =>
          PLAYGROUND_SERVICES.every((service) =>
            lines.some((line) => line.startsWith(`[${service}] early listener: accepting`)),
          ),
        { timeoutMs: 60_000 },
      );
      interrupt.abort();
      await assert.rejects(starting, { name: 'AbortError' });
      assert.deepEqual(serviceChildren(), [], 'every service process was stopped');
    } finally {
      await testRedis(prefix).cleanup();
    }
  });
});
