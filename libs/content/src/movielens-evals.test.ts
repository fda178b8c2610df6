import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'mocha';
import { coldStartEval } from './cold-start-eval.js';
import {
  parseMovieTags,
  readMovieLensContent,
  splitTitle,
  type MovieLensContent,
} from './movielens-content.js';
import { tagInferenceEval } from './tag-inference-eval.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const dataDir = resolve(repoRoot, '../shared/data/ml-latest-small');

describe('MovieLens content', () => {
  it('parses tags.csv with quoted tags and splits a title from its year', () => {
    const tags = parseMovieTags(
      'userId,movieId,tag,timestamp\n2,60756,funny,1\n3,1,"dark, gritty",2\n',
    );
    assert.deepEqual(
      tags.map((t) => t.tag),
      ['funny', 'dark, gritty'],
    );
    assert.deepEqual(splitTitle('Toy Story (1995)'), { name: 'Toy Story', year: 1995 });
    assert.deepEqual(splitTitle('Untitled'), { name: 'Untitled', year: undefined });
  });
});

describe('MovieLens content evaluations', function () {
  let data: MovieLensContent | undefined;
  before(async function () {
    if (!existsSync(resolve(dataDir, 'tags.csv'))) {
      console.log(`    (skipped: ${dataDir} is absent)`);
      this.skip();
    }
    data = await readMovieLensContent(dataDir);
  });

  it('recommends held-out movies by content far above the random and top-genre baselines', function () {
    this.timeout(180_000);
    const report = coldStartEval(data!, { seed: 42 });
    assert.equal(report.heldOutMovies, 974);
    assert.ok(report.methods.random.recallAtK > 0.05 && report.methods.random.recallAtK < 0.16);
    assert.ok(report.methods.content.recallAtK > 2 * report.methods.mostPopularGenre.recallAtK);
  });

  it('infers held-out movie tags better than the most frequent tags', function () {
    this.timeout(60_000);
    const report = tagInferenceEval(data!, { seed: 42 });
    assert.ok(
      report.methods.content.precisionAtK > 1.5 * report.methods.mostFrequentTags.precisionAtK,
    );
    assert.ok(report.methods.content.precisionAtK <= report.precisionCeiling);
  });
});
