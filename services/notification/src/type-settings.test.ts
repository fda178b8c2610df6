import assert from 'node:assert/strict';
import { ConfigError } from '@feedmesh/errors';
import { loadConfig } from '@feedmesh/service-kit';
import { inQuietHours, localMinuteOfDay, quietHoursEnd } from './local-time.js';
import { notificationConfigShape } from './index.js';
import { parseDuration } from './type-settings.js';
import { T0 } from './test-fixtures/events.js';

describe('per-type settings', () => {
  it('reads durations with units', () => {
    assert.deepEqual(['0', '500ms', '30s', '15m', '6h', '3d', '1w', '', '5'].map(parseDuration), [
      0,
      500,
      30_000,
      900_000,
      21_600_000,
      259_200_000,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('fills the types a variable leaves out with their defaults', () => {
    const config = loadConfig(notificationConfigShape, {
      NOTIFICATION_FATIGUE: 'NEW_POST=2/1h/10m',
      NOTIFICATION_OPEN_THRESHOLDS: 'TRENDING=0.5',
    });
    assert.deepEqual(config.NOTIFICATION_FATIGUE.get(2), {
      max: 2,
      windowMs: 3_600_000,
      minGapMs: 600_000,
    });
    assert.deepEqual(config.NOTIFICATION_FATIGUE.get(1), {
      max: 30,
      windowMs: 3_600_000,
      minGapMs: 0,
    });
    assert.equal(config.NOTIFICATION_OPEN_THRESHOLDS.get(3), 0.5);
    assert.equal(config.NOTIFICATION_OPEN_THRESHOLDS.get(4), 0.02);
    assert.equal(config.NOTIFICATION_MAX_AGE.get(1), undefined);
  });

  it('refuses a malformed entry, naming the variable', () => {
    for (const [variable, value] of [
      ['NOTIFICATION_FATIGUE', 'ACTIVITY=0/1h/0'],
      ['NOTIFICATION_FATIGUE', 'PUSH=1/1h/0'],
      ['NOTIFICATION_OPEN_THRESHOLDS', 'ACTIVITY=1.5'],
      ['NOTIFICATION_MAX_AGE', 'NEW_POST=soon'],
    ] as const) {
      assert.throws(
        () => loadConfig(notificationConfigShape, { [variable]: value }),
        (error: unknown) => error instanceof ConfigError && error.variable === variable,
        `${variable}=${value}`,
      );
    }
  });
});

describe('local time', () => {
  // T0 is 2027-01-15 08:00 UTC.
  it('reads the minute of the day in a time zone', () => {
    assert.equal(localMinuteOfDay(T0, 'UTC'), 8 * 60);
    assert.equal(localMinuteOfDay(T0, 'America/New_York'), 3 * 60);
    assert.equal(localMinuteOfDay(T0, 'Asia/Kolkata'), 13 * 60 + 30);
  });

  it('knows quiet hours that wrap past midnight, and that equal ends mean none', () => {
    const night = { timeZone: 'UTC', startMinute: 22 * 60, endMinute: 7 * 60 };
    assert.deepEqual(
      [23 * 60, 0, 6 * 60 + 59, 7 * 60, 12 * 60].map((m) => inQuietHours(m, night)),
      [true, true, true, false, false],
    );
    assert.equal(inQuietHours(0, { ...night, endMinute: 22 * 60 }), false);
  });

  it('says when the quiet hours around a moment end', () => {
    const newYorkNight = { timeZone: 'America/New_York', startMinute: 22 * 60, endMinute: 7 * 60 };
    assert.equal(quietHoursEnd(T0 + 59_000, newYorkNight), T0 + 4 * 3_600_000);
    assert.equal(quietHoursEnd(T0 + 5 * 3_600_000, newYorkNight), undefined);
  });
});
