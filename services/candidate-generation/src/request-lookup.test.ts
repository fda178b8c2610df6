import assert from 'node:assert/strict';
import { InMemoryCandidateStore } from './in-memory-candidate-store.js';
import { RequestLookup } from './request-lookup.js';

async function storeWith(...posts: [postId: string, blogId: string][]) {
  const store = new InMemoryCandidateStore();
  for (const [postId, blogId] of posts) {
    await store.putPost({ postId, blogId, tags: [], createdAtMs: 1, reblogOf: '', summary: '' });
  }
  return store;
}

const signal = new AbortController().signal;

describe('RequestLookup', () => {
  it('gives the first live posts once each, leaving out excluded, deleted and unknown ones', async () => {
    const store = await storeWith(['a', 'b1'], ['b', 'b1'], ['c', 'b1'], ['d', 'b1']);
    await store.deletePost('b', 2);
    const lookup = new RequestLookup(store);
    const live = await lookup.firstLive(
      ['a', 'a', 'b', 'nope', 'c', 'd'],
      new Set(['c']),
      2,
      signal,
    );
    assert.deepEqual(
      live.map((p) => p.postId),
      ['a', 'd'],
    );
  });

  it('reads past a chunk of deleted posts to fill the limit', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `p${i}`);
    const store = await storeWith(...ids.map((id): [string, string] => [id, 'b1']));
    for (const id of ids.slice(0, 30)) await store.deletePost(id, 2);
    const live = await new RequestLookup(store).firstLive(ids, new Set(), 5, signal);
    assert.deepEqual(
      live.map((p) => p.postId),
      ['p30', 'p31', 'p32', 'p33', 'p34'],
    );
  });

  it('leaves out posts of blocked blogs, for every source of the request', async () => {
    const store = await storeWith(['mine', 'ok'], ['theirs', 'blocked']);
    const lookup = new RequestLookup(store, new Set(['blocked']));
    const first = await lookup.firstLive(['theirs', 'mine'], new Set(), 5, signal);
    const again = await lookup.firstLive(['theirs', 'mine'], new Set(), 5, signal);
    assert.deepEqual(
      first.map((p) => p.postId),
      ['mine'],
    );
    assert.deepEqual(
      again.map((p) => p.postId),
      ['mine'],
    );
    assert.deepEqual([...(await lookup.posts(['theirs', 'mine'])).keys()], ['mine']);
  });

  it('serves two sources of one request in their own orders, and a later one from its reads', async () => {
    const store = await storeWith(['a', 'b1'], ['b', 'b1']);
    let reads = 0;
    const counting = Object.assign(Object.create(store) as InMemoryCandidateStore, {
      posts: (ids: readonly string[]) => {
        reads += ids.length;
        return store.posts(ids);
      },
    });
    const lookup = new RequestLookup(counting);
    const [one, two] = await Promise.all([
      lookup.firstLive(['a', 'b'], new Set(), 2, signal),
      lookup.firstLive(['b', 'a'], new Set(), 2, signal),
    ]);
    assert.deepEqual(
      one.map((p) => p.postId),
      ['a', 'b'],
    );
    assert.deepEqual(
      two.map((p) => p.postId),
      ['b', 'a'],
    );
    // Both may read what they ask for at once; nothing is read again afterwards.
    const readBefore = reads;
    const later = await lookup.firstLive(['a', 'b'], new Set(), 2, signal);
    assert.deepEqual(
      later.map((p) => p.postId),
      ['a', 'b'],
    );
    assert.equal(reads, readBefore);
  });
});
