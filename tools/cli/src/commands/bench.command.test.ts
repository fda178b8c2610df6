import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from '../cli-errors.js';
import { runCliForTest } from '../test-support/fake-gateway.js';

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
});
