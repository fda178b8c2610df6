import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { MinHasher, signatureSimilarity } from './minhash.js';
import { NearDuplicateIndex } from './near-duplicate-index.js';
import { shingles } from './text.js';

const original =
  'I finally finished restoring the old oak bookshelf my grandmother left me. Three weekends of ' +
  'sanding, two coats of linseed oil, and a lot of patience, but the grain looks amazing now and it ' +
  'holds every one of my poetry books. Next project is the matching reading chair.';
const repost =
  'I finally finished restoring the old oak bookshelf my grandmother left me!! Three weekends of ' +
  'sanding, two coats of linseed oil, and lots of patience, but the grain looks amazing now and it ' +
  'holds every one of my poetry books. Next project is the matching reading chair. https://spam.example';
const unrelated =
  'Our team won the regional robotics competition today after a nail-biting final round. The robot ' +
  'stacked twelve cubes in the last thirty seconds and the whole gym went wild. Pizza for everyone.';

describe('NearDuplicateIndex', () => {
  const hasher = new MinHasher();
  const sign = (text: string): number[] => hasher.signature(shingles(text));

  it('estimates Jaccard similarity from signatures', () => {
    assert.equal(signatureSimilarity(sign(original), sign(original)), 1);
    assert.ok(signatureSimilarity(sign(original), sign(repost)) > 0.6);
    assert.ok(signatureSimilarity(sign(original), sign(unrelated)) < 0.1);
  });

  it('finds a repost with small edits on another blog, and not an unrelated post', () => {
    const index = new NearDuplicateIndex();
    index.add('p1', 'crafty-blog', sign(original));
    index.add('p2', 'robot-blog', sign(unrelated));
    const found = index.findReposts('copycat-blog', sign(repost));
    assert.deepEqual(
      found.map((m) => [m.postId, m.blogId]),
      [['p1', 'crafty-blog']],
    );
    assert.ok(found[0]!.similarity > 0.6);
  });

  it('does not call a blog repeating itself a repost', () => {
    const index = new NearDuplicateIndex();
    index.add('p1', 'crafty-blog', sign(original));
    assert.deepEqual(index.findReposts('crafty-blog', sign(repost)), []);
    assert.equal(index.query(sign(repost)).length, 1);
  });

  it('forgets a removed post and re-adds idempotently', () => {
    const index = new NearDuplicateIndex();
    index.add('p1', 'a', sign(original));
    index.add('p1', 'a', sign(original));
    assert.equal(index.size, 1);
    assert.equal(index.remove('p1'), true);
    assert.deepEqual(index.query(sign(repost)), []);
  });

  it('rejects a signature of the wrong length, naming the field', () => {
    assert.throws(() => new NearDuplicateIndex().add('p', 'b', [1, 2, 3]), /signature/);
  });
});
