import assert from 'node:assert/strict';
import { ENTITIES, USER_SETS } from './feature-registry.js';
import { LAYOUTS } from './state-layout.js';
import {
  deltaOf,
  featureStoreContract,
  plan,
  postWrite,
  userWrite,
} from './feature-store.contract.js';
import { InMemoryFeatureStore } from './in-memory-feature-store.js';
import { redeliverySuite } from './redelivery.suite.js';
import { joinsById } from './test-fixtures/states.js';

featureStoreContract('InMemoryFeatureStore', async (limits) => {
  let wallClock = 0;
  return {
    store: new InMemoryFeatureStore({ ...limits, now: () => wallClock }),
    dispose: async () => undefined,
    expireBlog: async () => {
      wallClock += ENTITIES.blog.ttlMs + 1;
    },
  };
});

redeliverySuite('InMemoryFeatureStore', async (limits) => ({
  store: new InMemoryFeatureStore(limits),
  dispose: async () => undefined,
}));

describe('InMemoryFeatureStore', () => {
  it('forgets each key class one time to live after its last write, like a Redis key', async () => {
    let wallClock = 0;
    const store = new InMemoryFeatureStore({ setCap: 10, interestCap: 10, now: () => wallClock });
    const liked = (atMs: number) => deltaOf('post', (d) => d.addSignal('like', 1, atMs));
    const meta = { blogId: 'b1', tags: ['art'], reblogOf: '' };
    await store.write(
      plan({
        posts: [postWrite('p1', { delta: liked(1), create: { meta, parkedRead: 0 } })],
        users: [
          userWrite('u1', {
            delta: deltaOf('user', (d) => d.mergeAttribute('last_active_at', 1)),
            touches: [{ set: 'served', id: 'p1', atMs: 1 }],
            tags: new Map([['art', deltaOf('user_tag', (d) => d.addSignal('affinity', 1, 1))]]),
          }),
        ],
      }),
    );

    wallClock = ENTITIES.post.ttlMs - 1;
    await store.write(plan({ posts: [postWrite('p1', { delta: liked(2) })] }));
    wallClock = ENTITIES.post.ttlMs + 1;
    // The post was written again: alive, meta and all. The served set's 14 days are over.
    const read = await store.readCandidates('u1', ['p1']);
    assert.deepEqual(read.posts.get('p1')?.meta, meta);
    assert.deepEqual((await store.readUser('u1', 10)).sets.served, []);
    assert.ok(USER_SETS.served.ttlMs < ENTITIES.post.ttlMs);
    // User state and the user's tag state live 90 days from their write.
    assert.ok(read.user && joinsById(read).userTags.has('art'));
    wallClock = ENTITIES.user.ttlMs + 1;
    const later = await store.readCandidates('u1', ['p1']);
    assert.deepEqual([later.user, joinsById(later).userTags.size], [undefined, 0]);

    wallClock = 2 * ENTITIES.post.ttlMs;
    const gone = (await store.readCandidates(undefined, ['p1'])).posts.get('p1');
    assert.deepEqual(gone, { state: undefined, meta: undefined });
  });

  it('counts the blogs a user follows from their following set, which outlives the user state', async () => {
    let wallClock = 0;
    const store = new InMemoryFeatureStore({ setCap: 10, interestCap: 10, now: () => wallClock });
    const follow = (blogId: string, atMs: number, active: boolean) =>
      store.write(
        plan({
          users: [
            userWrite('u1', {
              relations: [
                { relation: 'following', blogId, atMs, active, countedIn: 'follows' as const },
              ],
            }),
          ],
        }),
      );
    await follow('b1', 1, true);
    await follow('b2', 2, true);
    // Back after 100 days: the user state is gone, the following set (365 days) is not.
    wallClock = ENTITIES.user.ttlMs + 100;
    assert.equal((await store.readUser('u1', 10)).state, undefined);
    await follow('b1', wallClock, false);
    const { state, sets } = await store.readUser('u1', 10);
    assert.deepEqual(sets.following, ['b2']);
    assert.equal(LAYOUTS.user.attributeValue(state!, 'follows'), 1);
  });
});
