import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMovies, readRatings, releaseYearOf, splitRatings } from '@feedmesh/evaluation';
import { runCandidateEval } from './candidate-eval.js';

/** ../shared/data from the repository root (dist/evaluation is four levels below it). */
const DATA = fileURLToPath(new URL('../../../../../shared/data/ml-latest-small/', import.meta.url));

describe('runCandidateEval (ml-latest-small, first 30 users)', function () {
  before(function () {
    if (!existsSync(join(DATA, 'ratings.csv'))) {
      console.warn(`    skipped: no ml-latest-small at ${DATA}`);
      this.skip();
    }
  });

  it('splits the data folder with the seed and recalls more with the union than popular', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candidate-eval-test-'));
    after(() => rm(dir, { recursive: true, force: true }));
    const listsPath = join(dir, 'lists.jsonl');
    const report = await runCandidateEval({
      listsPath,
      dataDir: DATA,
      seed: 42,
      ks: [100, 500],
      users: 30,
      sources: ['popular', 'session'],
      embeddings: { factors: 16, iterations: 4 },
      neighbours: { maxItems: 500 }, // the related source's model, small: its fit is cubic
    });
    assert.equal(report.data.users, 30);
    assert.equal(report.data.trainRatings, 75_703, 'the README protocol: 75% per user, seed 42');
    assert.ok(report.data.tags > 10, 'genres from the folder’s movies.csv');
    const { popular, session, union } = report.recall as Record<string, Record<string, number>>;
    for (const k of ['@100', '@500']) {
      assert.ok(union![k]! > popular![k]!, `${k}: union ${union![k]} vs popular ${popular![k]}`);
      assert.ok(
        session![k]! > popular![k]!,
        `${k}: session ${session![k]} vs popular ${popular![k]}`,
      );
    }
    assert.ok(popular!['@500']! > 0.3, 'popular is a real baseline, not an empty list');

    // The lists written are the ones measured: their recall is the report's.
    const lines = (await readFile(listsPath, 'utf8')).trim().split('\n');
    assert.equal(lines.length, 30, 'one line per test user');
    const entries = lines.map(
      (line) => JSON.parse(line) as { lists: Record<string, string[]>; relevant: string[] },
    );
    for (const source of ['popular', 'session']) {
      for (const k of [100, 500]) {
        const mean =
          entries.reduce((sum, { lists, relevant }) => {
            const top = new Set(lists[source]!.slice(0, k));
            return sum + relevant.filter((id) => top.has(id)).length / relevant.length;
          }, 0) / entries.length;
        assert.equal(
          Math.round(mean * 10_000) / 10_000,
          report.recall[source]![`@${k}`],
          `${source} @${k}`,
        );
      }
    }
    assert.deepEqual(Object.keys(entries[0]!.lists).sort(), ['popular', 'session']);
    assert.ok(entries.every(({ lists }) => lists['session']!.length <= 500));
    assert.equal(report.listsPath, listsPath);
  });

  it('asked at last-activity, proposes no movie released after the user last rated', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candidate-eval-test-'));
    after(() => rm(dir, { recursive: true, force: true }));
    const split = await splitRatings({ ratings: join(DATA, 'ratings.csv'), outDir: dir });
    const listsPath = join(dir, 'lists.jsonl');
    const report = await runCandidateEval({
      train: split.trainPath,
      test: split.testPath,
      movies: join(DATA, 'movies.csv'),
      askAt: 'last-activity',
      listsPath,
      ks: [100, 500],
      users: 30,
      sources: ['popular'],
      embeddings: { factors: 8, iterations: 2 },
      neighbours: false,
    });
    assert.equal(report.askAt.when, 'last-activity');
    assert.ok(report.askAt.unreleasedPerUser > 0, 'some users last rated years ago');

    const movies = await readMovies(join(DATA, 'movies.csv'));
    const lastYear = new Map<string, number>();
    for (const r of await readRatings(split.trainPath)) {
      const year = new Date(r.timestamp * 1000).getUTCFullYear();
      lastYear.set(r.userId, Math.max(lastYear.get(r.userId) ?? 0, year));
    }
    let checked = 0;
    for (const line of (await readFile(listsPath, 'utf8')).trim().split('\n')) {
      const { userId, lists } = JSON.parse(line) as {
        userId: string;
        lists: Record<string, string[]>;
      };
      assert.ok(lists['popular']!.length > 100, `user ${userId}: the list is still full`);
      for (const postId of lists['popular']!) {
        const year = releaseYearOf(movies.get(postId.slice(1))!);
        if (year === undefined) continue;
        assert.ok(year <= lastYear.get(userId)!, `user ${userId}: ${postId} of ${year}`);
        checked += 1;
      }
    }
    assert.ok(checked > 3_000, `${checked} movies checked`);
  });

  it('reads the union at each K from one Generate at the largest K, or asks once per K', async () => {
    const common = {
      dataDir: DATA,
      ks: [100, 500],
      users: 10,
      sources: ['popular'],
      embeddings: { factors: 8, iterations: 2 },
      neighbours: false,
    } as const;
    const once = await runCandidateEval(common);
    const perK = await runCandidateEval({ ...common, unionPerK: true });
    assert.match(once.union, /^one Generate of 500 candidates .* read at each K$/);
    assert.match(perK.union, /^asked once per K/);
    // At the largest K both are the same request.
    assert.equal(once.recall['union']!['@500'], perK.recall['union']!['@500']);
    assert.ok(once.recall['union']!['@100']! > 0);
  });

  it('refuses to ask at last-activity without the titles of movies.csv', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candidate-eval-test-'));
    after(() => rm(dir, { recursive: true, force: true }));
    const split = await splitRatings({ ratings: join(DATA, 'ratings.csv'), outDir: dir });
    await assert.rejects(
      runCandidateEval({ train: split.trainPath, test: split.testPath, askAt: 'last-activity' }),
      /movies: is needed to ask at last-activity/,
    );
  });

  it('refuses to read the sources less deep than the union is cut', async () => {
    await assert.rejects(
      runCandidateEval({ dataDir: DATA, sourceDepth: 0.5 }),
      /source_depth: must be at least 1/,
    );
  });

  it('refuses a source it does not have, naming the option and the sources it has', async () => {
    await assert.rejects(
      runCandidateEval({ dataDir: DATA, sources: ['session', 'sesion'] }),
      /^InvalidArgumentError: sources: unknown source "sesion"; the sources are following, .*session/,
    );
    await assert.rejects(
      runCandidateEval({ dataDir: DATA, weights: { populr: 1 } }),
      /weights\.populr: not a source; the sources are following, /,
    );
    await assert.rejects(
      runCandidateEval({ dataDir: DATA, weights: { popular: -1 } }),
      /weights\.popular: must be a number ≥ 0, not -1/,
    );
  });

  it('names the option whose file cannot be read', async () => {
    await assert.rejects(
      runCandidateEval({ trainPath: join(DATA, 'ratings.csv'), testPath: '/nonexistent/test.csv' }),
      /^InvalidArgumentError: test: cannot read \/nonexistent\/test\.csv \(ENOENT\)/,
    );
  });

  it('refuses a train file without its test file', async () => {
    await assert.rejects(
      runCandidateEval({ trainPath: join(DATA, 'ratings.csv') }),
      /test: give both files/,
    );
  });
});
