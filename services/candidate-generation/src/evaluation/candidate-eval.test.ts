import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
    const report = await runCandidateEval({
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
  });

  it('refuses a train file without its test file', async () => {
    await assert.rejects(
      runCandidateEval({ trainPath: join(DATA, 'ratings.csv') }),
      /test: give both files/,
    );
  });
});
