import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@feedmesh/telemetry';
import { deleteKeysUnder } from './prefix-keys.js';
import { createRuntime } from './runtime.js';

/**
 * Runs the echo fixture's main with `env` (a variable given as undefined is removed); resolves
 * with its exit code, stdout and stderr.
 */
async function runMain(
  env: Record<string, string | undefined>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const full = { ...process.env, LOG_LEVEL: 'silent', OTEL_SDK_DISABLED: 'true', ...env };
  const child = spawn(
    process.execPath,
    [new URL('./test-fixtures/service-main.js', import.meta.url).pathname],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: Object.fromEntries(Object.entries(full).filter(([, value]) => value !== undefined)),
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** The fixture's main, running: its output so far, a wait for a line of it, and its exit. */
function startMain(env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    [new URL('./test-fixtures/service-main.js', import.meta.url).pathname],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'info', OTEL_SDK_DISABLED: 'true', ...env },
    },
  );
  const output = { stdout: '', stderr: '' };
  let heard = () => {};
  child.stdout!.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString();
    heard();
  });
  child.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const line = async (pattern: RegExp): Promise<void> => {
    while (!pattern.test(output.stdout)) {
      if (child.exitCode !== null) assert.fail(`it exited: ${output.stdout}${output.stderr}`);
      await Promise.race([new Promise<void>((resolve) => (heard = resolve)), exited]);
    }
  };
  return { child, output, line, exited };
}

/** The `msg` of each JSON log line. */
const messagesOf = (stdout: string): string[] =>
  stdout
    .split('\n')
    .filter((text) => text.startsWith('{'))
    .map((text) => (JSON.parse(text) as { msg: string }).msg);

describe('runServiceMain stopped while it starts', () => {
  let running: ReturnType<typeof startMain> | undefined;
  afterEach(() => {
    running?.child.kill('SIGKILL');
    running = undefined;
  });

  it('finishes a start that ignores its abort signal, then drains and exits 0 on a SIGTERM that came meanwhile', async () => {
    running = startMain({ ECHO_MAIN_SLOW_START_MS: '1000' });
    await running.line(/^LISTENING /m);
    running.child.kill('SIGTERM');
    const [code, signal] = await running.exited;
    assert.equal(signal, null, 'not ended by the signal itself');
    assert.equal(code, 0, running.output.stderr);
    assert.match(running.output.stdout, /^STARTED$/m);
    assert.ok(
      messagesOf(running.output.stdout).includes('echo-main stopped'),
      running.output.stdout,
    );
  });

  it('aborts a start that honours its signal on SIGTERM: it exits 0 at once, its server and consumer closed, without finishing the start', async () => {
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/15';
    const prefix = `service-kit-test-abort-${process.pid}`;
    const runtime = createRuntime(
      {
        REDIS_URL: redisUrl,
        REDIS_CLUSTER: false,
        REDIS_PREFIX: prefix,
        EVENT_PARTITIONS: 2,
        CONSUMER_NAME: 'test',
      },
      createLogger('test', { level: 'silent' }),
    );
    const consumersOf = async (group: string) =>
      (await runtime.eventLog.groups())
        .find((status) => status.group === group)
        ?.consumers.map((consumer) => consumer.name);
    try {
      running = startMain({
        // Far longer than the test's own timeout: only an aborted start ends in time.
        ECHO_MAIN_SLOW_START_MS: '3600000',
        ECHO_MAIN_HONOUR_ABORT: 'true',
        REDIS_URL: redisUrl,
        REDIS_PREFIX: prefix,
        EVENT_PARTITIONS: '2',
        CONSUMER_NAME: 'echo-main-1',
      });
      await running.line(/^LISTENING /m);
      assert.deepEqual(await consumersOf('echo-main'), ['echo-main-1']);
      running.child.kill('SIGTERM');
      const [code, signal] = await running.exited;
      assert.equal(signal, null, 'not ended by the signal itself');
      assert.equal(code, 0, running.output.stderr);
      assert.doesNotMatch(running.output.stdout, /^STARTED$/m);
      const messages = messagesOf(running.output.stdout);
      assert.ok(messages.includes('echo-main stopped'), 'its server closed');
      assert.ok(messages.includes('echo-main start aborted by SIGTERM'), running.output.stdout);
      assert.deepEqual(await consumersOf('echo-main'), [], 'its consumer left the group');
    } finally {
      await deleteKeysUnder(runtime.redis!, prefix);
      await runtime.close();
    }
  });
});

describe('runServiceMain stopped as its start ends', () => {
  let running: ReturnType<typeof startMain> | undefined;
  // A lost signal leaves the fixture serving for good: it must not outlive the test.
  afterEach(() => {
    running?.child.kill('SIGKILL');
    running = undefined;
  });

  it('drains and exits 0 on a SIGTERM that comes before the event loop turns again', async () => {
    running = startMain({ ECHO_MAIN_SIGTERM_ENDING_START: 'true' });
    const [code, signal] = await running.exited;
    assert.equal(signal, null, 'not ended by the signal itself');
    assert.equal(code, 0, running.output.stderr);
    const messages = messagesOf(running.output.stdout);
    assert.ok(messages.includes('echo-main stopped'), running.output.stdout);
  });
});

