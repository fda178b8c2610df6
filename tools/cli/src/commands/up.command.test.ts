import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { eventsv1, gatewayv1 } from '@feedmesh/contracts';
import type { GroupStatus } from '@feedmesh/events';
import { createRuntime, loadConfig, runtimeConfigShape } from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { testRedis, testRedisUrl, uniquePrefix, waitFor } from '@feedmesh/testing';
import { EXIT_FAILED, EXIT_OK } from '../cli-errors.js';
import { runCliForTest } from '../test-support/fake-gateway.js';
import { everyStageBudget } from '@feedmesh/feed-gateway';
import { buildWorld } from './world.command.js';

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

/**
 * The real playground, as `npm start` runs it (the small world, on a free port): the one test
 * that every service, the world, publishing, training and the feed work together.
 */
describe('feedmesh up', function () {
  this.timeout(120_000);
  let child: ChildProcess | undefined;
  let stdout = '';
  let stderr = '';

  before(async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      LOG_LEVEL: 'warn',
      // Not a test of the stage budgets: at their defaults (60-120 ms, 30 ms to describe) a
      // loaded machine timed the features out now and then, and the feed went unranked
      // ('no model', degraded).
      FEED_DEADLINE_MS: '5000',
      ...everyStageBudget(1000),
    };
    delete env['REDIS_URL'];
    delete env['GRPC_LISTEN'];
    child = spawn(process.execPath, [MAIN, 'up', '--world', 'small', '--port', '0'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor(
      'the playground to be ready',
      () => /ready in /.test(stderr) || child?.exitCode !== null,
      {
        timeoutMs: 100_000,
        intervalMs: 100,
      },
    );
    assert.equal(child.exitCode, null, `the playground exited:\n${stderr}`);
  });

  after(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
  });

  const gateway = () => /gateway at (\S+)\. Ctrl-C/.exec(stderr)?.[1] ?? assert.fail(stderr);
  const sampleUser = () => /^(u\d+) · dashboard · /m.exec(stdout)?.[1] ?? assert.fail(stdout);

  it('loads the world, trains a model and prints a ranked feed with what to try next', () => {
    assert.match(stderr, /published [\d,]+ events/);
    assert.match(stderr, /every consumer caught up/);
    assert.match(stderr, /trained feed@v\d+ on [\d,]+ examples/);
    assert.match(stderr, /trained embeddings v\d+ from [\d,]+ engagements/);
    assert.match(stderr, /trained content models v\d+ from [\d,]+ posts/);
    assert.match(stdout, /· 10 items · model feed@v\d+/);
    assert.match(
      stdout,
      /try next:\n  npm run feedmesh -- feed --user u\d+ --surface for-you --addr /,
    );
    assert.match(stdout, /notifications --user u\d+ --follow/);
  });

  it('serves feeds and search to the CLI at the address it printed', async () => {
    const feed = await runCliForTest([
      'feed',
      '--user',
      sampleUser(),
      '--json',
      '--addr',
      gateway(),
    ]);
    assert.equal(feed.code, EXIT_OK, feed.stderr);
    const page = gatewayv1.GetFeedResponse.fromJSON(JSON.parse(feed.stdout));
    assert.equal(page.items.length, 20);
    assert.match(page.model, /^feed@v\d+$/);

    const search = await runCliForTest(['search', 'finally', '--json', '--addr', gateway()]);
    assert.equal(search.code, EXIT_OK, search.stderr);
    assert.ok(gatewayv1.SearchResponse.fromJSON(JSON.parse(search.stdout)).totalHits > 0);
  });

  it("prints a user's interest profile from the feature store it printed", async () => {
    const featureStore =
      /feature-store\s+(\S+:\d+)/.exec(stderr)?.[1] ??
      assert.fail(`no feature-store in:\n${stderr}`);
    const run = await runCliForTest([
      'profile',
      '--user',
      sampleUser(),
      '--json',
      '--addr',
      featureStore,
    ]);
    assert.equal(run.code, EXIT_OK, run.stderr);
    const profile = JSON.parse(run.stdout) as {
      known: boolean;
      tags: { name: string; weight: number; share: number }[];
      tagCount: number;
    };
    assert.equal(profile.known, true);
    assert.ok(profile.tags.length > 0, 'a user of the generated world has tag interests');
    const weights = profile.tags.map((tag) => tag.weight);
    assert.deepEqual(
      weights,
      [...weights].sort((a, b) => b - a),
      'strongest first',
    );
    // Shares are of all the user's tag interest: the shown ones sum to 1 only when all are shown.
    const shares = profile.tags.reduce((sum, tag) => sum + tag.share, 0);
    assert.ok(shares > 0 && shares <= 1 + 1e-9, `shares sum to ${shares}`);
    if (profile.tagCount <= profile.tags.length) {
      assert.ok(Math.abs(shares - 1) < 1e-9, `all shown, shares sum to 1, not ${shares}`);
    } else {
      assert.ok(shares < 1, `${profile.tags.length} of ${profile.tagCount} shown, yet ${shares}`);
    }
  });

  it('publishes through it, and names the line of an event the gateway rejects', async () => {
    const good = { eventId: `e2e-${Date.now()}`, sessionStarted: { userId: sampleUser() } };
    const bad = {
      eventId: 'e2e-bad',
      engagement: { userId: 'u1', postId: 'p1', kind: 'ENGAGEMENT_KIND_UNSPECIFIED' },
    };
    const run = await runCliForTest(['publish', '-', '--addr', gateway()], {
      stdin: [good, bad].map((event) => JSON.stringify(event)).join('\n'),
    });
    assert.equal(run.code, EXIT_FAILED);
    assert.match(
      run.stderr,
      /^error: line 2: INVALID_ARGUMENT: events\[1\]\.engagement\.kind: must be set\n/,
    );
    const ok = await runCliForTest(['publish', '-', '--addr', gateway()], {
      stdin: JSON.stringify(good),
    });
    assert.equal(ok.code, EXIT_OK, ok.stderr);
    assert.match(ok.stderr, /published 1 event in 1 batch /);
  });

  it('drains everything and exits 0 on Ctrl-C', async () => {
    const exited = once(child!, 'exit');
    child!.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0, stderr);
    assert.match(stderr, /stopping: draining the gateway, then the services\nstopped\n/);
  });
});

