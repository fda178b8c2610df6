import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCandidateEvalDraws } from './candidate-eval-draws.js';

/** ../shared/data from the repository root (dist/evaluation is four levels below it). */
const DATA = fileURLToPath(new URL('../../../../../shared/data/ml-latest-small/', import.meta.url));

describe('runCandidateEvalDraws (ml-latest-small, first 15 users of each draw)', function () {
  this.timeout(300_000);
  before(function () {
    if (!existsSync(join(DATA, 'ratings.csv'))) {
      console.warn(`    skipped: no ml-latest-small at ${DATA}`);
      this.skip();
    }
  });

  it('evaluates one split per seed, in order, and gives each recall as its spread over the draws', async () => {
    const seeds = [42, 7, 3];
    const report = await runCandidateEvalDraws({
      dataDir: DATA,
      seeds,
      ks: [100, 500],
      users: 15,
      sources: ['popular', 'co-engagement'],
      embeddings: { factors: 8, iterations: 2 },
      neighbours: false,
    });
    assert.deepEqual(report.seeds, seeds);
    assert.deepEqual(
      report.draws.map((draw) => draw.seed),
      seeds,
    );
    assert.deepEqual(Object.keys(report.recall).sort(), ['co-engagement', 'popular', 'union']);
    const unionAt100 = report.draws.map((draw) => draw.recall['union']!['@100']!);
    assert.ok(new Set(unionAt100).size > 1, `the draws differ: ${unionAt100.join(', ')}`);
    for (const [name, byK] of Object.entries(report.recall)) {
      for (const [k, spread] of Object.entries(byK)) {
        const values = report.draws.map((draw) => draw.recall[name]![k]!);
        const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
        const sd = Math.sqrt(
          values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1),
        );
        assert.ok(Math.abs(spread.mean - mean) < 1e-4, `${name} ${k} mean`);
        assert.ok(Math.abs(spread.sd - sd) < 1e-4, `${name} ${k} sd`);
        assert.equal(spread.min, Math.min(...values));
        assert.equal(spread.max, Math.max(...values));
      }
    }
  });

  it('refuses fewer than two seeds, or one seed twice, naming seeds', async () => {
    await assert.rejects(
      runCandidateEvalDraws({ dataDir: DATA, seeds: [42] }),
      /^.*seeds: give two seeds or more, not 1/,
    );
    await assert.rejects(
      runCandidateEvalDraws({ dataDir: DATA, seeds: [42, 1, 42] }),
      /seeds: seed 42 is given twice/,
    );
  });
});
