import assert from 'node:assert/strict';
import { sharedTestRedis } from './test-fixtures/shared-redis.js';
import {
  InMemoryDirectoryStore,
  type DirectorySettings,
  type DirectoryStore,
} from './directory-store.js';
import { RedisDirectoryStore } from './redis-directory-store.js';
import { NotificationKeys } from './redis-keys.js';
import { like, T0 } from './test-fixtures/events.js';

const nextNotificationDirectory = sharedTestRedis('notification-directory');

const SETTINGS: DirectorySettings = { entryTtlMs: 60 * 60 * 1000, parkTtlMs: 60_000, parkCap: 3 };

type OpenDirectory = () => Promise<{ store: DirectoryStore; dispose(): Promise<void> }>;

function describeDirectoryStoreContract(name: string, open: OpenDirectory): void {
  describe(`${name}: the DirectoryStore contract`, () => {
    let store: DirectoryStore;
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      ({ store, dispose } = await open());
    });
    afterEach(() => dispose());

    it('knows nothing of posts, blogs and users it was not told about', async () => {
      assert.equal(await store.post('p1'), undefined);
      assert.equal(await store.blog('b1'), undefined);
      assert.deepEqual(await store.userNames(['u1']), new Map());
      assert.deepEqual(await store.parked({ kind: 'post', id: 'p1' }, T0), []);
    });

    it('records posts and blogs with their owners', async () => {
      await store.recordPost('p1', 'b1', ['Cats', '#dogs', 'cats']);
      await store.recordBlog('b1', 'u1', 'alice', T0);
      assert.deepEqual(await store.post('p1'), {
        blogId: 'b1',
        deleted: false,
        tags: ['cats', 'dogs'],
      });
      assert.deepEqual(await store.blog('b1'), { ownerUserId: 'u1', name: 'alice' });
    });

    it('keeps a deleted post deleted even when its creation arrives afterwards', async () => {
      await store.recordPostDeleted('p1');
      assert.deepEqual(await store.post('p1'), { blogId: '', deleted: true, tags: [] });
      await store.recordPost('p1', 'b1');
      assert.deepEqual(await store.post('p1'), { blogId: 'b1', deleted: true, tags: [] });
    });

    it('names a user after their earliest blog, whatever order the blogs arrive in', async () => {
      await store.recordBlog('b2', 'u1', 'alice-art', T0 + 100);
      await store.recordBlog('b1', 'u1', 'alice', T0);
      await store.recordBlog('b3', 'u1', 'alice-late', T0 + 200);
      await store.recordBlog('b4', 'u2', 'bob', T0);
      assert.deepEqual(
        await store.userNames(['u1', 'u2', 'u3']),
        new Map([
          ['u1', 'alice'],
          ['u2', 'bob'],
        ]),
      );
    });

    it('keeps parked events oldest first, the newest `parkCap` of them', async () => {
      const post = { kind: 'post' as const, id: 'p1' };
      const events = [1, 2, 3, 4].map((i) => like(`fan-${i}`, 'p1', T0 + i));
      for (const event of events) await store.park(post, event, T0);
      const parked = await store.parked(post, T0);
      assert.deepEqual(parked, events.slice(1));
      assert.deepEqual(await store.parked({ kind: 'blog', id: 'p1' }, T0), []);
    });

    it('parks only on a post or blog still unknown, and reports one recorded meanwhile instead', async () => {
      const post = { kind: 'post' as const, id: 'p1' };
      const blog = { kind: 'blog' as const, id: 'b1' };
      assert.equal(await store.park(post, like('fan-1', 'p1'), T0), 'parked');
      assert.equal(await store.park(blog, like('fan-1', 'p1'), T0), 'parked');
      await store.recordPost('p1', 'b1');
      await store.recordBlog('b1', 'u1', 'alice', T0);
      assert.equal(await store.park(post, like('fan-2', 'p1'), T0), 'known');
      assert.equal(await store.park(blog, like('fan-2', 'p1'), T0), 'known');
      await store.recordPostDeleted('p2');
      assert.equal(await store.park({ kind: 'post', id: 'p2' }, like('fan-3', 'p2'), T0), 'known');
      assert.equal((await store.parked(post, T0)).length, 1);
      assert.equal((await store.parked(blog, T0)).length, 1);
    });

    it('forgets exactly the parked events that were read, not those parked since', async () => {
      const post = { kind: 'post' as const, id: 'p1' };
      await store.park(post, like('fan-1', 'p1'), T0);
      await store.park(post, like('fan-2', 'p1'), T0);
      const read = await store.parked(post, T0);
      const later = like('fan-3', 'p1');
      await store.park(post, later, T0);
      await store.unpark(post, read.length);
      assert.deepEqual(await store.parked(post, T0), [later]);
      await store.unpark(post, 1);
      assert.deepEqual(await store.parked(post, T0), []);
    });
  });
}

describeDirectoryStoreContract('InMemoryDirectoryStore', async () => ({
  store: new InMemoryDirectoryStore(SETTINGS),
  dispose: async () => {},
}));

describeDirectoryStoreContract('RedisDirectoryStore', async () => {
  const { redis, prefix } = nextNotificationDirectory();
  return {
    store: new RedisDirectoryStore(redis, new NotificationKeys(prefix), SETTINGS),
    dispose: async () => {},
  };
});