describe('feedmesh up, before any service starts', function () {
  this.timeout(15_000);
  const unreachable = { REDIS_URL: 'redis://127.0.0.1:1' };

  it('fails at once with one line naming REDIS_URL when Redis does not answer', async () => {
    const run = await runCliForTest(['up', '--world', 'none', '--port', '0'], { env: unreachable });
    assert.equal(run.code, EXIT_FAILED);
    assert.equal(
      run.stderr,
      'error: redis: cannot reach redis://127.0.0.1:1 (REDIS_URL): ECONNREFUSED\n',
    );
  });

  it('with --processes, fails the same way before spawning a service', async () => {
    // The gateway's port is taken: were Redis not checked first, this would fail naming it.
    const taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const port = (taken.address() as { port: number }).port;
    try {
      const run = await runCliForTest(
        ['up', '--processes', '--world', 'none', '--port', `${port}`],
        {
          env: unreachable,
        },
      );
      assert.equal(run.code, EXIT_FAILED);
      assert.equal(
        run.stderr,
        'error: redis: cannot reach redis://127.0.0.1:1 (REDIS_URL): ECONNREFUSED\n',
      );
    } finally {
      taken.close();
    }
  });

  describe('with a Redis that accepts connections and never answers', () => {
    let silent: Server;
    const sockets = new Set<Socket>();
    before(async () => {
      silent = createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => undefined);
      });
      silent.listen(0, '127.0.0.1');
      await once(silent, 'listening');
    });
    after(() => {
      for (const socket of sockets) socket.destroy();
      silent.close();
    });

    it('stops on the first Ctrl-C while it waits for Redis, without starting anything', async () => {
      const port = (silent.address() as { port: number }).port;
      const interrupt = new AbortController();
      silent.once('connection', () => interrupt.abort());
      const run = await runCliForTest(['up', '--world', 'none', '--port', '0'], {
        env: { REDIS_URL: `redis://127.0.0.1:${port}` },
        interrupt: interrupt.signal,
      });
      assert.equal(run.code, EXIT_OK, run.stderr);
      assert.equal(run.stderr, 'interrupted before the services started\n');
    });
  });
});

/**
 * Ctrl-C while the services start: on Redis holding a world's events, so that candidate
 * generation's rebuild and search's indexing make the start last.
 */
describe('feedmesh up, interrupted while the services start', function () {
  this.timeout(120_000);
  const prefix = uniquePrefix('up-interrupted');
  const redis = { REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix };

  before(async () => {
    const runtime = createRuntime(
      loadConfig(runtimeConfigShape, redis),
      createLogger('up-interrupted-test', { level: 'silent' }),
    );
    try {
      let batch: eventsv1.Event[] = [];
      for (const event of buildWorld({ preset: 'small', seed: 1 }).events()) {
        batch.push(event);
        if (batch.length === 1000) {
          await runtime.eventLog.append(batch);
          batch = [];
        }
      }
      await runtime.eventLog.append(batch);
    } finally {
      await runtime.close();
    }
  });

  after(() => testRedis(prefix).cleanup());

  it('aborts the start, stops the services that had started, says so and exits 0', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...redis,
      // The services' own lines say how far the start got.
      LOG_LEVEL: 'info',
      OTEL_SDK_DISABLED: 'true',
    };
    delete env['GRPC_LISTEN'];
    const child = spawn(process.execPath, [MAIN, 'up', '--world', 'none', '--port', '0'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.resume();
    const exited = once(child, 'exit');
    try {
      // The first service is up; candidate generation and search are still reading the log.
      await waitFor(
        'the feature store to be up',
        () => stderr.includes('feature-store listening') || child.exitCode !== null,
        { timeoutMs: 60_000 },
      );
      child.kill('SIGINT');
      const [code] = (await exited) as [number | null];
      assert.equal(code, EXIT_OK, stderr);
      assert.match(
        stderr,
        /^start aborted \(interrupted\): the services that had started are stopped$/m,
        stderr,
      );
      assert.doesNotMatch(stderr, /ready in /);
      // Aborted where it was: no service is started after the interrupt.
      assert.doesNotMatch(stderr, /feed-gateway listening/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    // Stopped, not killed with the process: each left its consumer group.
    const groups = await runCliForTest(['events', 'groups', '--json'], { env: redis });
    assert.equal(groups.code, EXIT_OK, groups.stderr);
    for (const group of JSON.parse(groups.stdout) as GroupStatus[]) {
      assert.deepEqual(group.consumers, [], `${group.group} keeps no consumer`);
    }
  });
});
