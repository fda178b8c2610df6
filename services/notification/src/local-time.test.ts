import assert from 'node:assert/strict';
import { localMinuteOfDay, quietHoursEnd } from './local-time.js';

const newYorkNight = { timeZone: 'America/New_York', startMinute: 22 * 60, endMinute: 7 * 60 };

describe('quiet hours across a daylight-saving change', () => {
  it('end at their local end on the night the clocks spring forward, not an hour late', () => {
    // 2027-03-13 23:00 EST; at 02:00 on the 14th New York goes to EDT (UTC-4).
    const at = Date.parse('2027-03-14T04:00:00Z');
    const end = quietHoursEnd(at, newYorkNight);
    assert.equal(new Date(end ?? 0).toISOString(), '2027-03-14T11:00:00.000Z'); // 07:00 EDT
    assert.equal(localMinuteOfDay(end ?? 0, newYorkNight.timeZone), 7 * 60);
  });

  it('end at their local end on the night the clocks fall back, not an hour early', () => {
    // 2027-11-06 23:00 EDT; at 02:00 on the 7th New York goes back to EST (UTC-5).
    const at = Date.parse('2027-11-07T03:00:00Z');
    const end = quietHoursEnd(at, newYorkNight);
    assert.equal(new Date(end ?? 0).toISOString(), '2027-11-07T12:00:00.000Z'); // 07:00 EST
  });

  it('end at the first minute after them when their end falls in the skipped hour', () => {
    // Quiet until 02:30, which does not exist on 2027-03-14: 01:59 EST is followed by 03:00 EDT.
    const quiet = { ...newYorkNight, endMinute: 2 * 60 + 30 };
    const end = quietHoursEnd(Date.parse('2027-03-14T04:00:00Z'), quiet);
    assert.equal(new Date(end ?? 0).toISOString(), '2027-03-14T07:00:00.000Z'); // 03:00 EDT
  });

  it('are unchanged on an ordinary night and in a zone with a half-hour offset', () => {
    const june = Date.parse('2027-06-01T03:00:00Z'); // 23:00 EDT
    assert.equal(quietHoursEnd(june, newYorkNight), Date.parse('2027-06-01T11:00:00Z'));
    const kolkata = { ...newYorkNight, timeZone: 'Asia/Kolkata' };
    // 22:30 IST: quiet until 07:00 IST, 01:30 UTC.
    assert.equal(
      quietHoursEnd(Date.parse('2027-06-01T17:00:00Z'), kolkata),
      Date.parse('2027-06-02T01:30:00Z'),
    );
  });
});
