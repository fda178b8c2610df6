import assert from 'node:assert/strict';
import { searchv1 } from '@feedmesh/contracts';
import { SearchIndex, type PostInput } from './engine/index.js';
import { SearchCursorCodec } from './search-cursor.js';
import { planSearch } from './search-request.js';
import { readCursor, searchPage } from './search-service.js';

const codec = new SearchCursorCodec('pages-test');
const RECENCY = searchv1.SearchOrder.SEARCH_ORDER_RECENCY;

function post(postId: string, text: string, createdAtMs: number, tags: string[] = []): PostInput {
  return { postId, blogId: 'b1', text, tags, createdAtMs };
}

/** A page as the service serves it, from this replica's index. */
function page(
  replica: SearchIndex,
  query: string,
  cursor = '',
  extra: Partial<searchv1.SearchRequest> = {},
): searchv1.SearchResponse {
  const plan = planSearch(
    { query, tags: [], blogId: '', order: 0, pageSize: 10, cursor, ...extra },
    replica.analyzer,
  );
  return searchPage(replica, codec, plan, readCursor(codec, plan));
}

const ids = (response: searchv1.SearchResponse) => response.hits.map((h) => h.postId);

/**
 * Posts matching "otter" and tagged "otters", with distinct lengths (so distinct scores),
 * created at 1..n ms.
 */
function otters(n: number): PostInput[] {
  return Array.from({ length: n }, (_, i) =>
    post(`otter-${i}`, `otter ${'river '.repeat((i * 7) % n)}`, i + 1, ['otters']),
  );
}

describe('search pages across replicas and time', () => {
  for (const [query, order] of [
    ['otter', 0],
    ['otter', RECENCY],
    ['#otters', 0],
  ] as const) {
    it(`lists the same page 2 on a replica that indexed the posts in another order (${query}, order ${order})`, () => {
      const posts = otters(30);
      const a = new SearchIndex();
      for (const p of posts) a.addPost(p);
      const first = page(a, query, '', { order });
      assert.equal(first.hits.length, 10);

      // Created after page 1 (newest, and long, so it ranks last by relevance). Replica B
      // rebuilt from the log meanwhile, reading one partition (the newer posts, then the
      // newcomer) before the other, so its document ids differ.
      const newcomer = post('newcomer', `otter ${'river '.repeat(50)}`, 1_000, ['otters']);
      a.addPost(newcomer);
      const b = new SearchIndex();
      for (const p of posts.slice(15)) b.addPost(p);
      b.addPost(newcomer);
      for (const p of posts.slice(0, 15)) b.addPost(p);

      const fromA = page(a, query, first.nextCursor, { order });
      const fromB = page(b, query, first.nextCursor, { order });
      assert.deepEqual(ids(fromB), ids(fromA));
      assert.ok(!ids(fromA).includes('newcomer'), 'a post created after page 1 stays out');
      assert.equal(fromB.totalHits, 30);
      const third = page(b, query, fromB.nextCursor, { order });
      const all = [...ids(first), ...ids(fromB), ...ids(third)];
      assert.deepEqual([...all].sort(), posts.map((p) => p.postId).sort(), 'each post once');
      assert.equal(third.nextCursor, '');
    });
  }

  it('orders posts created in the same millisecond alike on every replica', () => {
    const posts = Array.from({ length: 12 }, (_, i) => post(`same-ms-${i}`, 'walrus', 5_000));
    const a = new SearchIndex();
    const b = new SearchIndex();
    for (const p of posts) a.addPost(p);
    for (const p of [...posts].reverse()) b.addPost(p);
    for (const order of [0, RECENCY]) {
      const first = page(a, 'walrus', '', { order, pageSize: 5 });
      const second = page(b, 'walrus', first.nextCursor, { order, pageSize: 5 });
      const third = page(a, 'walrus', second.nextCursor, { order, pageSize: 5 });
      const all = [...ids(first), ...ids(second), ...ids(third)];
      assert.equal(new Set(all).size, 12, `order ${order}: each post once`);
      assert.deepEqual(ids(page(b, 'walrus', '', { order, pageSize: 5 })), ids(first));
    }
  });

  it('includes a post created in the same millisecond as the bound, even one indexed later', () => {
    const a = new SearchIndex();
    for (const p of otters(12)) a.addPost(p);
    const first = page(a, 'otter');
    // Created at the newest post's millisecond (12), delivered late; long, so it ranks last.
    a.addPost(post('same-ms-late', `otter ${'river '.repeat(40)}`, 12));
    a.addPost(post('one-ms-later', `otter ${'river '.repeat(41)}`, 13));
    const second = page(a, 'otter', first.nextCursor);
    assert.deepEqual(ids(second).slice(-1), ['same-ms-late']);
    assert.ok(!ids(second).includes('one-ms-later'));
  });

  it('scores later pages with the statistics of the first page, whatever was created since', () => {
    const a = new SearchIndex();
    // "alpha" is rarer than "beta" at first, so its posts rank first; then many new alpha
    // posts make it the commoner word.
    for (let i = 0; i < 10; i += 1) a.addPost(post(`alpha-${i}`, `alpha ${'x '.repeat(i)}`, i + 1));
    for (let i = 0; i < 12; i += 1) a.addPost(post(`beta-${i}`, `beta ${'x '.repeat(i)}`, i + 20));
    for (let i = 0; i < 20; i += 1) a.addPost(post(`filler-${i}`, 'gamma', i + 40));
    const reference = [...ids(page(a, 'alpha beta', '', { pageSize: 30 }))];
    const first = page(a, 'alpha beta');
    for (let i = 0; i < 30; i += 1) a.addPost(post(`alpha-new-${i}`, 'alpha', 100 + i));
    const second = page(a, 'alpha beta', first.nextCursor);
    const third = page(a, 'alpha beta', second.nextCursor);
    assert.deepEqual([...ids(first), ...ids(second), ...ids(third)], reference);
    assert.equal(third.nextCursor, '');
  });

  it('neither skips nor repeats a post when one of an earlier page is deleted', () => {
    const a = new SearchIndex();
    for (const p of otters(25)) a.addPost(p);
    const reference = ids(page(a, 'otter', '', { pageSize: 25 }));
    const first = page(a, 'otter');
    a.deletePost(ids(first)[3] ?? '');
    const second = page(a, 'otter', first.nextCursor);
    const third = page(a, 'otter', second.nextCursor);
    assert.deepEqual([...ids(second), ...ids(third)], reference.slice(10));
    assert.equal(third.nextCursor, '');
  });

  it('still reads a cursor issued before the creation-time bound (document id, offset)', () => {
    const a = new SearchIndex();
    for (const p of otters(15)) a.addPost(p);
    const reference = ids(page(a, 'otter', '', { pageSize: 15 }));
    const plan = planSearch(
      { query: 'otter', tags: [], blogId: '', order: 0, pageSize: 10, cursor: '' },
      a.analyzer,
    );
    const old = codec.encode(plan.query, { offset: 10, maxDoc: 14, generation: 0 });
    a.addPost(post('newcomer', 'otter', 1_000));
    assert.deepEqual(ids(page(a, 'otter', old)), reference.slice(10));
  });
});
