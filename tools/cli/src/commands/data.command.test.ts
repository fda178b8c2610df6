import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from '../cli-errors.js';
import { runCliForTest } from '../test-support/fake-gateway.js';

describe('feedmesh data split', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'feedmesh-split-'));
    // Two users with 8 ratings each, at increasing times: MovieLens's header and layout.
    const rows = ['userId,movieId,rating,timestamp'];
    for (const user of [1, 2]) {
      for (let item = 1; item <= 8; item++) rows.push(`${user},${item},4.0,${1000 + item}`);
    }
    await writeFile(join(dir, 'ratings.csv'), `${rows.join('\n')}\n`);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const lines = async (file: string) => (await readFile(file, 'utf8')).trim().split('\n').slice(1);

  it("keeps each user's last 20% by time for testing with --protocol temporal", async () => {
    const out = join(dir, 'temporal');
    const run = await runCliForTest([
      'data',
      'split',
      '--ratings',
      join(dir, 'ratings.csv'),
      '--out',
      out,
      '--protocol',
      'temporal',
      '--json',
    ]);
    assert.equal(run.code, EXIT_OK, run.stderr);
    const report = JSON.parse(run.stdout) as { train: number; test: number; users: number };
    assert.deepEqual([report.users, report.train + report.test], [2, 16]);
    const test = await lines(join(out, 'test.csv'));
    assert.equal(test.length, report.test);
    const latestTrain = Math.max(
      ...(await lines(join(out, 'train.csv'))).map((row) => Number(row.split(',')[3])),
    );
    for (const row of test) assert.ok(Number(row.split(',')[3]) > latestTrain, row);
  });

  it('writes the same random split for the same seed, and another for another seed', async () => {
    const split = async (seed: string) => {
      const out = join(dir, `random-${seed}-${Math.random()}`);
      const run = await runCliForTest([
        'data',
        'split',
        '--ratings',
        join(dir, 'ratings.csv'),
        '--out',
        out,
        '--seed',
        seed,
      ]);
      assert.equal(run.code, EXIT_OK, run.stderr);
      assert.match(run.stdout, /random split \(seed \d+\) of 2 users/);
      return (await lines(join(out, 'test.csv'))).sort().join('|');
    };
    assert.equal(await split('7'), await split('7'));
    const others = await Promise.all(['1', '2', '3', '4'].map(split));
    assert.ok(
      others.some((other) => other !== (others[0] ?? '')),
      'seeds change the split',
    );
  });

  it('exits 2 on an unknown protocol, and on a missing ratings file naming it', async () => {
    const usage = await runCliForTest([
      'data',
      'split',
      '--ratings',
      join(dir, 'ratings.csv'),
      '--out',
      dir,
      '--protocol',
      'shuffled',
    ]);
    assert.equal(usage.code, EXIT_USAGE);
    assert.match(usage.stderr, /Allowed choices are random, temporal/);

    const missing = await runCliForTest([
      'data',
      'split',
      '--ratings',
      join(dir, 'nope.csv'),
      '--out',
      dir,
    ]);
    assert.equal(missing.code, EXIT_USAGE);
    assert.match(
      missing.stderr,
      /'--ratings <file>' argument '.*nope\.csv' is invalid\. no such file/,
    );
  });

  it('fails naming --out when the folder cannot be made, under /proc too (where mkdir -p spins)', async function () {
    if (process.platform !== 'linux') this.skip();
    const run = await runCliForTest([
      'data',
      'split',
      '--ratings',
      join(dir, 'ratings.csv'),
      '--out',
      '/proc/feedmesh-nope/split',
    ]);
    assert.equal(run.code, EXIT_FAILED);
    assert.match(run.stderr, /--out \/proc\/feedmesh-nope\/split: cannot create it: ENOENT/);
  });
});

describe('feedmesh eval candidates', () => {
  it('exits 2 when the test file is not given', async () => {
    const train = fileURLToPath(import.meta.url); // any file that exists
    const run = await runCliForTest(['eval', 'candidates', '--train', train]);
    assert.equal(run.code, EXIT_USAGE);
    assert.match(run.stderr, /required option '--test <file>' not specified/);
  });
});
