import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'mocha';
import { alsRetriever } from './als.retriever.js';
import { easeRetriever } from './ease.retriever.js';
import { catalogOf, interactionsOf } from './interactions.js';
import {
  MODEL_FORMAT,
  Scorer,
  seededRandom,
  type TreeEnsembleModelDocument,
} from '@feedmesh/models';
import { averagedEnsemble, runRecommend, runRecsEval } from './recs-eval.js';
import { topItems } from './retriever.js';
import { invertSymmetricPositiveDefinite } from './spd-inverse.js';
import { userKnnRetriever } from './user-knn.retriever.js';

/**
 * Two taste groups: even users rate mostly even movies, odd users odd ones, and movie m is
 * rated by more users the smaller m is, so popularity alone is a weaker guide than taste.
 */
function syntheticRatings(users: number, movies: number): string {
  const lines = ['userId,movieId,rating,timestamp'];
  let state = 7;
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  for (let u = 1; u <= users; u += 1) {
    for (let m = 1; m <= movies; m += 1) {
      const sameTaste = u % 2 === m % 2;
      const p = (sameTaste ? 0.6 : 0.08) * (1 - m / (movies * 1.5));
      if (random() < p) lines.push(`${u},${m},4.0,${1_000_000 + u * 1000 + m}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function syntheticMovies(movies: number): string {
  const lines = ['movieId,title,genres'];
  for (let m = 1; m <= movies; m += 1) {
    lines.push(`${m},Movie ${m} (${1990 + (m % 20)}),${m % 2 === 0 ? 'Drama' : 'Comedy'}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Settings small enough for the synthetic data sets: a run takes seconds. */
const SMALL_RUN = {
  seed: 3,
  validationFolds: 2,
  ease: { minRatings: 2 },
  rp3: { minRatings: 2 },
  candidates: { perRetriever: 30, popular: 10 },
  ranker: { trees: 30 },
} as const;

describe('recs eval', () => {
  it('inverts a symmetric positive-definite matrix', () => {
    const a = Float64Array.from([4, 2, 0.6, 2, 5, 1, 0.6, 1, 3]);
    const copy = Float64Array.from(a);
    const inverse = invertSymmetricPositiveDefinite(a, 3);
    for (let i = 0; i < 3; i += 1) {
      for (let j = 0; j < 3; j += 1) {
        let sum = 0;
        for (let k = 0; k < 3; k += 1) sum += copy[i * 3 + k]! * inverse[k * 3 + j]!;
        assert.ok(Math.abs(sum - (i === j ? 1 : 0)) < 1e-12, `(${i},${j}) = ${sum}`);
      }
    }
  });

  it('inverts any size to the bit of one dot product at a time (two share a row)', () => {
    // The plain Cholesky inverse the paired loops must reproduce exactly.
    const reference = (a: Float64Array, n: number): Float64Array => {
      const l = new Float64Array(n * n);
      for (let i = 0; i < n; i += 1) {
        for (let j = 0; j <= i; j += 1) {
          let sum = a[i * n + j]!;
          for (let k = 0; k < j; k += 1) sum -= l[i * n + k]! * l[j * n + k]!;
          l[i * n + j] = i === j ? Math.sqrt(sum) : sum / l[j * n + j]!;
        }
      }
      const u = new Float64Array(n * n);
      for (let j = 0; j < n; j += 1) {
        u[j * n + j] = 1 / l[j * n + j]!;
        for (let i = j + 1; i < n; i += 1) {
          let sum = 0;
          for (let k = j; k < i; k += 1) sum += l[i * n + k]! * u[j * n + k]!;
          u[j * n + i] = -sum / l[i * n + i]!;
        }
      }
      const inverse = new Float64Array(n * n);
      for (let x = 0; x < n; x += 1) {
        for (let y = 0; y < n; y += 1) {
          let sum = 0;
          for (let k = Math.max(x, y); k < n; k += 1) sum += u[x * n + k]! * u[y * n + k]!;
          inverse[x * n + y] = sum;
        }
      }
      return inverse;
    };
    const random = seededRandom(5);
    for (let n = 1; n <= 9; n += 1) {
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i += 1) {
        for (let j = 0; j <= i; j += 1) a[i * n + j] = a[j * n + i] = random.int(0, 3);
        a[i * n + i] = a[i * n + i]! + n;
      }
      assert.deepEqual(invertSymmetricPositiveDefinite(Float64Array.from(a), n), reference(a, n));
    }
  });

  it("recommends with EASE from the user's taste group, never what the user rated", () => {
    const ratings = [
      { userId: 'a', itemId: '1', rating: 4, timestamp: 1 },
      { userId: 'a', itemId: '2', rating: 4, timestamp: 2 },
      { userId: 'b', itemId: '1', rating: 4, timestamp: 3 },
      { userId: 'b', itemId: '2', rating: 4, timestamp: 4 },
      { userId: 'b', itemId: '3', rating: 4, timestamp: 5 },
      { userId: 'c', itemId: '4', rating: 4, timestamp: 6 },
      { userId: 'c', itemId: '5', rating: 4, timestamp: 7 },
      { userId: 'd', itemId: '4', rating: 4, timestamp: 8 },
      { userId: 'd', itemId: '5', rating: 4, timestamp: 9 },
    ];
    const catalog = catalogOf(ratings);
    const data = interactionsOf(catalog, ratings);
    const ease = easeRetriever(data, { lambda: 1 });
    const scores = new Float32Array(catalog.itemIds.length);
    const a = catalog.userOf.get('a')!;
    ease.scoreUser(a, scores);
    const top = topItems(scores, 1, data.history[a]!).map((i) => catalog.itemIds[i]);
    assert.deepEqual(top, ['3']);
  });

  it("recommends with implicit ALS from the user's taste group, never a movie nobody rated", () => {
    const ratings = [
      ['a', '1'],
      ['a', '2'],
      ['b', '1'],
      ['b', '2'],
      ['b', '3'],
      ['e', '1'],
      ['e', '3'],
      ['c', '4'],
      ['c', '5'],
      ['c', '6'],
      ['d', '4'],
      ['d', '5'],
      ['d', '6'],
    ].map(([userId, itemId], t) => ({ userId: userId!, itemId: itemId!, rating: 4, timestamp: t }));
    const catalog = catalogOf(ratings);
    // Movie 7 is in the catalog but not in this fold: it has no vector worth scoring.
    const data = interactionsOf({ ...catalog, itemIds: [...catalog.itemIds, '7'] }, ratings);
    const scores = new Float32Array(catalog.itemIds.length + 1);
    const a = catalog.userOf.get('a')!;
    alsRetriever(data, { factors: 2, regularization: 0.1, iterations: 20 }).scoreUser(a, scores);
    const top = topItems(scores, 1, data.history[a]!).map((i) => catalog.itemIds[i]);
    assert.deepEqual(top, ['3']);
    assert.equal(scores[catalog.itemIds.length], Number.NEGATIVE_INFINITY);
  });

  it("recommends with user-kNN what the user's nearest neighbours rated", () => {
    const ratings = [
      ['a', '1'],
      ['a', '2'],
      ['b', '1'],
      ['b', '2'],
      ['b', '3'],
      ['c', '4'],
      ['c', '5'],
      ['c', '6'],
      ['c', '3'],
    ].map(([userId, itemId], t) => ({ userId: userId!, itemId: itemId!, rating: 4, timestamp: t }));
    const catalog = catalogOf(ratings);
    const data = interactionsOf(catalog, ratings);
    const scores = new Float32Array(catalog.itemIds.length);
    const a = catalog.userOf.get('a')!;
    userKnnRetriever(data, { neighbors: 1 }).scoreUser(a, scores);
    // Only b (who shares a's movies) votes: its unseen movie scores, c's do not.
    const top = topItems(scores, 1, data.history[a]!).map((i) => catalog.itemIds[i]);
    assert.deepEqual(top, ['3']);
    assert.equal(scores[catalog.itemOf.get('4')!], 0);
  });

  it('averages rankers into one served ensemble whose margin is the mean of theirs', () => {
    // One stump per model on feature 0 (x < 0.5 goes left), different leaves and bases.
    const stump = (base: number, left: number, right: number): TreeEnsembleModelDocument => ({
      format: MODEL_FORMAT,
      family: 'gbdt',
      description: 'stump',
      features: [{ name: 'x', default: null, transform: 'identity' }],
      objectives: [
        {
          objective: 'like',
          baseMargin: base,
          trees: [
            {
              feature: [0, -1, -1],
              threshold: [0.5, 0, 0],
              left: [1, -1, -1],
              right: [2, -1, -1],
              missingLeft: [1, 0, 0],
              value: [0, left, right],
            },
          ],
        },
      ],
      defaultWeights: { like: 1 },
    });
    const a = stump(-1, 0.4, -0.2);
    const b = stump(-3, -0.6, 1.0);
    const mean = averagedEnsemble([a, b]);
    const rows = {
      names: ['x'],
      rows: 2,
      values: Float32Array.from([0.2, 0.9]),
      users: new Int32Array(2),
      items: new Int32Array(2),
    };
    const margin = (p: number) => Math.log(p / (1 - p));
    const [low, high] = new Scorer(mean).score({ candidates: rows }).probabilities;
    assert.ok(Math.abs(margin(low!) - (-1 + 0.4 + -3 - 0.6) / 2) < 1e-5);
    assert.ok(Math.abs(margin(high!) - (-1 - 0.2 + -3 + 1.0) / 2) < 1e-5);
    assert.equal(mean.objectives[0]!.trees.length, 2);
  });

  it('reports every method on both splits, beating popularity where taste decides', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'recs-eval-'));
    try {
      await writeFile(join(dir, 'ratings.csv'), syntheticRatings(60, 80));
      await writeFile(join(dir, 'movies.csv'), syntheticMovies(80));
      const report = await runRecsEval({
        dataDir: dir,
        ...SMALL_RUN,
      });
      assert.deepEqual(
        report.splits.map((s) => s.protocol),
        ['random', 'temporal'],
      );
      for (const split of report.splits) {
        assert.equal(split.users, 60);
        const byMethod = new Map(split.methods.map((m) => [m.method, m]));
        assert.deepEqual([...byMethod.keys()].sort(), [
          'ease',
          'pipeline (retrievers + GBDT ranker)',
          'popularity',
          'rp3beta',
          'user-knn',
        ]);
        for (const m of split.methods) {
          for (const value of [m.ndcg, m.precision, m.recall, m.map]) {
            assert.ok(value >= 0 && value <= 1, `${m.method}: ${value}`);
          }
        }
        // Taste beats popularity on this data, for EASE and for the pipeline built on it.
        const popularity = byMethod.get('popularity')!.ndcg;
        assert.ok(byMethod.get('ease')!.ndcg > popularity, JSON.stringify(split.methods));
        assert.ok(
          byMethod.get('pipeline (retrievers + GBDT ranker)')!.ndcg > popularity,
          JSON.stringify(split.methods),
        );
        assert.ok(split.ranker.trees > 0);
        assert.ok(split.calibration.bins.length > 0);
        assert.ok(split.calibration.brier >= 0 && split.calibration.brier <= 1);
        assert.ok(split.calibration.ece >= 0);
      }
      assert.ok(report.wallMs > 0);
      assert.equal(report.loadAverage.length, 3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("writes every training user's top k from a training file, then measures on the test file it opens last", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'recs-eval-'));
    try {
      // Train: every user's ratings but the last three by time; test: those three.
      const rows = syntheticRatings(60, 80).trim().split('\n').slice(1);
      const byUser = new Map<string, string[]>();
      for (const row of rows) {
        const user = row.split(',')[0]!;
        byUser.set(user, [...(byUser.get(user) ?? []), row]);
      }
      const train = ['user_id,item_id,rating,timestamp'];
      const test = ['user_id,item_id,rating,timestamp'];
      for (const ratings of byUser.values()) {
        train.push(...ratings.slice(0, -3));
        test.push(...ratings.slice(-3));
      }
      await writeFile(join(dir, 'train.csv'), `${train.join('\n')}\n`);
      await writeFile(join(dir, 'movies.csv'), syntheticMovies(80));
      const testPath = join(dir, 'test.csv');
      const outPath = join(dir, 'recs.csv');
      const report = await runRecommend({
        trainPath: join(dir, 'train.csv'),
        moviesPath: join(dir, 'movies.csv'),
        testPath,
        outPath,
        k: 5,
        protocol: 'temporal',
        ...SMALL_RUN,
        // The test file exists only once the recommendations are written.
        onWritten: () => writeFile(testPath, `${test.join('\n')}\n`),
      });

      const lines = (await readFile(outPath, 'utf8')).trim().split('\n');
      assert.equal(lines[0], 'user_id,item_id,rank,score');
      const rated = new Set(train.slice(1).map((row) => row.split(',').slice(0, 2).join(',')));
      const perUser = new Map<string, { item: string; rank: number; score: number }[]>();
      for (const line of lines.slice(1)) {
        const [user, item, rank, score] = line.split(',');
        assert.ok(!rated.has(`${user},${item}`), `${user} already rated ${item}`);
        perUser.set(user!, [
          ...(perUser.get(user!) ?? []),
          { item: item!, rank: Number(rank), score: Number(score) },
        ]);
      }
      assert.equal(perUser.size, 60);
      for (const [user, list] of perUser) {
        assert.deepEqual(
          list.map((r) => r.rank),
          [1, 2, 3, 4, 5],
          user,
        );
        assert.equal(new Set(list.map((r) => r.item)).size, 5, user);
        for (const r of list) assert.ok(r.score >= 0 && r.score <= 1, `${user}: ${r.score}`);
      }
      assert.equal(report.recommendations, 300);
      assert.equal(report.test!.users, 60);
      assert.equal(report.test!.ratings, 180);
      for (const value of [report.test!.ndcg, report.test!.precision, report.test!.recall]) {
        assert.ok(value > 0 && value <= 1, JSON.stringify(report.test));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('counts a test rating repeated for an item never seen in training once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'recs-eval-'));
    try {
      const rows = syntheticRatings(30, 40).trim().split('\n').slice(1);
      const header = 'user_id,item_id,rating,timestamp';
      const train = [header, ...rows.filter((_, i) => i % 4 !== 0)];
      const test = rows.filter((_, i) => i % 4 === 0);
      const users = [...new Set(test.map((row) => row.split(',')[0]!))];
      // Every test user also rated a movie nobody rated in training, once or twice.
      const once = [header, ...test, ...users.map((u) => `${u},unseen,4.0,9000000`)];
      const twice = [...once, ...users.map((u) => `${u},unseen,4.0,9000001`)];
      await writeFile(join(dir, 'train.csv'), `${train.join('\n')}\n`);
      await writeFile(join(dir, 'once.csv'), `${once.join('\n')}\n`);
      await writeFile(join(dir, 'twice.csv'), `${twice.join('\n')}\n`);
      const measure = async (name: string) =>
        (
          await runRecommend({
            trainPath: join(dir, 'train.csv'),
            testPath: join(dir, name),
            outPath: join(dir, 'recs.csv'),
            ...SMALL_RUN,
          })
        ).test!;
      const a = await measure('once.csv');
      const b = await measure('twice.csv');
      assert.ok(a.recall > 0);
      assert.deepEqual(
        [b.recall, b.map, b.ndcg, b.precision],
        [a.recall, a.map, a.ndcg, a.precision],
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a k below 1 before fitting anything, naming k', async () => {
    await assert.rejects(
      runRecsEval({ dataDir: '/nonexistent', k: 0 }),
      /^RangeError: k must be a positive integer, got 0/,
    );
    await assert.rejects(
      runRecommend({ trainPath: '/nonexistent', outPath: '/nonexistent/recs.csv', k: -1 }),
      /^RangeError: k must be a positive integer, got -1/,
    );
  });
});
