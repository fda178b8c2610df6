import assert from 'node:assert/strict';
import { notificationv1 } from '@feedmesh/contracts';
import { waitUntilDrained } from '@feedmesh/events';
import { waitFor } from '@feedmesh/testing';
import { assembleNotification, NOTIFICATION_GROUP } from './index.js';
import { blogCreated, FakeClock, like, postCreated, T0 } from './test-fixtures/events.js';
import { FakeMesh } from './test-fixtures/fake-mesh.js';
import {
  consumeHeldBefore,
  silentLogger,
  testRuntime,
  type StoreKind,
} from './test-fixtures/harness.js';

const { NotificationType } = notificationv1;
const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

for (const kind of ['memory', 'redis'] as const satisfies readonly StoreKind[]) {
  describe(`trending while a new group replays the log (${kind})`, () => {
    let mesh: FakeMesh;

    before(async () => {
      mesh = await FakeMesh.start();
    });
    after(() => mesh.shutdown());

    it('tells no one of a trend before the group has read their later interests from the log', async () => {
      const { runtime, config, dispose } = testRuntime(kind, {
        ...mesh.env,
        NOTIFICATION_CONSUMER_BATCH_SIZE: '1',
        // A trend reaches only those who count its tag as their strongest.
        NOTIFICATION_TRENDING_TOP_TAGS: '1',
      });
      const clock = new FakeClock(T0);
      const core = assembleNotification({
        config,
        runtime,
        logger: silentLogger,
        clock: clock.now,
      });
      mesh.trending = {
        tags: [{ tag: 'cats', score: 6, observed: 60, expected: 10 }],
        posts: [{ postId: 'hot-cat', blogId: 'b-art', score: 9, observed: 9, expected: 1 }],
      };
      const trends = async () =>
        (await core.stores.inbox.page('u-fan', { pageSize: 10, unreadOnly: false })).notifications
          .filter((n) => n.type === NotificationType.NOTIFICATION_TYPE_TRENDING)
          .map((n) => n.title);
      // u-fan liked a cat post half a year ago; an hour ago, a dog post: dogs are their tag now.
      const lateLike = like('u-fan', 'new-dog', T0 - HOUR_MS);
      await runtime.eventLog.append([
        blogCreated('b-art', 'u-art', 'artblog', T0 - 300 * DAY_MS),
        postCreated('old-cat', 'b-art', T0 - 200 * DAY_MS, ['cats']),
        like('u-fan', 'old-cat', T0 - 200 * DAY_MS),
        postCreated('hot-cat', 'b-art', T0 - HOUR_MS, ['cats']),
      ]);
      // The group reads from the beginning; it is slow to get to the later like.
      const { consumer, release } = await consumeHeldBefore(
        core,
        { config, runtime },
        lateLike.eventId,
      );
      try {
        await waitFor(
          'the old like and the trending post read',
          async () =>
            (await core.stores.interests.fans('tag', 'cats', 10)).includes('u-fan') &&
            (await core.stores.directory.post('hot-cat')) !== undefined,
        );
        await runtime.eventLog.append([
          postCreated('new-dog', 'b-art', T0 - HOUR_MS, ['dogs']),
          lateLike,
        ]);
        const replaying = await core.trendingJob.runOnce();
        await core.flusher.flushDue();
        assert.deepEqual(await trends(), [], 'no one told of a trend while the log is replayed');
        assert.deepEqual(replaying, { leased: true, caughtUp: false, trendingTags: 0, entries: 0 });
        release();
        await waitUntilDrained(runtime.eventLog, NOTIFICATION_GROUP);
        const caughtUp = await core.trendingJob.runOnce();
        assert.deepEqual(
          caughtUp,
          { leased: true, caughtUp: true, trendingTags: 1, entries: 0 },
          'cats are no longer among what u-fan cares about most',
        );
        await core.flusher.flushDue();
        assert.deepEqual(await trends(), []);
      } finally {
        release();
        await consumer.stop();
        core.mesh.close();
        await core.openModel.stop();
        await core.stores.live.close();
        await dispose();
      }
    });
  });
}
