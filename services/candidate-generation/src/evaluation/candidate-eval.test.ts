import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
      /weights: unknown source "populr"/,
    );
    await assert.rejects(
      runCandidateEval({ dataDir: DATA, weights: { popular: -1 } }),
      /weights\.popular: must be a number at least 0, not -1/,
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
