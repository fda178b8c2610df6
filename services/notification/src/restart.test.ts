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
      // The digest is completed just after its delivery.
      await waitFor('the digest completed', async () => (await pending.pendingCount()) === 0);
    } finally {
      close();
    }
  });
});

describe('a digest held back across a restart (Redis)', () => {
  const prefix = uniquePrefix('notification-restart-held');
  const redis = testRedis(prefix);
  const keys = new NotificationKeys(prefix);
  const stops: (() => Promise<void>)[] = [];

  after(async () => {
    for (const stop of stops) await stop();
    await redis.cleanup();
  });

  async function startInstance(offsetMs: number) {
    const fixture = testRuntime('redis', { NOTIFICATION_DIGEST_WINDOW_MS: '0' }, prefix);
    const server = await startNotification({
      config: fixture.config,
      runtime: fixture.runtime,
      logger: silentLogger,
      clock: () => Date.now() + offsetMs,
    });
    const { client, close } = createServiceClient(
      notificationv1.NotificationServiceDefinition,
      server.address,
      { deadlineMs: 5_000 },
    );
    const stop = async () => {
      close();
      await server.shutdown();
      await fixture.dispose();
    };
    stops.push(stop);
    return { client, runtime: fixture.runtime, stop };
  }

  /** When each pending digest is due, from any shard. */
  async function dueTimes(): Promise<number[]> {
    const times: number[] = [];
    for (let shard = 0; shard < 4; shard++) {
      const entries = await redis.zrange(`${keys.digestShard(shard)}:due`, 0, -1, 'WITHSCORES');
      for (let i = 1; i < entries.length; i += 2) times.push(Number(entries[i]));
    }
    return times;
  }

  it('delivers a notification delayed by quiet hours after a restart, once they end', async () => {
    const first = await startInstance(0);
    // Quiet hours from an hour ago to an hour from now, UTC.
    const minute = Math.floor(Date.now() / 60_000) % 1_440;
    await first.client.setPreferences({
      userId: OWNER,
      preferences: {
        types: [],
        timeZone: 'UTC',
        quietStartMinute: (minute + 1_440 - 60) % 1_440,
        quietEndMinute: (minute + 60) % 1_440,
      },
    });
    await first.runtime.eventLog.append([...worldEvents(), like('u-alice', POST, Date.now())]);
    const [heldUntil] = await waitFor('the like held until the quiet hours end', async () => {
      const times = await dueTimes();
      return times.length === 1 && (times[0] ?? 0) > Date.now() + 30 * 60_000 && times;
    });
    assert.equal(
      (await first.client.listInbox({ userId: OWNER, pageSize: 10 })).notifications.length,
      0,
    );
    await first.stop();

    // The next instance runs past the end of the quiet hours.
    const second = await startInstance((heldUntil ?? 0) - Date.now() + 1_000);
    const page = await waitFor('the held notification in the inbox', async () => {
      const response = await second.client.listInbox({ userId: OWNER, pageSize: 10 });
      return response.notifications.length > 0 && response;
    });
    assert.deepEqual(
      page.notifications.map((n) => n.title),
      ['alice liked your post'],
    );
    await waitFor('the digest completed', async () => (await dueTimes()).length === 0);
  });
});
