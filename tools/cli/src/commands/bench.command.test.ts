import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { SERVICE_NODE_FLAGS } from '@feedmesh/playground';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from '../cli-errors.js';
import { runCliForTest } from '../test-support/fake-gateway.js';

/** The command lines of running `bench/generate.js` processes started with this seed. */
function benchProcesses(seed: string): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes('bench/generate.js') && line.includes(`--seed ${seed}`));
}

/**
 * Nothing listens on port 1 on a test machine: a Redis URL that refuses at once. Every run here
 * gets it, so one that gets further than it should touches no Redis.
 */
const NO_REDIS = 'redis://127.0.0.1:1';

describe('feedmesh bench', function () {
  this.timeout(30_000);

  describe('when --redis does not answer', () => {
    const runs: [string, string[]][] = [
      ['notifications', ['bench', 'notifications', '--likes', '1', '--subscribers', '0']],
      ['features', ['bench', 'features', '--preset', 'small']],
      ['features with a named prefix', ['bench', 'features', '--preset', 'small', '--prefix', 'x']],
      ['feed', ['bench', 'feed', '--world', 'small']],
    ];
    for (const [what, argv] of runs) {
      it(`bench ${what} fails with one line naming the URL and --redis, before starting anything`, async () => {
        const run = await runCliForTest([...argv, '--redis', NO_REDIS]);
        assert.equal(run.code, EXIT_FAILED, run.stderr);
        assert.equal(
          run.stderr,
          'error: redis: cannot reach redis://127.0.0.1:1 (--redis): ECONNREFUSED\n',
        );
        assert.equal(run.stdout, '');
      });
    }
  });

  describe('feed --port', () => {
    let holder: Server;
    let port: number;
    before(async () => {
      holder = createServer();
      await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
      port = (holder.address() as { port: number }).port;
    });
    after(() => new Promise<void>((resolve) => holder.close(() => resolve())));

    it('refuses a port that something already listens on, naming --port, before starting the mesh', async () => {
      const run = await runCliForTest([
        'bench',
        'feed',
        '--world',
        'small',
        '--port',
        String(port),
        '--redis',
        NO_REDIS,
      ]);
      assert.equal(run.code, EXIT_FAILED, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(
          `^error: --port ${port}: the gateway cannot listen at 127\\.0\\.0\\.1:${port}: address in use \\(EADDRINUSE\\)\n`,
        ),
      );
      assert.match(run.stderr, /hint: choose a free port, or leave --port out/);
      assert.doesNotMatch(
        run.stderr,
        /\[feed-gateway\]|--addr/,
        'no gateway started, no --addr hint',
      );
    });
  });

  for (const blank of ['', ' ']) {
    it(`refuses a blank --trace-ratio (${JSON.stringify(blank)}) rather than reading it as 0`, async () => {
      const run = await runCliForTest([
        'bench',
        'feed',
        '--trace-ratio',
        blank,
        '--redis',
        NO_REDIS,
      ]);
      assert.equal(run.code, EXIT_USAGE, run.stderr);
      assert.match(
        run.stderr,
        /option '--trace-ratio <share>' argument '\s*' is invalid\. expected a number from 0 to 1/,
      );
    });
  }

  it("shows --queries' default in bench search --help", async () => {
    const run = await runCliForTest(['bench', 'search', '--help']);
    assert.equal(run.code, EXIT_OK);
    assert.match(run.stdout, /--queries <n>\s+queries per engine \(default: 2000\)/);
  });

  describe('candidates', () => {
    const small = [
      'bench',
      'candidates',
      '--preset',
      'small',
      '--requests',
      '20',
      '--factors',
      '0',
    ];

    it("measures in a process of its own, with the service's V8 flags, and says which", async function () {
      this.timeout(120_000);
      const run = await runCliForTest([...small, '--no-grpc', '--json']);
      assert.equal(run.code, EXIT_OK, run.stderr);
      const report = JSON.parse(run.stdout) as {
        node: { flags: string[] };
        generate: { count: number };
      };
      assert.equal(report.generate.count, 20);
      for (const flag of SERVICE_NODE_FLAGS['candidate-generation']) {
        assert.ok(report.node.flags.includes(flag), `${flag} in ${report.node.flags.join(' ')}`);
      }
      assert.ok(
        !process.execArgv.includes('--no-allocation-site-pretenuring'),
        'the test process itself runs without the flag, so the report cannot have read its own',
      );
    });

    it("adds --node-flags after the service's, so they win, gives the gRPC caller the gateway's flags, and prints both", async function () {
      this.timeout(120_000);
      const run = await runCliForTest([...small, '--node-flags', '--max-semi-space-size=32']);
      assert.equal(run.code, EXIT_OK, run.stderr);
      const gateway = SERVICE_NODE_FLAGS['feed-gateway'].join(' ');
      assert.ok(gateway !== '', 'the gateway has flags of its own to pass');
      assert.match(
        run.stdout,
        new RegExp(
          `measured by node v\\S+ .*--max-semi-space-size=256 .*--max-semi-space-size=32; ` +
            `the gRPC caller \\(the gateway's part\\) with ${gateway}\n`,
        ),
      );
      assert.match(run.stdout, /Generate via gRPC/);
    });

    it('stops the measuring process when interrupted, and says so instead of printing a report', async function () {
      this.timeout(60_000);
      const interrupt = new AbortController();
      // A seed of its own, to find this run's process among any others.
      const seed = '918273';
      const running = runCliForTest(
        ['bench', 'candidates', '--preset', 'medium', '--seed', seed, '--no-grpc'],
        { interrupt: interrupt.signal },
      );
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      assert.ok(benchProcesses(seed).length > 0, 'the measuring process started');
      interrupt.abort();
      const run = await running;
      assert.equal(run.code, EXIT_FAILED, run.stderr);
      assert.match(run.stderr, /error: interrupted; the benchmark stopped before its report/);
      assert.equal(run.stdout, '');
      assert.deepEqual(benchProcesses(seed), [], 'no measuring process left behind');
    });

    it('refuses --node-flags that are not flags, naming the option, before starting anything', async () => {
      const run = await runCliForTest([...small, '--node-flags', '--trace-gc script.js']);
      assert.equal(run.code, EXIT_USAGE, run.stderr);
      assert.match(
        run.stderr,
        /option '--node-flags <flags>' argument '--trace-gc script\.js' is invalid\. expected node flags, each starting with "-"; "script\.js" does not/,
      );
    });

    it('fails with the exit of the measuring process when node refuses a flag', async () => {
      const run = await runCliForTest([...small, '--node-flags', '--no-such-node-flag']);
      assert.equal(run.code, EXIT_FAILED, run.stderr);
      assert.match(run.stderr, /bad option: --no-such-node-flag/);
      assert.match(
        run.stderr,
        /error: the benchmark process exited \(code 9\); its output is above/,
      );
      assert.equal(run.stdout, '');
    });
  });
});
