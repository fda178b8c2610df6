import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

describe('runServiceMain stopped while it starts', () => {
  it('drains and exits 0 on a SIGTERM that comes after it listens but before its start is done', async () => {
    const full = {
      ...process.env,
      LOG_LEVEL: 'info',
      OTEL_SDK_DISABLED: 'true',
      ECHO_MAIN_SLOW_START_MS: '1000',
    };
    const child = spawn(
      process.execPath,
      [new URL('./test-fixtures/service-main.js', import.meta.url).pathname],
      { stdio: ['ignore', 'pipe', 'pipe'], env: full },
    );
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('LISTENING') && !child.killed) child.kill('SIGTERM');
    });
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    assert.equal(signal, null, 'not ended by the signal itself');
    assert.equal(code, 0);
    assert.match(stdout, /echo-main stopped/);
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
