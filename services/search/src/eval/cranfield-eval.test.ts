import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCranfieldEval } from './cranfield-eval.js';

/** ../shared/data/cranfield from the repository root, as CI lays it out too. */
const CRANFIELD = fileURLToPath(new URL('../../../../../shared/data/cranfield', import.meta.url));

describe('Cranfield evaluation', () => {
  it('beats Xapian BM25 on MAP and writes a run of at most 1,000 lines a query', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cranfield-'));
    try {
      const runPath = join(dir, 'run.tsv');
      const report = await runCranfieldEval({ dir: CRANFIELD, runPath });
      assert.equal(report.documents, 1_400);
      assert.equal(report.queries, 225);
      assert.equal(report.judgedQueries, 225, 'every Cranfield query has judgments');
      assert.ok(report.map >= 0.3, `MAP ${report.map}`);
      const lines = (await readFile(runPath, 'utf8')).trimEnd().split('\n');
      const perQuery = new Map<string, number>();
      for (const line of lines) {
        assert.match(line, /^\d+\t\d+$/);
        const query = line.split('\t')[0] ?? '';
        perQuery.set(query, (perQuery.get(query) ?? 0) + 1);
      }
      assert.equal(perQuery.size, 225);
      assert.ok([...perQuery.values()].every((n) => n <= 1_000));
      assert.deepEqual([...perQuery.keys()].slice(0, 3), ['1', '2', '3']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the path that cannot be read or written, before evaluating', async () => {
    await assert.rejects(
      runCranfieldEval({ dir: '/nonexistent' }),
      /^InvalidArgumentError: cranfield: cannot read the collection in \/nonexistent: ENOENT/,
    );
    await assert.rejects(
      runCranfieldEval({ dir: '/nonexistent', runPath: '/nonexistent/run.tsv' }),
      /^InvalidArgumentError: run: cannot write \/nonexistent\/run.tsv: ENOENT/,
    );
  });
});
