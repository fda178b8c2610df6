import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { ContentEncoder, denseDot } from './content-encoder.js';
import { contentFeatures } from './features.js';
import { symmetricEigen } from './linear-algebra.js';

const corpus = [
  ['kitten purring on the sofa', ['cat']],
  ['kitten and yarn', ['cat', 'cute']],
  ['my cat knocked a glass off the table', ['cat']],
  ['purring kitten asleep', ['cat', 'cute']],
  ['sofa nap with the kitten', ['cat']],
  ['sourdough loaf and crust', ['baking']],
  ['oven fresh sourdough', ['baking', 'bread']],
  ['rye loaf from the oven', ['bread']],
  ['crust of a rye loaf', ['baking', 'bread']],
  ['oven temperature for sourdough', ['baking']],
  ['guitar riff and amp', ['music']],
  ['new amp for my guitar', ['music']],
  ['guitar chords for a riff', ['music', 'guitar']],
  ['drum and guitar jam', ['music']],
] as const;
const documents = corpus.map(([text, tags]) => contentFeatures(text, tags));

describe('ContentEncoder', () => {
  const encoder = ContentEncoder.train(documents, { dim: 4, seed: 1 });

  it('places posts about one topic nearer each other than posts about another', () => {
    const kitten = encoder.encode(contentFeatures('a purring kitten', []));
    const cat = encoder.encode(contentFeatures('', ['cat']));
    const bread = encoder.encode(contentFeatures('rye sourdough loaf', []));
    assert.ok(denseDot(kitten, cat) > denseDot(kitten, bread) + 0.3);
  });

  it('gives unit vectors, and zeros for a post with no known feature', () => {
    const v = encoder.encode(contentFeatures('guitar riff', []));
    assert.ok(Math.abs(denseDot(v, v) - 1) < 1e-5);
    assert.deepEqual([...encoder.encode(['never-seen'])], [0, 0, 0, 0]);
  });

  it('round-trips through JSON and encodes the same', () => {
    const copy = ContentEncoder.fromJSON(JSON.parse(JSON.stringify(encoder.toJSON())));
    const features = contentFeatures('oven loaf', ['baking']);
    assert.deepEqual([...copy.encode(features)], [...encoder.encode(features)]);
    assert.equal(copy.vocabularySize, encoder.vocabularySize);
  });

  it('refuses an artifact of another format', () => {
    assert.throws(
      () => ContentEncoder.fromJSON({ ...encoder.toJSON(), format: 'x' as never }),
      /format/,
    );
  });

  it('decomposes a symmetric matrix into descending eigenvalues', () => {
    const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
    assert.ok(Math.abs(values[0]! - 3) < 1e-9 && Math.abs(values[1]! - 1) < 1e-9);
    assert.ok(Math.abs(Math.abs(vectors[0]!) - Math.SQRT1_2) < 1e-9);
  });
});