describe('runServiceMain refusing a start', () => {
  it('prints one line naming CONSUMER_NAME and exits 1 when the event log would refuse it', async () => {
    for (const name of ['pod/1', 'x'.repeat(65)]) {
      const result = await runMain({ CONSUMER_NAME: name });
      assert.equal(result.code, 1, name);
      assert.equal(
        result.stderr,
        'echo-main: configuration CONSUMER_NAME: must be 1-64 characters of [A-Za-z0-9_.:-]\n',
      );
    }
  });

  it('prints one line naming LOG_LEVEL and exits 1 when it names no level', async () => {
    const result = await runMain({ LOG_LEVEL: 'bogus' });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'echo-main: configuration LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent\n',
    );
  });

  it('prints one line naming LOG_LEVEL and exits 1 when it is set to nothing', async () => {
    const result = await runMain({ LOG_LEVEL: '' });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'echo-main: configuration LOG_LEVEL: is set to nothing: give it a value, or unset it for its default\n',
    );
  });

  let held: Server;
  let heldPort = 0;
  before(async () => {
    held = createServer();
    held.listen(0, '127.0.0.1');
    await once(held, 'listening');
    heldPort = (held.address() as { port: number }).port;
  });
  after(() => held.close());

  it('starts and stops when nothing is wrong (the fixture itself works)', async () => {
    const result = await runMain({});
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^LISTENING 127\.0\.0\.1:\d+$/m);
  });

  it('prints one line naming GRPC_LISTEN and exits 1 when its port is in use', async () => {
    const result = await runMain({ GRPC_LISTEN: `127.0.0.1:${heldPort}` });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `echo-main: configuration GRPC_LISTEN: cannot listen at 127.0.0.1:${heldPort}: address in use\n`,
    );
  });

  it('names GRPC_HEALTH_LISTEN, not GRPC_LISTEN, when the health port is in use', async () => {
    const result = await runMain({ GRPC_HEALTH_LISTEN: `127.0.0.1:${heldPort}` });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `echo-main: configuration GRPC_HEALTH_LISTEN: cannot listen at 127.0.0.1:${heldPort}: address in use\n`,
    );
  });

  it('names GRPC_LISTEN when its host does not resolve', async () => {
    const result = await runMain({ GRPC_LISTEN: 'nohost.invalid:5000' });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^echo-main: configuration GRPC_LISTEN: cannot listen at nohost\.invalid:5000: cannot resolve host nohost\.invalid\n$/,
    );
  });

  it('prints one line naming GRPC_TLS_CERT_FILE when the file is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tls-'));
    writeFileSync(join(dir, 'other.pem'), 'x');
    const result = await runMain({
      GRPC_TLS_CERT_FILE: '/nonexistent/cert.pem',
      GRPC_TLS_KEY_FILE: join(dir, 'other.pem'),
      GRPC_TLS_CA_FILE: join(dir, 'other.pem'),
    });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^echo-main: configuration GRPC_TLS_CERT_FILE: cannot read \/nonexistent\/cert\.pem: ENOENT[^\n]*\n$/,
    );
  });

  it('prints one line naming GRPC_TLS_CERT_FILE when the file is not PEM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tls-'));
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'not a certificate\n');
    const result = await runMain({
      GRPC_TLS_CERT_FILE: notPem,
      GRPC_TLS_KEY_FILE: notPem,
      GRPC_TLS_CA_FILE: notPem,
    });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^echo-main: configuration GRPC_TLS_CERT_FILE: \S+not\.pem is not a PEM certificate: [^\n]+\n$/,
    );
  });

  it('prints one line naming REDIS_URL and exits 1 within seconds when Redis is unreachable', async () => {
    const started = Date.now();
    const result = await runMain({ REDIS_URL: 'redis://127.0.0.1:1' });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'echo-main: configuration REDIS_URL: cannot reach redis://127.0.0.1:1: ECONNREFUSED\n',
    );
    assert.ok(Date.now() - started < 10_000);
  });

  it('names REDIS_URL when REDIS_CLUSTER is on and the node answers, but not as a cluster', async () => {
    const result = await runMain({
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/15',
      REDIS_CLUSTER: 'true',
    });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^echo-main: configuration REDIS_URL: cannot reach \S+ as a Redis Cluster: ERR This instance has cluster support disabled\n$/,
    );
  });

  it('names REDIS_URL within seconds when REDIS_CLUSTER is on and nothing answers', async () => {
    const started = Date.now();
    const result = await runMain({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_CLUSTER: 'true' });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^echo-main: configuration REDIS_URL: cannot reach redis:\/\/127\.0\.0\.1:1 as a Redis Cluster: ECONNREFUSED\n$/,
    );
    assert.ok(Date.now() - started < 10_000);
  });
});

describe('runServiceMain starting without REDIS_URL', () => {
  /** The warn-level lines a run logged that mention REDIS_URL. */
  const redisWarnings = (stdout: string) =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: string; msg: string })
      .filter((entry) => entry.level === 'warn' && entry.msg.includes('REDIS_URL'));

  it('warns once at start that the event log and state are in its memory only', async () => {
    const result = await runMain({ REDIS_URL: undefined, LOG_LEVEL: 'warn' });
    assert.equal(result.code, 0, result.stderr);
    const warnings = redisWarnings(result.stdout);
    assert.equal(warnings.length, 1, result.stdout);
    assert.match(
      warnings[0]!.msg,
      /in this process's memory only, not shared with other services and lost at exit; set REDIS_URL/,
    );
  });

  it('says nothing of it with REDIS_URL set', async () => {
    const result = await runMain({
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/15',
      LOG_LEVEL: 'warn',
    });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(redisWarnings(result.stdout), []);
  });
});
