import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { contentFeatures } from './features.js';
import { SpamSignalTracker } from './spam-signal-tracker.js';
import { TagInferrer } from './tag-inferrer.js';
import { TagVocabulary } from './tag-vocabulary.js';
import { understandPost } from './understand-post.js';

const post = {
  text: 'Just pulled my first sourdough loaf out of the oven and the crust is perfect. Baking is my new favourite hobby.',
  tags: ['#Sourdough', 'bread', 'Breads'],
  blogId: 'b1',
  createdAtMs: 1_700_000_000_000,
};

describe('understandPost', () => {
  it('finds language, canonical tags and keywords without any trained model', () => {
    const understood = understandPost(post, {}, { keywordLimit: 30 });
    assert.equal(understood.language, 'eng');
    assert.deepEqual(understood.tags, ['sourdough', 'bread']);
    assert.ok(understood.keywords.some((k) => k.term === 'sourdough'));
    assert.equal(understood.vector, undefined);
    assert.deepEqual(understood.inferredTags, []);
    assert.equal(understood.minhash.length, 128);
    assert.equal(understood.signals.redundantTags, 1);
    assert.equal(understood.spamScore, 0);
  });

  it('keeps a post’s emoji tags, which are neither dropped nor counted redundant', () => {
    const understood = understandPost({ ...post, tags: ['🌸', '✨', 'Spring'] });
    assert.deepEqual(understood.tags, ['🌸', '✨', 'spring']);
    assert.equal(understood.signals.redundantTags, 0);
  });

  it('reads a text that came with HTML entities as the plain text it stands for', () => {
    const text =
      'Tom &amp; Jerry&#39;s &quot;caf&eacute;&quot; cartoon&nbsp;marathon &mdash; Tom &amp; Jerry all night';
    const understood = understandPost({ ...post, text }, {}, { keywordLimit: 30 });
    const keywords = understood.keywords.map((k) => k.term);
    for (const entityName of ['amp', 'quot', 'eacut', 'nbsp', 'mdash', '39'])
      assert.ok(!keywords.includes(entityName), `no keyword "${entityName}" in ${keywords}`);
    assert.ok(understood.keywords.some((k) => k.word === 'café'));
    // tom, jerrys, café, cartoon, marathon, tom, jerry, all, night
    assert.equal(understood.signals.wordCount, 9);
  });

  it('maps learned synonyms and infers tags for a post with too few', () => {
    const vocabulary = TagVocabulary.train([
      ...Array.from({ length: 4 }, () => ['baking', 'bread']),
      ...Array.from({ length: 3 }, () => ['bakeing', 'bread']),
      ['bread', 'toast'],
    ]);
    const inferrer = TagInferrer.train([
      { features: contentFeatures('sourdough loaf crust', ['baking']), tags: ['baking', 'bread'] },
      { features: contentFeatures('guitar riff', ['music']), tags: ['music'] },
    ]);
    const understood = understandPost(
      { ...post, tags: ['bakeing'] },
      { vocabulary, tagInferrer: inferrer },
    );
    assert.deepEqual(understood.tags, ['baking']);
    assert.deepEqual(
      understood.inferredTags.map((t) => t.tag),
      ['bread'],
    );
  });

  it('scores link spam and tag stuffing', () => {
    const links = understandPost({
      ...post,
      text: 'cheap pills https://a.example https://b.example https://c.example https://d.example https://e.example https://f.example',
      tags: [],
    });
    assert.equal(links.signals.linkCount, 6);
    assert.ok(links.spamScore >= 0.9);
    const stuffed = understandPost({
      ...post,
      tags: Array.from({ length: 40 }, (_, i) => `tag${i}`),
    });
    assert.ok(stuffed.signals.tagStuffing > 0.9);
    assert.ok(stuffed.spamScore > 0.9);
  });
});

describe('SpamSignalTracker', () => {
  it('flags the same text reposted by another blog, and a blog posting in a burst', () => {
    const tracker = new SpamSignalTracker({ burst: { windowMs: 60_000, maxPostsPerWindow: 2 } });
    const first = tracker.observe(
      { postId: 'p1', blogId: 'b1', createdAtMs: 0 },
      understandPost(post),
    );
    assert.deepEqual(first.reposts, []);
    assert.equal(first.spamScore, 0);
    const copy = understandPost({ ...post, blogId: 'b2' });
    const repost = tracker.observe({ postId: 'p2', blogId: 'b2', createdAtMs: 1 }, copy);
    assert.deepEqual(
      repost.reposts.map((r) => r.postId),
      ['p1'],
    );
    assert.equal(repost.spamScore, 1);
    let last = first;
    for (let i = 0; i < 4; i++) {
      last = tracker.observe(
        { postId: `q${i}`, blogId: 'b3', createdAtMs: i },
        understandPost({ ...post, text: `post number ${i}` }),
      );
    }
    assert.equal(last.burst.bursting, true);
    assert.ok(last.spamScore > 0.9);
  });
});
