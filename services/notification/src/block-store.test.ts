import assert from 'node:assert/strict';
import { InMemoryBlockStore, type BlockStore } from './block-store.js';
import { RedisBlockStore } from './redis-block-store.js';
import { NotificationKeys } from './redis-keys.js';
import { T0 } from './test-fixtures/events.js';
import { sharedTestRedis } from './test-fixtures/shared-redis.js';

const nextBlocks = sharedTestRedis('notification-blocks');

/** Blogs kept per user in these tests. */
const CAP = 3;

function describeBlockStoreContract(name: string, open: () => BlockStore): void {
  describe(`${name}: the BlockStore contract`, () => {
    let store: BlockStore;

    beforeEach(() => {
      store = open();
    });

    it('knows no blocks of a user it never heard of', async () => {
      assert.deepEqual(await store.blocked('u1'), new Set());
    });

    it('lists the blogs a user blocks, the later of Block and Unblock winning in any order', async () => {
      await store.record('u1', 'b1', true, T0 + 2);
      await store.record('u1', 'b1', false, T0 + 1);
      await store.record('u1', 'b2', false, T0 + 2);
      await store.record('u1', 'b2', true, T0 + 1);
      await store.record('u1', 'b3', true, T0);
      await store.record('u2', 'b4', true, T0);
      assert.deepEqual(await store.blocked('u1'), new Set(['b1', 'b3']));
      await store.record('u1', 'b3', false, T0 + 5);
      assert.deepEqual(await store.blocked('u1'), new Set(['b1']));
      assert.deepEqual(await store.blocked('u2'), new Set(['b4']));
    });

    it('lets an Unblock at the very instant of its Block win', async () => {
      await store.record('u1', 'b1', true, T0);
      await store.record('u1', 'b1', false, T0);
      await store.record('u1', 'b2', false, T0);
      await store.record('u1', 'b2', true, T0);
      assert.deepEqual(await store.blocked('u1'), new Set());
    });

    it('keeps the latest blocks and unblocks of a user, at most its cap', async () => {
      for (let i = 0; i < 5; i++) await store.record('u1', `b${i}`, true, T0 + i);
      assert.deepEqual(await store.blocked('u1'), new Set(['b2', 'b3', 'b4']));
    });
  });
}

describeBlockStoreContract('InMemoryBlockStore', () => new InMemoryBlockStore({ perUser: CAP }));

describeBlockStoreContract('RedisBlockStore', () => {
  const { redis, prefix } = nextBlocks();
  return new RedisBlockStore(redis, new NotificationKeys(prefix), { perUser: CAP });
});
