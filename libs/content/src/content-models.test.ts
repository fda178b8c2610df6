import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import {
  ContentScorer,
  decodeContentModels,
  encodeContentModels,
  engagementPriorZ,
  trainContentModels,
} from './content-models.js';
import { contentFeatures } from './features.js';
import { buildInterestProfile } from './interest-profile.js';
import { understandPost } from './understand-post.js';

const topics = {
  cats: ['kitten', 'purring', 'whiskers', 'litter', 'catnip'],
  baking: ['sourdough', 'oven', 'crust', 'flour', 'loaf'],
  guitar: ['riff', 'amp', 'chords', 'strings', 'pedal'],
};
const posts = Object.entries(topics).flatMap(([tag, words]) =>
  words.flatMap((a, i) =>
    words
      .slice(i + 1)
      .map((b, j) => ({ postId: `${tag}-${i}-${j}`, text: `${a} and ${b}`, tags: [tag] })),
  ),
);
const engagements = posts.flatMap((post, i) => [
  { userId: `fan-of-${post.tags[0]}`, postId: post.postId, atMs: i },
  ...(post.tags[0] === 'cats' ? [{ userId: 'everyone', postId: post.postId, atMs: i }] : []),
]);

describe('trainContentModels', () => {
  const models = trainContentModels(posts, engagements, {
    encoder: { dim: 4, seed: 3 },
    trainedAtMs: 1,
  });

  it('trains every model from posts and engagements', () => {
    assert.equal(models.encoder.dim, 4);
    assert.equal(models.tagInferrer.exampleCount, posts.length);
    assert.ok(models.documentFrequencies.documents === posts.length);
    assert.ok(
      engagementPriorZ(models, contentFeatures('', ['cats'])) >
        engagementPriorZ(models, contentFeatures('', ['guitar'])),
    );
  });

  it('ranks an unseen post on the user\u2019s topic first, by content alone', () => {
    const engaged = posts
      .filter((p) => p.tags[0] === 'baking')
      .map((p) => ({
        vector: models.encoder.encode(contentFeatures(p.text, p.tags)),
        tags: p.tags,
        weight: 1,
      }));
    const profile = buildInterestProfile(engaged, { dim: 4 });
    assert.deepEqual(profile.interests, [{ tag: 'baking', weight: 1 }]);
    const scorer = new ContentScorer(profile.vector, models);
    const fresh = ['a crusty loaf', 'new amp and pedal', 'catnip for the kitten'].map((text) => {
      const understood = understandPost({ text, tags: [], blogId: 'new', createdAtMs: 0 }, models);
      const features = contentFeatures(
        text,
        understood.inferredTags.map((t) => t.tag),
      );
      return { text, score: scorer.score(understood.vector!, engagementPriorZ(models, features)) };
    });
    assert.equal(fresh.sort((a, b) => b.score - a.score)[0]!.text, 'a crusty loaf');
  });

  it('round-trips through JSON', () => {
    const copy = decodeContentModels(JSON.parse(JSON.stringify(encodeContentModels(models))));
    const post = { text: 'sourdough crust', tags: ['Baking'], blogId: 'b', createdAtMs: 0 };
    const a = understandPost(post, models);
    const b = understandPost(post, copy);
    assert.deepEqual([...b.vector!], [...a.vector!]);
    assert.deepEqual(b.tags, a.tags);
    assert.equal(copy.trainedAtMs, 1);
  });
});
