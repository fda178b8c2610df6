import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitRatings } from '@feedmesh/evaluation';
import { runCandidateEval } from './candidate-eval.js';

/** ../shared/data from the repository root (dist/evaluation is four levels below it). */
const DATA = fileURLToPath(new URL('../../../../../shared/data/ml-latest-small/', import.meta.url));

describe('runCandidateEval (ml-latest-small, first 30 users)', function () {
  let dir: string;
  before(async function () {
    if (!existsSync(join(DATA, 'ratings.csv'))) this.skip();
    dir = await mkdtemp(join(tmpdir(), 'cg-eval-'));
    await splitRatings({ ratings: join(DATA, 'ratings.csv'), outDir: dir, seed: 42 });
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('recalls more of the test ratings with the union than with popular alone', async () => {
    const report = await runCandidateEval({
      train: join(dir, 'train.csv'),
      test: join(dir, 'test.csv'),
      movies: join(DATA, 'movies.csv'),
      ks: [100, 500],
      users: 30,
      sources: ['popular'],
      embeddings: { factors: 16, iterations: 4 },
    });
    assert.equal(report.data.users, 30);
    const { popular, union } = report.recall as Record<string, Record<string, number>>;
    for (const k of ['@100', '@500']) {
      assert.ok(union![k]! > popular![k]!, `${k}: union ${union![k]} vs popular ${popular![k]}`);
    }
    assert.ok(popular!['@500']! > 0.3, 'popular is a real baseline, not an empty list');
  });
});
