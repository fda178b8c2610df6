import assert from 'node:assert/strict';
import { notificationv1, type eventsv1 } from '@feedmesh/contracts';
import { createRuntime, createServiceClient } from '@feedmesh/service-kit';
import { startRedisCluster, waitFor, type LocalRedisCluster } from '@feedmesh/testing';
import { assembleNotification, startNotification } from './index.js';
import { FakeClock, follow, like, postCreated, T0 } from './test-fixtures/events.js';
import { FakeMesh } from './test-fixtures/fake-mesh.js';
import {
  HANDLED_BY_HAND,
  OWNER,
  OWNER_BLOG,
  POST,
  silentLogger,
  testConfig,
  worldEvents,
} from './test-fixtures/harness.js';

const DAY_MS = 86_400_000;

/**
 * Every key a script or pipeline touches together shares a hash tag; on a single Redis that is
 * not checked. These run the service's Redis paths on a three-node Cluster, where a cross-slot
 * script fails.
 */
describe('notification on Redis Cluster', function () {
  this.timeout(60_000);
  let cluster: LocalRedisCluster;
  let mesh: FakeMesh;

  before(async () => {
    [cluster, mesh] = await Promise.all([startRedisCluster(), FakeMesh.start()]);
  });
  after(async () => {
    await mesh?.shutdown();
    await cluster?.stop();
  });

  function clusterConfig(overrides: Record<string, string> = {}) {
    return testConfig('memory', 'cluster-test', {
      REDIS_URL: cluster.url,
      REDIS_CLUSTER: 'true',
      ...mesh.env,
      ...overrides,
    });
  }

  it('digests, delays, spends quotas, learns interests and reactivates across slots', async () => {
    const clock = new FakeClock();
    const config = clusterConfig({ NOTIFICATION_FATIGUE: 'ACTIVITY=1/1h/0' });
    const runtime = createRuntime(config, silentLogger);
    const core = assembleNotification({
      config,
      runtime,
      logger: silentLogger,
      clock: clock.now,
      catchUp: HANDLED_BY_HAND,
    });
    try {
      const apply = async (...events: eventsv1.Event[]) => {
        for (const event of events) await core.handler.handle(event);
      };
      mesh.candidates.set('u-lapsed', [
        { postId: POST, blogId: OWNER_BLOG, createdAtMs: T0 - DAY_MS, value: 1 },
      ]);
      await apply(
        ...worldEvents(),
        postCreated('p2', OWNER_BLOG),
        follow('u-alice', OWNER_BLOG, T0 - DAY_MS),
        like('u-alice', POST),
        like('u-bob', POST),
        like('u-carol', 'p2'),
        postCreated('p3', OWNER_BLOG),
        {
          eventId: 'session-lapsed',
          atMs: T0 - 10 * DAY_MS,
          payload: { $case: 'sessionStarted', value: { userId: 'u-lapsed' } },
        },
      );
      assert.equal((await core.reactivationJob.runOnce()).queued, 1);
      clock.advance(DAY_MS / 24);
      const counts = await core.flusher.flushDue();
      // Two ACTIVITY digests for one fatigue slot; p3 to the blog's fans (alice followed it,
      // bob and carol liked its posts); the reactivation.
      assert.deepEqual([counts.delivered, counts.delayed], [5, 1]);
      const page = await core.stores.inbox.page(OWNER, { pageSize: 10, unreadOnly: false });
      assert.equal(page.notifications.length, 1);
      const alice = await core.stores.inbox.page('u-alice', { pageSize: 10, unreadOnly: false });
      assert.deepEqual(
        alice.notifications.map((n) => n.title),
        ['New from ownerblog'],
      );
      const found = await core.stores.inbox.find(
        'u-alice',
        alice.notifications[0]?.notificationId ?? '',
      );
      assert.equal(found?.title, 'New from ownerblog');
    } finally {
      core.mesh.close();
      await core.stores.live.close();
      await runtime.close();
    }
  });

  it('applies a read of the log at once across slots (batch mode)', async () => {
    const clock = new FakeClock();
    const config = clusterConfig({ REDIS_PREFIX: 'cluster-batch' });
    const runtime = createRuntime(config, silentLogger);
    const core = assembleNotification({
      config,
      runtime,
      logger: silentLogger,
      clock: clock.now,
      catchUp: HANDLED_BY_HAND,
    });
    try {
      const failures = await core.handler.handleBatch([
        ...worldEvents(),
        follow('u-alice', OWNER_BLOG, T0 - DAY_MS),
        like('u-bob', POST),
        like('u-carol', 'p2'),
        postCreated('p2', OWNER_BLOG, T0, ['cats', 'bread']),
        like('u-dave', 'p2'),
        {
          eventId: 'session-b',
          atMs: T0,
          payload: { $case: 'sessionStarted', value: { userId: 'u-bob' } },
        },
      ]);
      assert.deepEqual(failures, []);
      assert.deepEqual((await core.stores.interests.fans('blog', OWNER_BLOG, 10)).sort(), [
        'u-alice',
        'u-bob',
        'u-carol',
        'u-dave',
      ]);
      assert.deepEqual((await core.stores.interests.fans('tag', 'cats', 10)).sort(), [
        'u-carol',
        'u-dave',
      ]);
      assert.equal((await core.stores.sessions.get('u-bob'))?.lastAtMs, T0);
      clock.advance(DAY_MS / 24);
      await core.flusher.flushDue();
      // bob's like; carol's (resumed when p2 came) and dave's, digested together.
      const page = await core.stores.inbox.page(OWNER, { pageSize: 10, unreadOnly: false });
      assert.deepEqual(page.notifications.map((n) => n.title).sort(), [
        '2 people liked your post',
        'bob liked your post',
      ]);
    } finally {
      core.mesh.close();
      await core.stores.live.close();
      await runtime.close();
    }
  });

  it('delivers a like from the log to a Subscribe stream', async () => {
    const config = clusterConfig({
      NOTIFICATION_DIGEST_WINDOW_MS: '0',
      REDIS_PREFIX: 'cluster-live',
    });
    const runtime = createRuntime(config, silentLogger);
    const server = await startNotification({ config, runtime, logger: silentLogger });
    const { client, close } = createServiceClient(
      notificationv1.NotificationServiceDefinition,
      server.address,
      { deadlineMs: 20_000 },
    );
    const controller = new AbortController();
    try {
      await runtime.eventLog.append(worldEvents());
      const received: notificationv1.SubscribeResponse[] = [];
      const stream = (async () => {
        try {
          for await (const message of client.subscribe(
            { userId: OWNER, afterNotificationId: '0000000000000000' },
            { signal: controller.signal },
          )) {
            received.push(message);
          }
        } catch {
          // Cancelled at the end.
        }
      })();
      await runtime.eventLog.append([like('u-alice', POST, Date.now())]);
      await waitFor('the like on the stream', () => received.length === 1, { timeoutMs: 20_000 });
      assert.equal(received[0]?.notification?.title, 'alice liked your post');
      controller.abort();
      await stream;
    } finally {
      close();
      await server.shutdown();
      await runtime.close();
    }
  });
});
