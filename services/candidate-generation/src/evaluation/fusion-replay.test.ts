import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCandidateEval } from './candidate-eval.js';
import { replayFusion, tuneFusion } from './fusion-replay.js';
import { parseSourceWeights } from './union-weights.js';

/** ../shared/data from the repository root (dist/evaluation is four levels below it). */
const DATA = fileURLToPath(new URL('../../../../../shared/data/ml-latest-small/', import.meta.url));

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fusion-replay-test-'));
  after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A lists file of the given users, one JSON object a line. */
async function listsFile(lines: readonly unknown[]): Promise<string> {
  const path = join(await tempDir(), 'lists.jsonl');
  await writeFile(path, lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
  return path;
}

describe('replayFusion', () => {
  describe('on the lists of a real evaluation (ml-latest-small, first 20 users)', function () {
    let listsPath: string;
    let union: Readonly<Record<string, number>>;

    before(async function () {
      if (!existsSync(join(DATA, 'ratings.csv'))) {
        console.warn(`    skipped: no ml-latest-small at ${DATA}`);
        this.skip();
      }
      this.timeout(300_000);
      listsPath = join(await tempDir(), 'lists.jsonl');
      const report = await runCandidateEval({
        dataDir: DATA,
        seed: 42,
        ks: [100, 500],
        users: 20,
        listsPath,
        embeddings: { factors: 8, iterations: 2 },
        neighbours: { maxItems: 300 },
      });
      union = report.recall['union']!;
    });

    it("gives the evaluation's union again with the service's weights", async () => {
      const replay = await replayFusion({ listsPath, ks: [100, 500] });
      assert.equal(replay.users, 20);
      assert.equal(replay.depth, 500);
      assert.equal(replay.rrfK, 60);
      assert.deepEqual(replay.recall, union);
      assert.ok(replay.sources.includes('session') && replay.sources.includes('popular'));
      assert.equal(replay.weights['session'], 1.5, 'the SURFACE_FOR_YOU weight');
    });

    it('fuses under other weights and another constant', async () => {
      const popularOnly = await replayFusion({
        listsPath,
        ks: [100, 500],
        weights: { session: 0, 'co-engagement': 0, embeddings: 0, related: 0, tags: 0 },
      });
      assert.ok(
        popularOnly.recall['@100']! < union['@100']!,
        `popular alone ${popularOnly.recall['@100']} against the union ${union['@100']}`,
      );
      const flat = await replayFusion({ listsPath, ks: [100], rrfK: 1_000 });
      assert.equal(flat.rrfK, 1_000);
      assert.notEqual(flat.recall['@100'], union['@100'], 'the constant reaches the fusion');
    });

    it('refuses a K deeper than the lists', async () => {
      await assert.rejects(
        replayFusion({ listsPath, ks: [1_000] }),
        /ks: 1000 is deeper than the lists .* \(at most 500 a source\)/,
      );
    });
  });

  it('weighs a post several sources agree on above one a single source proposed', async () => {
    const listsPath = await listsFile([
      {
        userId: 'u1',
        lists: { session: ['a', 'b', 'c'], related: ['c', 'd', 'e'] },
        relevant: ['c'],
      },
    ]);
    const replay = await replayFusion({ listsPath, ks: [1, 3] });
    assert.deepEqual(replay.recall, { '@1': 1, '@3': 1 });
    // Session alone: c is third.
    const sessionOnly = await replayFusion({ listsPath, ks: [1, 3], weights: { related: 0 } });
    assert.deepEqual(sessionOnly.recall, { '@1': 0, '@3': 1 });
  });

  it('names the line and the field of a malformed lists file', async () => {
    const good = { userId: 'u1', lists: { session: ['a'] }, relevant: ['a'] };
    const cases: [unknown, RegExp][] = [
      [{ ...good, relevant: [] }, /lists line 2\.relevant: must be a non-empty array/],
      [{ ...good, userId: 7 }, /lists line 2\.userId: must be a non-empty string/],
      [{ ...good, lists: { sesion: ['a'] } }, /lists line 2\.lists\.sesion: is not a source/],
      [{ ...good, lists: { session: [1] } }, /lists line 2\.lists\.session: must be an array/],
      [[1, 2], /lists line 2: must be an object/],
    ];
    for (const [line, error] of cases) {
      const listsPath = await listsFile([good, line]);
      await assert.rejects(replayFusion({ listsPath, ks: [1] }), error);
    }
    const notJson = join(await tempDir(), 'lists.jsonl');
    await writeFile(notJson, `${JSON.stringify(good)}\n{"userId":\n`);
    await assert.rejects(
      replayFusion({ listsPath: notJson, ks: [1] }),
      /lists line 2: is not JSON/,
    );
    await assert.rejects(
      replayFusion({ listsPath: join(await tempDir(), 'missing.jsonl') }),
      /lists: cannot read .*missing\.jsonl \(ENOENT\)/,
    );
  });

  it('refuses weights of unknown sources, negative weights and bad cut-offs', async () => {
    const listsPath = await listsFile([
      { userId: 'u1', lists: { session: ['a'] }, relevant: ['a'] },
    ]);
    await assert.rejects(
      replayFusion({ listsPath, ks: [1], weights: { sesion: 1 } }),
      /weights\.sesion: not a source; the sources are following, tags/,
    );
    await assert.rejects(
      replayFusion({ listsPath, ks: [1], weights: { session: -1 } }),
      /weights\.session: must be a number ≥ 0, not -1/,
    );
    await assert.rejects(replayFusion({ listsPath, ks: [0] }), /ks: must be positive integers/);
    await assert.rejects(replayFusion({ listsPath, ks: [1], rrfK: -1 }), /rrf_k: must be a number/);
  });
});

describe('tuneFusion', () => {
  /** Twenty users whose session lists hold nothing they rated and whose related lists lead with it. */
  const skewed = () =>
    listsFile(
      Array.from({ length: 20 }, (_, u) => ({
        userId: `u${u}`,
        lists: {
          following: [],
          session: Array.from({ length: 10 }, (_, i) => `s${u}-${i}`),
          related: Array.from({ length: 10 }, (_, i) => `r${u}-${i}`),
        },
        relevant: [`r${u}-0`, `r${u}-1`, `r${u}-2`],
      })),
    );

  it('finds weights that beat the service on users it did not tune on, and says so', async () => {
    const report = await tuneFusion({ listsPath: await skewed(), ks: [3, 10] });
    assert.equal(report.objective, 10, 'the largest cut-off by default');
    assert.deepEqual(
      report.serviceWeights,
      { session: 1.5, related: 1 },
      'empty lists are not searched',
    );
    assert.deepEqual(
      report.folds.map((fold) => [fold.tunedOn, fold.heldOut]),
      [
        [10, 10],
        [10, 10],
      ],
    );
    // Session at 1.5 puts its tenth (1.5 / 70) above related's first (1 / 61).
    assert.deepEqual(report.recall.service, { '@3': 0, '@10': 0 });
    assert.deepEqual(report.recall.tuned, { '@3': 1, '@10': 1 });
    for (const fold of report.folds) {
      assert.ok(
        fold.weights['related']! > fold.weights['session']!,
        `related above session: ${JSON.stringify(fold.weights)}`,
      );
    }
  });

  it('refuses an objective that is not a cut-off, a bad grid, and a single user', async () => {
    const listsPath = await skewed();
    await assert.rejects(
      tuneFusion({ listsPath, ks: [3], objective: 5 }),
      /objective: must be one of the ks \(3\)/,
    );
    await assert.rejects(tuneFusion({ listsPath, ks: [3], grid: [] }), /grid: must be numbers ≥ 0/);
    await assert.rejects(
      tuneFusion({ listsPath, ks: [3], rounds: 0 }),
      /rounds: must be an integer/,
    );
    const one = await listsFile([{ userId: 'u', lists: { session: ['a'] }, relevant: ['a'] }]);
    await assert.rejects(tuneFusion({ listsPath: one, ks: [1] }), /lists: tuning needs two users/);
  });
});

describe('parseSourceWeights', () => {
  it('reads source=weight pairs', () => {
    assert.deepEqual(parseSourceWeights('session=2, popular=0.2'), { session: 2, popular: 0.2 });
  });

  it('names what is wrong', () => {
    assert.throws(
      () => parseSourceWeights('session'),
      /weights: expected source=weight, not "session"/,
    );
    assert.throws(
      () => parseSourceWeights('session=x'),
      /weights\.session: must be a number ≥ 0, not NaN/,
    );
    assert.throws(() => parseSourceWeights('nope=1'), /weights\.nope: not a source/);
  });
});
