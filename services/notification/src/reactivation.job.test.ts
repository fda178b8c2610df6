import assert from 'node:assert/strict';
import type { eventsv1 } from '@feedmesh/contracts';
import { ConfigError } from '@feedmesh/errors';
import { waitUntilDrained } from '@feedmesh/events';
import { waitFor } from '@feedmesh/testing';
import { InMemoryDigestStore } from './digest-store.js';
import { assembleNotification, NOTIFICATION_GROUP } from './index.js';
import { ReactivationJob } from './reactivation.job.js';
import type { ReactivationPicker } from './reactivation.picker.js';
import { InMemorySessionStore } from './session-store.js';
import { blogCreated, FakeClock, postCreated, T0 } from './test-fixtures/events.js';
import { FakeMesh } from './test-fixtures/fake-mesh.js';
import {
  consumeHeldBefore,
  HANDLED_BY_HAND,
  silentLogger,
  testRuntime,
  type StoreKind,
} from './test-fixtures/harness.js';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

function session(userId: string, atMs: number): eventsv1.Event {
  return {
    eventId: `session-${userId}-${atMs}`,
    atMs,
    payload: { $case: 'sessionStarted', value: { userId } },
  };
}

describe('ReactivationJob', () => {
  it('tries each lapse check at most once a run while candidate generation times out', async () => {
    const clock = new FakeClock(T0);
    const sessions = new InMemorySessionStore({ lapseMs: 7 * DAY_MS, memoryMs: 61 * DAY_MS });
    const users = Array.from({ length: 50 }, (_, i) => `u${i}`);
    for (const userId of users) await sessions.record(userId, T0 - 8 * DAY_MS);
    const tried: string[] = [];
    // Every pick waits out a 30 s deadline and fails: a batch outlasts the checks' lease.
    const picker = {
      pick: async (userId: string) => {
        tried.push(userId);
        if (tried.length <= 500) clock.advance(30_000);
        throw new Error('DEADLINE_EXCEEDED');
      },
    } as unknown as ReactivationPicker;
    const job = new ReactivationJob(
      sessions,
      HANDLED_BY_HAND,
      picker,
      new InMemoryDigestStore({ windowMs: 0, eventMemoryMs: DAY_MS }),
      { batchSize: 20, leaseMs: 60_000, lapseMs: 7 * DAY_MS, maxLapseMs: 60 * DAY_MS },
      () => {},
      clock.now,
      silentLogger,
    );

    const report = await job.runOnce();
    assert.equal(new Set(tried).size, tried.length, 'no check is tried twice in one run');
    assert.equal(report.failed, tried.length);
    assert.equal(report.checked, tried.length);
  });
});

describe('reactivation settings', () => {
  it('refuses a NOTIFICATION_MAX_LAPSE_MS not longer than NOTIFICATION_LAPSE_MS, naming it', async () => {
    const { runtime, config, dispose } = testRuntime('memory', {
      NOTIFICATION_REACTIVATION_INTERVAL_MS: '600000',
      NOTIFICATION_LAPSE_MS: String(30 * DAY_MS),
      NOTIFICATION_MAX_LAPSE_MS: String(14 * DAY_MS),
    });
    try {
      assert.throws(
        () => assembleNotification({ config, runtime, logger: silentLogger }),
        (error: unknown) =>
          error instanceof ConfigError && error.variable === 'NOTIFICATION_MAX_LAPSE_MS',
      );
    } finally {
      await dispose();
    }
  });
});

for (const kind of ['memory', 'redis'] as const satisfies readonly StoreKind[]) {
  describe(`reactivation while a new group replays the log (${kind})`, () => {
    let mesh: FakeMesh;

    before(async () => {
      mesh = await FakeMesh.start();
    });
    after(() => mesh.shutdown());

    it('judges no one lapsed before the group has read their later sessions from the log', async () => {
      const { runtime, config, dispose } = testRuntime(kind, {
        ...mesh.env,
        NOTIFICATION_CONSUMER_BATCH_SIZE: '1',
        NOTIFICATION_LAPSE_MS: String(7 * DAY_MS),
        NOTIFICATION_MAX_LAPSE_MS: String(60 * DAY_MS),
      });
      const clock = new FakeClock(T0);
      const core = assembleNotification({
        config,
        runtime,
        logger: silentLogger,
        clock: clock.now,
      });
      mesh.candidates.set('u-back', [
        { postId: 'p-missed', blogId: 'b-art', createdAtMs: T0 - DAY_MS, value: 1 },
      ]);
      // u-back came back an hour ago; the log also holds their session of ten days ago.
      const early = session('u-back', T0 - 10 * DAY_MS);
      const late = session('u-back', T0 - HOUR_MS);
      await runtime.eventLog.append([
        blogCreated('b-art', 'u-art', 'artblog', T0 - 2 * DAY_MS),
        postCreated('p-missed', 'b-art', T0 - DAY_MS),
        early,
        late,
      ]);
      // The group reads from the beginning; it is slow to get to the later session.
      const { consumer, release } = await consumeHeldBefore(
        core,
        { config, runtime },
        late.eventId,
      );
      try {
        await waitFor(
          'the early session read',
          async () => (await core.stores.sessions.get('u-back')) !== undefined,
        );
        const replaying = await core.reactivationJob.runOnce();
        assert.equal(replaying.checked, 0, 'no lapse judged while the log is being replayed');
        release();
        await waitUntilDrained(runtime.eventLog, NOTIFICATION_GROUP);
        const caughtUp = await core.reactivationJob.runOnce();
        assert.equal(caughtUp.queued, 0, 'back an hour ago: not lapsed');
        await core.flusher.flushDue();
        assert.deepEqual(mesh.calls.generate, []);
        const page = await core.stores.inbox.page('u-back', { pageSize: 10, unreadOnly: false });
        assert.deepEqual(page.notifications, []);
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
