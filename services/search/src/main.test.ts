import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { eventsv1 } from '@feedmesh/contracts';
import { RedisStreamsEventLog } from '@feedmesh/events';
import { runMainProcess, testRedis, testRedisUrl, uniquePrefix } from '@feedmesh/testing';
import { searchGroupName } from './search-group.js';

const MAIN = new URL('./main.js', import.meta.url).pathname;

describe('search process refusing a start (node dist/main.js)', () => {
  it('names SEARCH_CONTENT_MODELS_FILE in one line and exits 1 when the file is missing', async () => {
    const result = await runMainProcess(MAIN, {
      SEARCH_CONTENT_MODELS_FILE: '/nonexistent/cm.json',
    });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^search: configuration SEARCH_CONTENT_MODELS_FILE: cannot load \/nonexistent\/cm\.json: ENOENT[^\n]*\n$/,
    );
  });

  it('names SEARCH_SNAPSHOT_DIR in one line and exits 1 when it cannot be a directory', async () => {
    const result = await runMainProcess(MAIN, { SEARCH_SNAPSHOT_DIR: '/etc/hostname/x' });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^search: configuration SEARCH_SNAPSHOT_DIR: cannot create \/etc\/hostname\/x: ENOTDIR[^\n]*\n$/,
    );
  });

  it('fails rather than hangs on a SEARCH_SNAPSHOT_DIR under /proc', async function () {
    if (process.platform !== 'linux') this.skip();
    const result = await runMainProcess(MAIN, { SEARCH_SNAPSHOT_DIR: '/proc/feedmesh-nope' });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^search: configuration SEARCH_SNAPSHOT_DIR: cannot create \/proc\/feedmesh-nope: ENOENT[^\n]*\n$/,
    );
  });
});

/** `node dist/main.js` with `env`, running: its output so far, a wait for a line, its exit. */
function startMain(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'info', OTEL_SDK_DISABLED: 'true', ...env },
  });
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
  /** The `msg` of each JSON log line so far. */
  const messages = () =>
    output.stdout
      .split('\n')
      .filter((text) => text.startsWith('{'))
      .map((text) => (JSON.parse(text) as { msg: string }).msg);
  return { child, output, line, exited, messages };
}

describe('search process stopped while it indexes the log (node dist/main.js, Redis)', () => {
  /** Enough posts that indexing them takes seconds, far longer than a SIGTERM takes to land. */
  const POSTS = 40_000;
  const CONSUMER = 'search-main-abort-0';
  const prefix = uniquePrefix('search-main-abort');
  const redis = testRedis(prefix);
  let dir: string;
  let running: ReturnType<typeof startMain> | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'search-main-abort-'));
    const log = new RedisStreamsEventLog({
      client: redis,
      prefix: `${prefix}:events`,
      partitions: 2,
    });
    for (let first = 0; first < POSTS; first += 2_000) {
      await log.append(
        Array.from({ length: 2_000 }, (_, i): eventsv1.Event => {
          const n = first + i;
          return {
            eventId: `main-abort-${n}`,
            atMs: 1_000 + n,
            payload: {
              $case: 'postCreated',
              value: {
                postId: `p${n}`,
                blogId: `b${n % 100}`,
                text: `walrus ${n} swims past the vinyl shop near river ${n % 97}, mountain ${n % 89}`,
                tags: [`tag${n % 50}`],
                mediaKind: 1,
                reblogOf: '',
              },
            },
          };
        }),
      );
    }
  });

  after(async () => {
    running?.child.kill('SIGKILL');
    await redis.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 0 on a SIGTERM during the history pass, before the pass ends, logging "search start aborted by SIGTERM" and writing no snapshot', async () => {
    running = startMain({
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: prefix,
      EVENT_PARTITIONS: '2',
      CONSUMER_NAME: CONSUMER,
      GRPC_LISTEN: '127.0.0.1:0',
      SEARCH_SNAPSHOT_DIR: dir,
    });
    await running.line(/"msg":"search indexing the retained log"/);
    running.child.kill('SIGTERM');
    const [code, signal] = await running.exited;
    assert.equal(signal, null, 'not ended by the signal itself');
    assert.equal(code, 0, running.output.stderr);
    const messages = running.messages();
    assert.ok(messages.includes('search start aborted by SIGTERM'), running.output.stdout);
    assert.ok(!messages.includes('search index rebuilt from the log'), 'the pass did not end');
    assert.ok(!messages.includes('search listening'), 'it never listened');
    assert.deepEqual(await readdir(dir), [], 'no snapshot of the half-built index');
    const groups = await new RedisStreamsEventLog({
      client: redis,
      prefix: `${prefix}:events`,
      partitions: 2,
    }).groups();
    const live = groups.find((status) => status.group === searchGroupName(CONSUMER, 0));
    assert.deepEqual(live?.consumers, [], 'its consumer left the live group');
  });
});
