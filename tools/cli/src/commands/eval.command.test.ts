import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_FAILED, EXIT_USAGE } from '../cli-errors.js';
import { runCliForTest } from '../test-support/fake-gateway.js';

/**
 * What `eval` and `data` refuse before any work starts: a run that fails only when it writes
 * its results, or that scores an empty file as 0, costs minutes and misleads.
 */
describe('feedmesh eval and data: inputs checked up front', () => {
  let dir: string;
  let ratings: string;
  let headerOnly: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'feedmesh-eval-args-'));
    ratings = join(dir, 'ratings.csv');
    await writeFile(ratings, 'userId,movieId,rating,timestamp\n1,1,4.0,1000\n1,2,3.0,1001\n');
    headerOnly = join(dir, 'empty.csv');
    await writeFile(headerOnly, 'user_id,item_id,rating,timestamp\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const refused = async (argv: string[], code: number, message: RegExp) => {
    const run = await runCliForTest(argv);
    assert.equal(run.code, code, `${argv.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.equal(run.stdout, '');
  };

  it('names the option whose input file or folder is missing, or is the wrong kind', async () => {
    await refused(
      ['eval', 'candidates', '--train', join(dir, 'nope.csv'), '--test', ratings],
      EXIT_USAGE,
      /option '--train <file>' argument '.*nope\.csv' is invalid\. no such file/,
    );
    await refused(
      ['data', 'split', '--ratings', dir, '--out', join(dir, 'split')],
      EXIT_USAGE,
      /option '--ratings <file>' argument .* is invalid\. expected a file, not a directory/,
    );
    await refused(
      ['eval', 'search', '--cranfield', dir],
      EXIT_USAGE,
      /'--cranfield <dir>' .* expected cran\.all\.1400, cran\.qry, cranqrel in it; missing cran\.all\.1400, cran\.qry, cranqrel/,
    );
    await refused(
      ['eval', 'cold-start', '--data', join(dir, 'nope')],
      EXIT_USAGE,
      /'--data <dir>' .* no such directory/,
    );
  });

  it('refuses an output path whose folder does not exist before the run, not after it', async () => {
    await refused(
      [
        'eval',
        'candidates',
        '--train',
        ratings,
        '--test',
        ratings,
        '--lists',
        join(dir, 'no', 'l.jsonl'),
      ],
      EXIT_USAGE,
      /'--lists <file>' .* no such directory .*no to write it in/,
    );
    await refused(
      ['eval', 'recs', '--train', ratings, '--out', dir],
      EXIT_USAGE,
      /'--out <file>' .* expected a file to write, not a directory/,
    );
    await refused(
      ['bench', 'candidates', '--profile', join(dir, 'no', 'calls.cpuprofile')],
      EXIT_USAGE,
      /'--profile <file>' .* no such directory/,
    );
    await refused(
      ['data', 'split', '--ratings', ratings, '--out', ratings],
      EXIT_USAGE,
      /'--out <dir>' .* expected a directory, not a file/,
    );
  });

  it('refuses eval recs options the chosen mode would ignore, naming them', async () => {
    const ml = join(dir, 'ml');
    await mkdir(ml);
    await writeFile(join(ml, 'ratings.csv'), 'userId,movieId,rating,timestamp\n1,1,4.0,1000\n');
    await writeFile(join(ml, 'movies.csv'), 'movieId,title,genres\n1,Heat (1995),Action\n');
    await refused(
      ['eval', 'recs', '--data', ml, '--test', ratings],
      EXIT_USAGE,
      /--data and --test are exclusive/,
    );
    await refused(
      ['eval', 'recs', '--data', ml, '--movies', join(ml, 'movies.csv')],
      EXIT_USAGE,
      /--movies applies to --train; --data reads the movies\.csv in its folder/,
    );
    await refused(
      ['eval', 'recs', '--train', ratings, '--out', join(dir, 'recs.csv'), '--users', '3'],
      EXIT_USAGE,
      /--users applies to --data/,
    );
  });

  it('refuses eval candidates --ask-at last-activity without --movies, and an unknown moment', async () => {
    await refused(
      ['eval', 'candidates', '--train', ratings, '--test', ratings, '--ask-at', 'last-activity'],
      EXIT_USAGE,
      /--ask-at last-activity needs --movies/,
    );
    await refused(
      ['eval', 'candidates', '--train', ratings, '--test', ratings, '--ask-at', 'now'],
      EXIT_USAGE,
      /Allowed choices are end, last-activity/,
    );
  });

  it('fails on a ratings file with no ratings instead of scoring it', async () => {
    await refused(
      ['data', 'split', '--ratings', headerOnly, '--out', join(dir, 'split')],
      EXIT_FAILED,
      /empty\.csv: no ratings, only the header/,
    );
  });

  it('refuses candidates-draws seeds that are not two or more distinct integers, naming --seeds', async () => {
    const data = join(dir, 'movielens');
    await mkdir(data, { recursive: true });
    await writeFile(join(data, 'ratings.csv'), 'userId,movieId,rating,timestamp\n1,1,4.0,1000\n');
    await writeFile(join(data, 'movies.csv'), 'movieId,title,genres\n1,A (1999),Drama\n');
    for (const [seeds, message] of [
      ['42', /option '--seeds <list>' argument '42' is invalid\. expected two seeds or more/],
      ['1,2,1', /argument '1,2,1' is invalid\. seed 1 is given twice/],
      ['1,x', /argument '1,x' is invalid\. expected comma-separated integers from 0 to 4294967295/],
    ] as const) {
      await refused(
        ['eval', 'candidates-draws', '--data', data, '--seeds', seeds],
        EXIT_USAGE,
        message,
      );
    }
    const help = await runCliForTest(['eval', 'candidates-draws', '--help']);
    assert.match(help.stdout, /--seeds <list> +the split seeds, .*\(default:\s+42,1,2,3,4\)/s);
    await refused(
      ['eval', 'candidates-draws', '--data', dir],
      EXIT_USAGE,
      /'--data <dir>' .* missing movies\.csv/,
    );
  });
});

describe('feedmesh eval fusion', () => {
  let dir: string;
  let lists: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'feedmesh-eval-fusion-'));
    lists = join(dir, 'lists.jsonl');
    // Session ranks the test item third; related ranks it first.
    const line = {
      userId: 'u1',
      lists: { session: ['a', 'b', 'c'], related: ['c', 'd', 'e'] },
      relevant: ['c'],
    };
    await writeFile(lists, `${JSON.stringify(line)}\n`);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('fuses the lists with the service weights, or with the ones given', async () => {
    const byDefault = await runCliForTest(['eval', 'fusion', '--lists', lists, '--ks', '1,3']);
    assert.equal(byDefault.code, 0, byDefault.stderr);
    assert.match(byDefault.stdout, /^1 users, lists 3 deep, RRF constant 60$/m);
    assert.match(byDefault.stdout, /^weights: session 1\.5, related 1$/m);
    assert.match(byDefault.stdout, /^union +recall@1 1\.0000 +recall@3 1\.0000$/m);

    const sessionOnly = await runCliForTest([
      ...['eval', 'fusion', '--lists', lists, '--ks', '1,3', '--weights', 'related=0', '--json'],
    ]);
    assert.equal(sessionOnly.code, 0, sessionOnly.stderr);
    const report = JSON.parse(sessionOnly.stdout) as { recall: Record<string, number> };
    assert.deepEqual(report.recall, { '@1': 0, '@3': 1 });
  });

  it('--tune: weights searched on half the users, measured on the other half', async () => {
    const skewed = join(dir, 'skewed.jsonl');
    const line = (u: number) =>
      JSON.stringify({
        userId: `u${u}`,
        lists: {
          session: Array.from({ length: 10 }, (_, i) => `s${u}-${i}`),
          related: Array.from({ length: 10 }, (_, i) => `r${u}-${i}`),
        },
        relevant: [`r${u}-0`],
      });
    await writeFile(skewed, Array.from({ length: 8 }, (_, u) => line(u)).join('\n') + '\n');
    const run = await runCliForTest([
      'eval',
      'fusion',
      '--lists',
      skewed,
      '--tune',
      '--ks',
      '1,10',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^8 users: weights searched on half \(recall@10\)/m);
    assert.match(run.stdout, /^service weights: session 1\.5, related 1$/m);
    assert.match(run.stdout, /^service weights +0\.0000 +0\.0000$/m);
    assert.match(run.stdout, /^tuned weights +1\.0000 +1\.0000$/m);
  });

  it('names the option or the field that is wrong', async () => {
    const refused = async (argv: string[], code: number, message: RegExp) => {
      const run = await runCliForTest(['eval', 'fusion', '--lists', lists, ...argv]);
      assert.equal(run.code, code, `${argv.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
    };
    await refused(
      ['--weights', 'sesion=2'],
      EXIT_USAGE,
      /option '--weights <list>' argument 'sesion=2' is invalid\. weights\.sesion: not a source/,
    );
    await refused(['--ks', '1,x'], EXIT_USAGE, /'--ks <list>' argument '1,x' is invalid\./);
    await refused(['--ks', '1,1'], EXIT_USAGE, /argument '1,1' is invalid\. 1 is given twice/);
    await refused(['--rounds', '2'], EXIT_USAGE, /--rounds applies to --tune only/);
    await refused(
      ['--tune', '--weights', 'session=1'],
      EXIT_USAGE,
      /--tune starts from the for-you weights; leave out --weights/,
    );
    await refused(
      ['--tune', '--objective', '5', '--ks', '1,3'],
      EXIT_USAGE,
      /--objective 5 is not one of --ks \(1,3\)/,
    );
    await refused(
      ['--tune', '--grid', '1,x'],
      EXIT_USAGE,
      /'--grid <list>' argument '1,x' is invalid/,
    );
    await refused(
      ['--ks', '10'],
      EXIT_FAILED,
      /ks: 10 is deeper than the lists in .*lists\.jsonl \(at most 3 a source\)/,
    );
  });
});
