import assert from 'node:assert/strict';
import { notificationv1 } from '@feedmesh/contracts';
import { createServiceClient, type RunningServer } from '@feedmesh/service-kit';
import { testRedis, uniquePrefix, waitFor } from '@feedmesh/testing';
import { NOTIFICATION_GROUP, startNotification } from './index.js';
import { RedisDigestStore } from './redis-digest-store.js';
import { NotificationKeys } from './redis-keys.js';
import { like } from './test-fixtures/events.js';
import { OWNER, POST, silentLogger, testRuntime, worldEvents } from './test-fixtures/harness.js';

const WINDOW_MS = 60_000;

describe('notification across a restart (Redis)', () => {
  const prefix = uniquePrefix('notification-restart');
  const redis = testRedis(prefix);
  const servers: RunningServer[] = [];
  const disposals: (() => Promise<void>)[] = [];

  /** One instance on the shared prefix, its clock `offset()` ms ahead of the wall clock. */
  async function startInstance(offset: () => number) {
    const fixture = testRuntime('redis', {}, prefix);
    const server = await startNotification({
      config: fixture.config,
      runtime: fixture.runtime,
      logger: silentLogger,
      clock: () => Date.now() + offset(),
    });
    servers.push(server);
    disposals.push(fixture.dispose);
    return { server, runtime: fixture.runtime };
  }

  /** Digests pending in Redis, read as any replica would. */
  const pending = new RedisDigestStore(redis, new NotificationKeys(prefix), {
    windowMs: WINDOW_MS,
    eventMemoryMs: WINDOW_MS,
    shards: 4,
  });

  after(async () => {
    for (const server of servers) await server.shutdown();
    for (const dispose of disposals) await dispose();
    await redis.cleanup();
  });

  it('loses no pending digest: a new instance merges into it and flushes it', async () => {
    const first = await startInstance(() => 0);
    const startedAt = Date.now();
    await first.runtime.eventLog.append([
      ...worldEvents(),
      like('u-alice', POST, startedAt),
      like('u-bob', POST, startedAt),
    ]);
    await waitFor('both likes in one pending digest', async () => {
      const lag = await first.runtime.eventLog.lag(NOTIFICATION_GROUP);
      return lag.undelivered === 0 && lag.pending === 0 && (await pending.pendingCount()) === 1;
    });
    await first.server.shutdown();

    // The second instance's clock runs 30 s ahead: still inside the digest's window...
    let offset = 30_000;
    const second = await startInstance(() => offset);
    await second.runtime.eventLog.append([like('u-carol', POST, Date.now() + offset)]);
    await waitFor('the third like consumed', async () => {
      const lag = await second.runtime.eventLog.lag(NOTIFICATION_GROUP);
      return lag.undelivered === 0 && lag.pending === 0;
    });
    const { client, close } = createServiceClient(
      notificationv1.NotificationServiceDefinition,
      second.server.address,
      { deadlineMs: 5_000 },
    );
    try {
      assert.equal(
        (await client.listInbox({ userId: OWNER, pageSize: 10 })).notifications.length,
        0,
      );
      assert.equal(await pending.pendingCount(), 1);

      // ...then past it: its flusher delivers the digest the first instance started.
      offset = WINDOW_MS + 10_000;
      const page = await waitFor('the digest in the inbox', async () => {
        const response = await client.listInbox({ userId: OWNER, pageSize: 10 });
        return response.notifications.length > 0 && response;
      });
      assert.deepEqual(
        page.notifications.map((n) => [n.title, n.count]),
        [['3 people liked your post', 3]],
      );
      assert.equal(await pending.pendingCount(), 0);
    } finally {
      close();
    }
  });
});
