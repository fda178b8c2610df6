import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { candidateStoreContract, CONTRACT_LIMITS } from './candidate-store.contract.js';
import { InMemoryCandidateStore } from './in-memory-candidate-store.js';

candidateStoreContract('in memory', async () => ({
  store: new InMemoryCandidateStore(CONTRACT_LIMITS),
  cleanup: async () => undefined,
}));

describe('in-memory store: the posts it keeps for reuse', function () {
  this.timeout(60_000);

  it('stays a dense array once it is emptied, and its posts stay current', async () => {
    setFlagsFromString('--allow-natives-syntax');
    const isHashTable = new Function('a', 'return %HasDictionaryElements(a)') as (
      a: unknown[],
    ) => boolean;
    const postCache = 20_000;
    const store = new InMemoryCandidateStore({ postCache });
    const count = postCache + 10_000;
    const ids = Array.from({ length: count }, (_, i) => `p${i}`);
    for (const postId of ids) {
      await store.putPost({
        postId,
        blogId: 'b1',
        tags: ['cats'],
        createdAtMs: 1_000,
        reblogOf: '',
        summary: '',
      });
    }
    // Read the last posts first, then enough others to fill the cache and empty it, then the
    // first posts again: the read after the emptying writes a slot far from any other.
    for (let start = count - 10_000; start >= 0; start -= 10_000) {
      await store.posts(ids.slice(start, start + 10_000));
    }
    const read = await store.posts(ids.slice(count - 5, count));
    assert.equal(read.size, 5);
    const cache = (store as unknown as { postStates: unknown[] }).postStates;
    assert.equal(isHashTable(cache), false, 'the cache turned into a hash table');

    await store.recordEngagement({
      userId: 'u1',
      postId: `p${count - 1}`,
      atMs: 2_000,
      tags: ['cats'],
      popularity: 1,
    });
    assert.equal(read.get(`p${count - 1}`)!.engagements, 1, 'a reused post is updated in place');
  });

  it('with a cache of 0 builds every post afresh, and keeps none', async () => {
    const store = new InMemoryCandidateStore({ postCache: 0 });
    await store.putPost({
      postId: 'p1',
      blogId: 'b1',
      tags: ['cats'],
      createdAtMs: 1_000,
      reblogOf: '',
      summary: '',
    });
    const first = (await store.posts(['p1'])).get('p1')!;
    const second = (await store.posts(['p1'])).get('p1')!;
    assert.notEqual(first, second);
    assert.deepEqual(first, second);
    assert.equal((store as unknown as { postStates: unknown[] }).postStates.length, 0);
  });
});
