import assert from 'node:assert/strict';
import { ContentIndex, DEFAULT_CONTENT_INDEX_SETTINGS } from './content-index.js';

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.UTC(2025, 5, 1);

function post(text: string, tags: string[] = [], createdAtMs = T0) {
  return { text, tags, blogId: 'b', createdAtMs };
}

const everything = { limit: 10, createdAfterMs: 0, queryTerms: 20, postsPerQueryTerm: 100 };

describe('ContentIndex', () => {
  it('indexes a post by its keywords and the words of its tags', () => {
    const index = new ContentIndex();
    index.postCreated('p', post('Knitting a scarf with merino wool.', ['Fiber Arts']));
    const terms = index.termsOf('p').map((t) => t.term);
    for (const term of ['knit', 'scarf', 'merino', 'wool', 'fiber', 'art']) {
      assert.ok(terms.includes(term), `${term} in ${terms.join(',')}`);
    }
    const norm = Math.hypot(...index.termsOf('p').map((t) => t.weight));
    assert.ok(Math.abs(norm - 1) < 1e-9);
  });

  it('learns interests from engaged posts and matches by shared terms', () => {
    const index = new ContentIndex();
    index.postCreated('wool', post('Merino wool scarf, hand knitting pattern.'));
    index.postCreated('new-wool', post('A knitting pattern for a wool hat.'));
    index.postCreated('cars', post('Rebuilt the engine of an old sports car.'));
    index.engaged('u', 'wool', 1, T0 + DAY);
    const matches = index.match('u', { ...everything, skip: (id) => id === 'wool' });
    assert.deepEqual(
      matches.map((m) => m.postId),
      ['new-wool'],
    );
    assert.ok(['wool', 'knitting', 'pattern'].includes(matches[0]!.about), matches[0]!.about);
  });

  it('fills the limit past skipped and deleted posts, asking only of the best-ranked', () => {
    const index = new ContentIndex();
    index.postCreated('seed', post('Merino wool scarf, hand knitting pattern.'));
    const ids = ['a', 'b', 'c', 'd', 'e'];
    // Older posts rank lower (rank: newer first), so a is best and e worst.
    ids.forEach((id, i) =>
      index.postCreated(id, post(`Merino wool scarf knitting pattern ${id}.`, [], T0 - i * DAY)),
    );
    index.postDeleted('b');
    index.engaged('u', 'seed', 1, T0 + DAY);
    const asked: string[] = [];
    const matches = index.match('u', {
      ...everything,
      limit: 2,
      skip: (id) => {
        asked.push(id);
        return id === 'seed' || id === 'a';
      },
      rank: (similarity, createdAtMs) => createdAtMs + similarity,
    });
    assert.deepEqual(
      matches.map((m) => m.postId),
      ['c', 'd'],
    );
    // The seed ranks first (newest); b is deleted, so never asked; e is past the limit.
    assert.deepEqual(asked, ['seed', 'a', 'c', 'd']);
  });

  it('counts an engagement that arrived before its post once the post arrives', () => {
    const index = new ContentIndex();
    index.engaged('u', 'wool', 1, T0 + DAY);
    assert.deepEqual(index.interests('u', 5), []);
    index.postCreated('wool', post('Merino wool yarn.'));
    const terms = index.interests('u', 5).map((i) => i.term);
    assert.ok(terms.includes('wool'), terms.join(','));
  });

  it('lets an old interest fade behind a recent one, whatever order engagements arrive in', () => {
    for (const order of ['in order', 'reversed']) {
      const index = new ContentIndex();
      index.postCreated('wool', post('Merino wool yarn.'));
      index.postCreated('cars', post('Sports car engine.'));
      const old = () => index.engaged('u', 'wool', 1, T0);
      const recent = () => index.engaged('u', 'cars', 1, T0 + 60 * DAY);
      if (order === 'in order') [old, recent].forEach((f) => f());
      else [recent, old].forEach((f) => f());
      const top = index.interests('u', 1)[0]!.term;
      assert.ok(['sport', 'car', 'engin'].includes(top), `${order}: ${top}`);
    }
  });

  it('keeps at most maxPosts posts, dropping the oldest', () => {
    const index = new ContentIndex({ ...DEFAULT_CONTENT_INDEX_SETTINGS, maxPosts: 2 });
    index.postCreated('a', post('Wool scarf.'));
    index.postCreated('b', post('Wool hat.'));
    index.postCreated('c', post('Wool socks.'));
    assert.deepEqual(index.termsOf('a'), []);
    assert.equal(index.stats.posts, 2);
  });

  it('keeps at most maxProfiles profiles, dropping the least recently engaged', () => {
    const index = new ContentIndex({ ...DEFAULT_CONTENT_INDEX_SETTINGS, maxProfiles: 10 });
    index.postCreated('wool', post('Merino wool yarn.'));
    for (let u = 0; u < 11; u++) index.engaged(`u${u}`, 'wool', 1, T0 + u * DAY);
    assert.ok(index.stats.profiles <= 10, String(index.stats.profiles));
    assert.deepEqual(index.interests('u0', 1), []);
    assert.equal(index.interests('u10', 1).length, 1);
  });

  it('keeps at most maxProfiles profiles when many were last engaged at the same time, evicting the earliest created of them first', () => {
    const index = new ContentIndex({ ...DEFAULT_CONTENT_INDEX_SETTINGS, maxProfiles: 10 });
    index.postCreated('wool', post('Merino wool yarn.'));
    // 30 users whose last engagement is one instant (a replayed batch), then 3 later ones.
    for (let u = 0; u < 30; u++) {
      index.engaged(`u${u}`, 'wool', 1, T0);
      assert.ok(index.stats.profiles <= 10, `after u${u}: ${index.stats.profiles} profiles`);
    }
    for (let u = 30; u < 33; u++) index.engaged(`u${u}`, 'wool', 1, T0 + DAY);
    assert.equal(index.stats.profiles, 10);
    const kept = Array.from({ length: 33 }, (_, u) => `u${u}`).filter(
      (user) => index.interests(user, 1).length > 0,
    );
    // The later users stay; of the tied ones, the most recently created stay.
    assert.deepEqual(kept, [
      ...Array.from({ length: 7 }, (_, i) => `u${23 + i}`),
      'u30',
      'u31',
      'u32',
    ]);
  });

  it('does not index a spam post', () => {
    const index = new ContentIndex();
    const links = Array.from({ length: 8 }, (_, i) => `https://spam.example/${i}`).join(' ');
    index.postCreated('spam', post(`Cheap wool ${links}`));
    assert.deepEqual(index.termsOf('spam'), []);
  });
});
