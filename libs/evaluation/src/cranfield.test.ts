import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CRANFIELD_FILES,
  formatCranfieldRun,
  loadCranfield,
  parseCranfieldDocuments,
  parseCranfieldJudgments,
  parseCranfieldQueries,
  scoreCranfieldRun,
} from './cranfield.js';

const DOCUMENTS = `.I 1
.T
experimental investigation of the aerodynamics of a
wing in a slipstream .
.A
brenckman,m.
.B
j. ae. scs. 25, 1958, 324.
.W
experimental investigation of the aerodynamics of a
wing in a slipstream .
.I 2
.T
simple shear flow past a flat plate .
.A
ting-yili
.B
rensselaer
.W
`;

const QUERIES = `.I 001
.W
what similarity laws must be obeyed when constructing aeroelastic models
of heated high speed aircraft .
.I 004
.W
what problems of heat conduction in composite slabs have been solved so
far .
`;

describe('Cranfield', () => {
  it('parses documents field by field, an empty abstract included', () => {
    const docs = parseCranfieldDocuments(DOCUMENTS);
    assert.equal(docs.length, 2);
    assert.deepEqual(docs[0], {
      id: '1',
      title: 'experimental investigation of the aerodynamics of a\nwing in a slipstream .',
      authors: 'brenckman,m.',
      bibliography: 'j. ae. scs. 25, 1958, 324.',
      abstract: 'experimental investigation of the aerodynamics of a\nwing in a slipstream .',
    });
    assert.equal(docs[1]?.abstract, '');
  });

  it('numbers queries by their place in the file, not by their .I', () => {
    const queries = parseCranfieldQueries(QUERIES);
    assert.deepEqual(
      queries.map((q) => [q.number, q.id]),
      [
        [1, '001'],
        [2, '004'],
      ],
    );
    assert.match(queries[1]?.text ?? '', /^what problems of heat conduction/);
  });

  it('reads judgments with trailing spaces and refuses unknown codes', () => {
    const judgments = parseCranfieldJudgments('1 184 2 \n1 29 -1 \n2 12 4');
    assert.deepEqual(
      [...(judgments.get(1) ?? [])],
      [
        ['184', 2],
        ['29', -1],
      ],
    );
    assert.throws(() => parseCranfieldJudgments('1 2 5'), /line 1: code must be 1-4 or -1/);
    assert.throws(() => parseCranfieldJudgments('1 2'), /line 1: expected/);
  });

  it('scores MAP, P@10 and graded nDCG@10 with gains 2^(5 - code) - 1, -1 not relevant', () => {
    const judgments = parseCranfieldJudgments('1 11 1\n1 12 4\n1 13 -1\n2 26 2');
    const run = new Map([[1, ['13', '12', '99', '11']]]);
    const scores = scoreCranfieldRun(run, judgments);
    assert.equal(scores.queries, 2, 'a judged query without a run line counts as 0');
    const ap1 = (1 / 2 + 2 / 4) / 2;
    assert.ok(Math.abs(scores.map - ap1 / 2) < 1e-12);
    assert.ok(Math.abs(scores.precisionAt10 - 2 / 10 / 2) < 1e-12);
    const dcg = 1 / Math.log2(3) + 15 / Math.log2(5);
    const ideal = 15 + 1 / Math.log2(3);
    assert.ok(Math.abs(scores.ndcgAt10 - dcg / ideal / 2) < 1e-12);
    assert.equal(formatCranfieldRun(run), '1\t13\n1\t12\n1\t99\n1\t11\n');
  });

  it('refuses a folder whose judgments file holds none, rather than scoring nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cranfield-empty-'));
    try {
      await writeFile(join(dir, CRANFIELD_FILES.documents), DOCUMENTS);
      await writeFile(join(dir, CRANFIELD_FILES.queries), QUERIES);
      await writeFile(join(dir, CRANFIELD_FILES.judgments), '\n');
      await assert.rejects(loadCranfield(dir), /cranqrel: no judgments in it/);
      await writeFile(join(dir, CRANFIELD_FILES.judgments), '1 1 2\n');
      const collection = await loadCranfield(dir);
      assert.ok(collection.judgments.size > 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
