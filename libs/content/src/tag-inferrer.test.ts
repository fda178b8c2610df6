import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { contentFeatures } from './features.js';
import { TagInferrer } from './tag-inferrer.js';

const examples = [
  { text: 'my kitten chasing a laser pointer', tags: ['cat', 'cute'] },
  { text: 'the kitten fell asleep on my keyboard', tags: ['cat'] },
  { text: 'two kittens playing with yarn', tags: ['cat', 'cute'] },
  { text: 'sourdough loaf with a crispy crust', tags: ['baking', 'bread'] },
  { text: 'first attempt at sourdough starter', tags: ['baking'] },
  { text: 'rye bread loaf fresh from the oven', tags: ['bread', 'baking'] },
].map((e) => ({ features: contentFeatures(e.text, e.tags), tags: e.tags }));

describe('TagInferrer', () => {
  const inferrer = TagInferrer.train(examples, { neighbours: 3 });

  it('infers the tags of the nearest tagged posts, best first', () => {
    const inferred = inferrer.infer(contentFeatures('a sleepy kitten in the sun', []));
    assert.equal(inferred[0]!.tag, 'cat');
    assert.ok(inferred[0]!.score > 0.5);
    assert.ok(!inferred.some((t) => t.tag === 'bread'));
  });

  it('uses the tags a post already has as evidence and does not repeat them', () => {
    const inferred = inferrer.infer(contentFeatures('look at this', ['bread']), {
      exclude: ['bread'],
    });
    assert.deepEqual(
      inferred.map((t) => t.tag),
      ['baking'],
    );
  });

  it('infers nothing for a post that shares no feature with the training posts', () => {
    assert.deepEqual(inferrer.infer(contentFeatures('quantum chromodynamics', [])), []);
  });

  it('round-trips through JSON', () => {
    const copy = TagInferrer.fromJSON(JSON.parse(JSON.stringify(inferrer.toJSON())));
    const features = contentFeatures('crusty sourdough', []);
    assert.deepEqual(copy.infer(features), inferrer.infer(features));
  });
});
