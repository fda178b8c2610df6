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

    it('keeps the same blogs whatever the order when more than its cap tie in time: the greatest ids, by their UTF-8 bytes', async () => {
      // Redis orders members of equal score by their bytes, so '\u{1F600}' (F0 ...) follows
      // '\uFF61' (EF ...), though it precedes it in UTF-16 code units.
      const blogIds = ['b1', 'b\uFF61', 'b3', 'b\u{1F600}', 'b0'];
      for (const blogId of blogIds) await store.record('u1', blogId, true, T0);
      for (const blogId of [...blogIds].reverse()) await store.record('u2', blogId, true, T0);
      const kept = new Set(['b3', 'b\uFF61', 'b\u{1F600}']);
      assert.deepEqual(await store.blocked('u1'), kept);
      assert.deepEqual(await store.blocked('u2'), kept);
    });
  });
}

describeBlockStoreContract('InMemoryBlockStore', () => new InMemoryBlockStore({ perUser: CAP }));

describeBlockStoreContract('RedisBlockStore', () => {
  const { redis, prefix } = nextBlocks();
  return new RedisBlockStore(redis, new NotificationKeys(prefix), { perUser: CAP });
});
