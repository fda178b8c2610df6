import assert from 'node:assert/strict';
import { ConfigError } from '@feedmesh/errors';
import { InMemoryDigestStore } from './digest-store.js';
import { assembleNotification } from './index.js';
import { ReactivationJob } from './reactivation.job.js';
import type { ReactivationPicker } from './reactivation.picker.js';
import { InMemorySessionStore } from './session-store.js';
import { FakeClock, T0 } from './test-fixtures/events.js';
import { silentLogger, testRuntime } from './test-fixtures/harness.js';

const DAY_MS = 24 * 60 * 60 * 1000;

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
