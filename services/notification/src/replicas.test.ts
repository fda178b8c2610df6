import assert from 'node:assert/strict';
import type { eventsv1 } from '@feedmesh/contracts';
import type { DirectoryStore } from './directory-store.js';
import { blogCreated, follow, like, postCreated } from './test-fixtures/events.js';
import { openCore, WINDOW_MS, type CoreHarness } from './test-fixtures/harness.js';
import { sharedTestRedis } from './test-fixtures/shared-redis.js';

const nextPrefix = sharedTestRedis('notification-replicas');

/**
 * Likes are partitioned by user, posts by post, so two replicas handle a like and the creation
 * of its post at the same time. The interleaving that lost likes: replica A reads the post (not
 * known yet), replica B records it and resumes what is parked on it (nothing yet), then A parks
 * the like. Here A's park is made to wait until B has finished, every time.
 */
describe('two replicas on one Redis', () => {
  let a: CoreHarness;
  let b: CoreHarness;

  beforeEach(() => {
    const { prefix } = nextPrefix();
    a = openCore('redis', {}, { prefix });
    b = openCore('redis', {}, { prefix });
  });

  afterEach(async () => {
    await a.dispose();
    await b.dispose();
  });

  /** `replica`'s next park waits until `meanwhile` (another replica's handling) has finished. */
  function parkAfter(replica: CoreHarness, meanwhile: () => Promise<void>): void {
    const directory: DirectoryStore = replica.core.stores.directory;
    const park = directory.park.bind(directory);
    directory.park = async (...args) => {
      directory.park = park;
      await meanwhile();
      return park(...args);
    };
  }

  async function inboxTitles(userId: string): Promise<string[]> {
    const page = await b.core.stores.inbox.page(userId, { pageSize: 10, unreadOnly: false });
    return page.notifications.map((n) => n.title);
  }

  async function flushWindow(): Promise<void> {
    a.clock.advance(WINDOW_MS);
    b.clock.advance(WINDOW_MS);
    await b.core.flusher.flushDue();
  }

  const handle = (replica: CoreHarness, event: eventsv1.Event) => () =>
    replica.core.handler.handle(event);

  it('handles a like at once when the other replica records its post while the like is parked', async () => {
    await b.apply(
      blogCreated('b-owner', 'u-owner', 'owner'),
      blogCreated('b-alice', 'u-alice', 'alice'),
    );
    parkAfter(a, handle(b, postCreated('p-race', 'b-owner', b.clock.now())));
    await a.apply(like('u-alice', 'p-race', a.clock.now()));

    assert.deepEqual(
      await b.core.stores.directory.parked({ kind: 'post', id: 'p-race' }, b.clock.now()),
      [],
    );
    assert.deepEqual(await b.core.stores.interests.fans('blog', 'b-owner', 10), ['u-alice']);
    await flushWindow();
    assert.deepEqual(await inboxTitles('u-owner'), ['alice liked your post']);
  });

  it('handles a follow at once when the other replica records its blog while the follow is parked', async () => {
    await b.apply(blogCreated('b-alice', 'u-alice', 'alice'));
    parkAfter(a, handle(b, blogCreated('b-race', 'u-owner', 'owner')));
    await a.apply(follow('u-alice', 'b-race', a.clock.now()));

    assert.deepEqual(
      await b.core.stores.directory.parked({ kind: 'blog', id: 'b-race' }, b.clock.now()),
      [],
    );
    await flushWindow();
    assert.deepEqual(await inboxTitles('u-owner'), ['alice followed your blog']);
  });
});
