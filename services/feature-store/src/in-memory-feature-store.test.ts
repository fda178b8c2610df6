import assert from 'node:assert/strict';
import { ENTITIES, USER_SETS } from './feature-registry.js';
import { featureStoreContract } from './feature-store.contract.js';
import { InMemoryFeatureStore } from './in-memory-feature-store.js';

featureStoreContract('InMemoryFeatureStore', async (limits) => ({
  store: new InMemoryFeatureStore(limits),
  dispose: async () => undefined,
}));

describe('InMemoryFeatureStore', () => {
  it('forgets an entity one time to live after its last write, like a Redis key', async () => {
    let wallClock = 0;
    const store = new InMemoryFeatureStore({ setCap: 10, interestCap: 10, now: () => wallClock });
    const like = { counters: [{ signal: 'like' as const, weight: 1 }] };
    await store.updatePost({ postId: 'p1', atMs: 1, change: like });
    await store.updateUser({
      userId: 'u1',
      atMs: 1,
      user: {},
      sets: [{ set: 'served', id: 'p1' }],
    });

    wallClock = ENTITIES.post.ttlMs - 1;
    await store.updatePost({ postId: 'p1', atMs: 2, change: like });
    wallClock = ENTITIES.post.ttlMs + 1;
    assert.ok((await store.readCandidates(undefined, ['p1'])).posts.get('p1')?.state);
    assert.deepEqual((await store.readUser('u1', 10)).sets.served, []);
    assert.ok(USER_SETS.served.ttlMs < ENTITIES.post.ttlMs);

    wallClock = 2 * ENTITIES.post.ttlMs;
    assert.equal((await store.readCandidates(undefined, ['p1'])).posts.get('p1')?.state, undefined);
  });
});
