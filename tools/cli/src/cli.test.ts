import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './cli-errors.js';
import { runCliForTest } from './test-support/fake-gateway.js';

describe('feedmesh command line', () => {
  // Files that exist, since `eval` checks its files before its other options (their content
  // is never read: each line below fails first).
  const files = join(tmpdir(), `feedmesh-cli-test-${process.pid}`);
  const ratings = join(files, 'ratings.csv');
  before(() => {
    mkdirSync(files, { recursive: true });
    writeFileSync(ratings, 'userId,movieId,rating,timestamp\n1,1,4.0,1000\n');
    writeFileSync(join(files, 'movies.csv'), 'movieId,title,genres\n1,Heat (1995),Action\n');
  });
  after(() => rmSync(files, { recursive: true, force: true }));
  const usageErrors: [string, string[], RegExp][] = [
    ['no command', [], /Usage: feedmesh/],
    ['an unknown command', ['fed'], /unknown command 'fed'[\s\S]*Did you mean feed\?/],
    ['an unknown option', ['feed', '--user', 'u1', '--colour'], /unknown option '--colour'/],
    ['a missing --user', ['feed'], /required option '--user <id>' not specified/],
    [
      'a page size out of range',
      ['feed', '--user', 'u1', '--page-size', '500'],
      /'--page-size <n>' argument '500' is invalid\. expected an integer from 1 to 100/,
    ],
    [
      'a page size that is not a number',
      ['notifications', '--user', 'u1', '--page-size', 'ten'],
      /'--page-size <n>' argument 'ten' is invalid/,
    ],
    [
      'an unknown surface',
      ['feed', '--user', 'u1', '--surface', 'home'],
      /argument 'home' is invalid\. Allowed choices are dashboard, for-you, explore, tag/,
    ],
    [
      'a tag surface without a tag',
      ['feed', '--user', 'u1', '--surface', 'tag'],
      /error: --surface tag needs --tag <tag>/,
    ],
    [
      'a tag on another surface',
      ['feed', '--user', 'u1', '--surface', 'explore', '--tag', 'cats'],
      /--tag only applies to --surface tag, not explore/,
    ],
    [
      'an address without a port',
      ['feed', '--user', 'u1', '--addr', 'localhost'],
      /'--addr <host:port>' argument 'localhost' is invalid\. expected host:port/,
    ],
    [
      'an empty --user for a feed',
      ['feed', '--user', ''],
      /'--user <id>' argument '' is invalid\. expected a non-empty id/,
    ],
    [
      'an empty --user for notifications',
      ['notifications', '--user', ' '],
      /'--user <id>' argument ' ' is invalid\. expected a non-empty id/,
    ],
    [
      'an empty --user for features',
      ['features', '--user', ''],
      /'--user <id>' argument '' is invalid/,
    ],
    [
      'an empty --post for features',
      ['features', '--user', 'u1', '--post', ''],
      /'--post <id>' argument '' is invalid/,
    ],
    [
      'an empty --user for a profile',
      ['profile', '--user', ''],
      /'--user <id>' argument '' is invalid/,
    ],
    [
      'an empty --user for a search',
      ['search', 'cats', '--user', ''],
      /'--user <id>' argument '' is invalid/,
    ],
    [
      'an empty --tag for a search',
      ['search', 'cats', '--tag', ''],
      /'--tag <tag>' argument '' is invalid/,
    ],
    [
      'a search of blank words',
      ['search', ' ', ''],
      /error: the query is blank: give at least one word/,
    ],
    [
      'a bare # as the tag of a feed',
      ['feed', '--user', 'u1', '--tag', '#'],
      /'--tag <tag>' argument '#' is invalid/,
    ],
    ['an empty --user for up', ['up', '--user', ''], /'--user <id>' argument '' is invalid/],
    ['a search without words', ['search'], /missing required argument 'query'/],
    [
      'an unknown order',
      ['search', 'cats', '--order', 'random'],
      /Allowed choices are relevance, recency/,
    ],
    [
      '--after without --follow',
      ['notifications', '--user', 'u1', '--after', 'n1'],
      /--after only applies with --follow/,
    ],
    ['publish without a file', ['publish'], /missing required argument 'file'/],
    [
      'a batch over the gateway limit',
      ['publish', 'x.jsonl', '--batch', '1001'],
      /expected an integer from 1 to 1000/,
    ],
    [
      'an unknown world preset',
      ['world', '--preset', 'huge'],
      /Allowed choices are small, default, medium, large/,
    ],
    ['a negative seed', ['world', '--seed', '-1'], /'--seed <n>' argument '-1' is invalid/],
    [
      'a feature benchmark on an unknown world',
      ['bench', 'features', '--preset', 'huge'],
      /Allowed choices are small, default, medium, large/,
    ],
    [
      'a feature benchmark batch size of 0',
      ['bench', 'features', '--batch-size', '0'],
      /'--batch-size <n>' argument '0' is invalid\. expected an integer from 1 to 100000/,
    ],
    ['a simulation of no days', ['simulate', '--days', '0'], /expected an integer from 1 to 365/],
    [
      'a simulation world that does not exist',
      ['simulate', '--world', 'tiny'],
      /Allowed choices are small, default, medium, large/,
    ],
    ['a bad --now', ['world', '--now', 'yesterday'], /expected ms since the epoch or an ISO date/],
    [
      'a candidate evaluation reading its sources less deep than the cut',
      ['eval', 'candidates', '--train', ratings, '--test', ratings, '--source-depth', '0.5'],
      /'--source-depth <n>' argument '0.5' is invalid\. expected a number from 1 to 20/,
    ],
    ['eval recs with neither --train nor --data', ['eval', 'recs'], /give --train and --out/],
    [
      'eval recs --train without --out',
      ['eval', 'recs', '--train', ratings, '--test', ratings],
      /--train and --out go together/,
    ],
    [
      'eval recs with both --train and --data',
      ['eval', 'recs', '--train', ratings, '--out', join(files, 'r.csv'), '--data', files],
      /--data and --train are exclusive/,
    ],
  ];
  for (const [what, argv, message] of usageErrors) {
    it(`exits 2 with a clear message on ${what}`, async () => {
      const run = await runCliForTest(argv);
      assert.equal(run.code, EXIT_USAGE, run.stderr);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
    });
  }

  it('prints help on stdout and exits 0 for --help', async () => {
    const run = await runCliForTest(['feed', '--help']);
    assert.equal(run.code, EXIT_OK);
    assert.match(run.stdout, /--surface <surface>/);
    assert.match(run.stdout, /--page-size <n>/);
  });

  it('says how to start the playground when nothing listens at --addr', async () => {
    const run = await runCliForTest(['feed', '--user', 'u1', '--addr', '127.0.0.1:1']);
    assert.equal(run.code, EXIT_FAILED);
    assert.match(run.stderr, /^error: UNAVAILABLE: /);
    assert.match(
      run.stderr,
      /hint: nothing answers at 127\.0\.0\.1:1; start the playground with `npm start`/,
    );
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  });

  describe('with FEEDMESH_ADDR set', () => {
    // Commander reads option defaults from the process environment.
    afterEach(() => {
      delete process.env['FEEDMESH_ADDR'];
    });

    it('takes the gateway address from it', async () => {
      process.env['FEEDMESH_ADDR'] = '127.0.0.1:2';
      const run = await runCliForTest(['feed', '--user', 'u1']);
      assert.equal(run.code, EXIT_FAILED);
      assert.match(run.stderr, /nothing answers at 127\.0\.0\.1:2/);
    });

    it('exits 2 naming the variable when it is not host:port', async () => {
      process.env['FEEDMESH_ADDR'] = 'gateway';
      const run = await runCliForTest(['feed', '--user', 'u1']);
      assert.equal(run.code, EXIT_USAGE);
      assert.match(run.stderr, /from env 'FEEDMESH_ADDR' is invalid\. expected host:port/);
    });
  });
});
