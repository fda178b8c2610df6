import assert from 'node:assert/strict';
import {
  createdBefore,
  creationOutcome,
  decodeCreation,
  decodeMeta,
  encodeMeta,
  PostMetaCache,
} from './post-meta.js';

const meta = (blogId: string, ...tags: string[]) => ({ blogId, tags, reblogOf: '' });

describe('post metas', () => {
  it('round-trips a meta through its stored form, and refuses anything else', () => {
    const original = { blogId: 'b1', tags: ['art', 'ü'], reblogOf: 'p0' };
    assert.deepEqual(decodeMeta(encodeMeta(original)), original);
    for (const raw of ['', '{}', '["b1"]', '[1, "", []]', 'not json']) {
      assert.equal(decodeMeta(raw), undefined, raw);
    }
  });

  it('keeps the creator with the meta, and reads a meta stored without one', () => {
    const original = { blogId: 'b1', tags: ['art'], reblogOf: '' };
    const creator = { atMs: 1_700_000_000_123, eventId: 'e-1' };
    assert.deepEqual(decodeCreation(encodeMeta(original, creator)), { meta: original, creator });
    assert.deepEqual(decodeMeta(encodeMeta(original, creator)), original);
    assert.deepEqual(decodeCreation(encodeMeta(original)), { meta: original, creator: undefined });
    assert.equal(decodeCreation('["b1", "", [], "soon", "e1"]'), undefined);
  });

  it('lets the earliest PostCreated win: by time, then by the bytes of the event id', () => {
    const at = (atMs: number, eventId: string) => ({ atMs, eventId });
    assert.ok(createdBefore(at(1, 'z'), at(2, 'a')));
    assert.ok(createdBefore(at(1, 'B'), at(1, 'a')), "'B' is 0x42, 'a' 0x61");
    assert.ok(createdBefore(at(1, 'a'), at(1, 'a1')));
    assert.ok(!createdBefore(at(1, 'a'), at(1, 'a')));
    const stored = { meta: meta('b1'), creator: at(5, 'm') };
    assert.equal(creationOutcome(undefined, at(9, 'z')), 'create');
    assert.equal(creationOutcome(stored, at(4, 'z')), 'replace');
    assert.equal(creationOutcome(stored, at(5, 'm')), 'same');
    assert.equal(creationOutcome(stored, at(5, 'n')), 'keep');
    assert.equal(creationOutcome(stored, undefined), 'keep');
    assert.equal(creationOutcome({ meta: meta('b1'), creator: undefined }, at(1, 'a')), 'keep');
  });

  it('replaces a cached meta when told to, and forgets them all when cleared', () => {
    const cache = new PostMetaCache(10);
    cache.set('p1', meta('b1', 'art'));
    cache.replace('p1', meta('b2', 'dogs'));
    assert.deepEqual(cache.get('p1'), meta('b2', 'dogs'));
    cache.clear();
    assert.equal(cache.get('p1'), undefined);
  });

  it('numbers each blog and tag once, shared by the posts that name them', () => {
    const cache = new PostMetaCache(10);
    const a = cache.set('p1', meta('b1', 'art', 'cats'));
    const b = cache.set('p2', meta('b1', 'cats'));
    const { pool, tags } = cache.current;
    assert.equal(pool[a + 1], pool[b + 1], 'one blog, one number');
    assert.deepEqual([pool[a + 2], pool[b + 2]], [2, 1]);
    assert.equal(pool[a + 4], pool[b + 3], 'one tag, one number');
    assert.equal(tags.ids[pool[a + 3]!], 'art');
    assert.equal(cache.set('p1', meta('b9')), a, 'a meta never changes once cached');
    assert.deepEqual(cache.get('p1'), meta('b1', 'art', 'cats'));
  });

  it('starts a new generation when full, or when its numbering outgrows its posts', () => {
    const cache = new PostMetaCache(2);
    cache.set('p1', meta('b1'));
    cache.set('p2', meta('b1'));
    const first = cache.current;
    cache.set('p3', meta('b1'));
    assert.notEqual(cache.current, first);
    assert.deepEqual(
      ['p1', 'p2', 'p3'].map((postId) => cache.get(postId) !== undefined),
      [false, false, true],
    );
    // One post kept at a time, but tags keep coming: the numbering must not grow without bound.
    const small = new PostMetaCache(1);
    for (let i = 0; i < 20; i++) small.set(`q${i}`, meta(`b${i}`, `x${i}`, `y${i}`));
    assert.ok(small.current.numbered <= 8);
  });

  it('keeps nothing with a capacity of 0', () => {
    const cache = new PostMetaCache(0);
    assert.equal(cache.set('p1', meta('b1')), -1);
    assert.equal(cache.get('p1'), undefined);
  });
});
