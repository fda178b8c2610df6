import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseMovies,
  parseRatings,
  formatRatings,
  releaseYearOf,
  type Rating,
} from './movielens.js';
import { splitRatingRows, splitRatings } from './movielens-split.js';

const ratings: Rating[] = [];
for (let u = 1; u <= 3; u++) {
  for (let i = 1; i <= 8; i++)
    ratings.push({ userId: `${u}`, itemId: `${i}`, rating: 4, timestamp: 100 * i + u });
}

describe('MovieLens', () => {
  it('reads both headers and writes the project one', () => {
    const ours = parseRatings('user_id,item_id,rating,timestamp\n1,2,3.5,99\n');
    const theirs = parseRatings('userId,movieId,rating,timestamp\r\n1,2,3.5,99\r\n');
    assert.deepEqual(ours, theirs);
    assert.deepEqual(parseRatings(formatRatings(ours)), ours);
    assert.throws(() => parseRatings('a,b\n'), /ratings:1: expected the header/);
    assert.throws(() => parseRatings('userId,movieId,rating,timestamp\n1,2,x,4\n'), /ratings:2/);
    assert.throws(
      () => parseRatings('user_id,item_id,rating,timestamp\n\n', 'train.csv'),
      /^Error: train.csv: no ratings, only the header/,
    );
  });

  it('refuses a row whose rating or timestamp is empty, naming its line, rather than reading 0', () => {
    for (const row of ['1,2,,99', '1,2,4,', '1,2, ,99', '1,2,4,  ']) {
      assert.throws(
        () => parseRatings(`user_id,item_id,rating,timestamp\n1,1,3,5\n${row}\n`),
        /^Error: ratings:3: expected user,item,rating,timestamp/,
        JSON.stringify(row),
      );
    }
  });

  it('reads quoted titles and genres', () => {
    const movies = parseMovies(
      'movieId,title,genres\n11,"American President, The (1995)",Comedy|Drama|Romance\n12,X,(no genres listed)\n',
    );
    assert.equal(movies.get('11')?.title, 'American President, The (1995)');
    assert.deepEqual(movies.get('11')?.genres, ['Comedy', 'Drama', 'Romance']);
    assert.deepEqual(movies.get('12')?.genres, []);
  });

  it('splits 75/25 per user at random, the same way for a seed', () => {
    const a = splitRatingRows(ratings, { seed: 1 });
    assert.equal(a.train.length, 18);
    assert.equal(a.test.length, 6);
    for (const u of ['1', '2', '3']) assert.equal(a.test.filter((r) => r.userId === u).length, 2);
    assert.deepEqual(splitRatingRows(ratings, { seed: 1 }), a);
    assert.notDeepEqual(splitRatingRows(ratings, { seed: 2 }).test, a.test);
  });

  it('refuses an unknown split protocol, naming protocol', () => {
    assert.throws(
      () => splitRatingRows(ratings, { protocol: 'Random' as 'random' }),
      /^RangeError: protocol must be random or temporal, got "Random"/,
    );
  });

  it('keeps every test rating out of training and cuts each user by time', () => {
    const shuffled = [...ratings].reverse();
    for (const protocol of ['random', 'temporal'] as const) {
      const { train, test } = splitRatingRows(shuffled, { protocol, seed: 5 });
      assert.equal(train.length + test.length, shuffled.length);
      const trained = new Set(train.map((r) => `${r.userId},${r.itemId}`));
      for (const r of test) assert.ok(!trained.has(`${r.userId},${r.itemId}`));
      if (protocol === 'temporal') {
        for (const u of ['1', '2', '3']) {
          const last = Math.max(...train.filter((r) => r.userId === u).map((r) => r.timestamp));
          const first = Math.min(...test.filter((r) => r.userId === u).map((r) => r.timestamp));
          assert.ok(last < first, `user ${u}: trains on ${last}, tests from ${first}`);
        }
      }
    }
  });

  it('tests on each user’s last 20% in time with the temporal protocol', () => {
    const { test } = splitRatingRows(ratings, { protocol: 'temporal' });
    assert.deepEqual(
      test.filter((r) => r.userId === '2').map((r) => r.itemId),
      ['7', '8'],
    );
  });
});

describe('splitRatings (the files)', () => {
  let dir: string;
  let ratingsPath: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'split-ratings-'));
    ratingsPath = join(dir, 'ratings.csv');
    await writeFile(ratingsPath, formatRatings(ratings));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('writes train.csv and test.csv into the folder, making it when it is missing', async () => {
    const outDir = join(dir, 'split');
    const report = await splitRatings({ ratings: ratingsPath, outDir, seed: 1 });
    assert.deepEqual((await readdir(outDir)).sort(), ['test.csv', 'train.csv']);
    assert.equal(report.train + report.test, ratings.length);
    // A second run into the same folder replaces the files.
    await splitRatings({ ratings: ratingsPath, outDir, seed: 2 });
  });

  it('refuses a folder whose parent is missing (ENOENT) and makes nothing', async () => {
    await assert.rejects(
      splitRatings({ ratings: ratingsPath, outDir: join(dir, 'typo', 'split') }),
      { code: 'ENOENT' },
    );
    assert.ok(!(await readdir(dir)).includes('typo'), 'no parent made');
  });
});

describe('releaseYearOf (the year in a MovieLens title)', () => {
  const movie = (title: string) => ({ itemId: '1', title, genres: [] });

  it('reads the year at the end of the title, and the first year of a span', () => {
    assert.equal(releaseYearOf(movie('Heat (1995)')), 1995);
    assert.equal(releaseYearOf(movie('Death Note: Desu nôto (2006–2007)')), 2006);
    assert.equal(releaseYearOf(movie('Babylon 5 (1994-1998) ')), 1994);
  });

  it('has none when the title ends without one', () => {
    assert.equal(releaseYearOf(movie('Babylon 5')), undefined);
    assert.equal(releaseYearOf(movie('1984 (film) remake')), undefined);
  });
});
