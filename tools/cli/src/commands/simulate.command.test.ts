import assert from 'node:assert/strict';
import { ServerError, Status } from '@feedmesh/service-kit';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from '../cli-errors.js';
import { runCliForTest, startFakeGateway, type FakeGateway } from '../test-support/fake-gateway.js';

describe('feedmesh simulate', () => {
  it('exits 1 naming the address when no gateway answers at --addr, not with an empty run', async () => {
    const run = await runCliForTest([
      'simulate',
      '--addr',
      '127.0.0.1:1',
      '--world',
      'small',
      '--users',
      '2',
      '--days',
      '1',
    ]);
    assert.equal(run.code, EXIT_FAILED, run.stdout);
    assert.match(run.stderr, /^error: UNAVAILABLE: /);
    assert.match(run.stderr, /hint: nothing answers at 127\.0\.0\.1:1/);
    assert.equal(run.stdout, '');
  });

  it('refuses more --users than the world has, naming --users, before starting a mesh', async () => {
    const started = performance.now();
    const run = await runCliForTest(['simulate', '--world', 'small', '--users', '500']);
    assert.equal(run.code, EXIT_USAGE, run.stderr);
    assert.match(run.stderr, /error: --users 500: the small world has 200 users/);
    assert.equal(run.stdout, '');
    assert.ok(performance.now() - started < 2_000, 'refused before loading the world');
  });

  it('refuses an --experiments file that does not exist, naming the option', async () => {
    const run = await runCliForTest([
      'simulate',
      '--world',
      'small',
      '--experiments',
      '/no/such/experiments.yaml',
    ]);
    assert.equal(run.code, EXIT_USAGE, run.stderr);
    assert.match(
      run.stderr,
      /'--experiments <file>' argument '\/no\/such\/experiments\.yaml' is invalid\. no such file/,
    );
  });

  describe('against a gateway whose feeds fail', () => {
    let gateway: FakeGateway;
    before(async () => {
      gateway = await startFakeGateway();
      gateway.feedError = new ServerError(Status.UNAVAILABLE, 'ranker: no connection');
    });
    after(() => gateway.stop());

    it('says how many feed calls failed beside the summary', async () => {
      const run = await runCliForTest([
        'simulate',
        '--addr',
        gateway.address,
        '--world',
        'small',
        '--users',
        '20',
        '--days',
        '1',
      ]);
      assert.equal(run.code, EXIT_OK, run.stderr);
      assert.ok(gateway.feedRequests.length > 0, 'the simulated users asked for feeds');
      const failed = /; (\d+) feed calls failed\n/.exec(run.stdout)?.[1];
      assert.ok(Number(failed) > 0, run.stdout);
    });
  });
});
