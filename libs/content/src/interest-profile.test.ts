import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { EngagementPrior } from './engagement-prior.js';
import { buildInterestProfile } from './interest-profile.js';

describe('buildInterestProfile', () => {
  it('sums engaged posts by weight into a unit vector', () => {
    const profile = buildInterestProfile(
      [
        { vector: [1, 0], tags: ['cat'], weight: 2 },
        { vector: [0, 1], tags: ['bread'], weight: 1 },
        { vector: [0, 1], tags: ['bread'], weight: -1 },
      ],
      { dim: 2 },
    );
    assert.deepEqual([...profile.vector], [1, 0]);
    assert.equal(profile.engagedPosts, 3);
  });

  it('names interests by tag with weights that sum to one, specific tags before common ones', () => {
    const popularity = new Map([
      ['cat', 100],
      ['maine coon', 4],
    ]);
    const profile = buildInterestProfile(
      [
        { vector: [1], tags: ['cat', 'maine coon'], weight: 1 },
        { vector: [1], tags: ['cat'], weight: 1 },
      ],
      { dim: 1, tagPopularity: (tag) => popularity.get(tag) ?? 1 },
    );
    assert.deepEqual(
      profile.interests.map((i) => i.tag),
      ['maine coon', 'cat'],
    );
    assert.ok(Math.abs(profile.interests.reduce((s, i) => s + i.weight, 0) - 1) < 1e-9);
  });

  it('is empty without engagement', () => {
    const profile = buildInterestProfile([], { dim: 3 });
    assert.deepEqual([...profile.vector], [0, 0, 0]);
    assert.deepEqual(profile.interests, []);
  });
});

describe('EngagementPrior', () => {
  it('learns which content features draw engagement', () => {
    const examples = [
      ...Array.from({ length: 10 }, () => ({ features: ['#popular', 'word'], engagement: 5 })),
      ...Array.from({ length: 10 }, () => ({ features: ['#niche', 'word'], engagement: 1 })),
    ];
    const prior = EngagementPrior.train(examples, { lambda: 1 });
    assert.ok(prior.predict(['#popular']) > prior.predict(['#niche']) + 3);
    assert.equal(prior.topFeatures(1)[0]!.feature, '#popular');
    const copy = EngagementPrior.fromJSON(JSON.parse(JSON.stringify(prior.toJSON())));
    assert.equal(copy.predict(['#niche']), prior.predict(['#niche']));
  });
});
