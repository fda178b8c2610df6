import assert from 'node:assert/strict';
import type { GroupLag } from '@feedmesh/events';
import { NotFoundError } from '@feedmesh/errors';
import { GroupCatchUp } from './log-catch-up.js';

/** A log whose group reports these lags, one a look (the last one from then on). */
function logReporting(...lags: (GroupLag | Error)[]) {
  let looks = 0;
  return {
    get looks() {
      return looks;
    },
    async lag(): Promise<GroupLag> {
      const lag = lags[Math.min(looks, lags.length - 1)]!;
      looks += 1;
      if (lag instanceof Error) throw lag;
      return lag;
    },
  };
}

describe('GroupCatchUp', () => {
  const once = { waitMs: 0, pollMs: 1 };
  const patient = { waitMs: 60_000, pollMs: 1 };

  it('has caught up only with nothing undelivered and nothing pending', async () => {
    const caughtUp = (lag: GroupLag) =>
      new GroupCatchUp(logReporting(lag), 'notification', once).caughtUp();
    assert.equal(await caughtUp({ undelivered: 0, pending: 0 }), true);
    assert.equal(await caughtUp({ undelivered: 3, pending: 0 }), false);
    assert.equal(await caughtUp({ undelivered: 0, pending: 1 }), false);
  });

  it('has not caught up with a group the log does not know yet, nor when the lag cannot be read', async () => {
    const unknown = new GroupCatchUp(
      logReporting(new NotFoundError('consumer group', 'notification')),
      'notification',
      once,
    );
    assert.equal(await unknown.caughtUp(), false);
    const down = new GroupCatchUp(logReporting(new Error('ECONNREFUSED')), 'notification', once);
    assert.equal(await down.caughtUp(), false);
  });

  it('looks again while it may wait, until the group has caught up', async () => {
    const log = logReporting(
      { undelivered: 40, pending: 10 },
      { undelivered: 0, pending: 10 },
      { undelivered: 0, pending: 0 },
    );
    assert.equal(await new GroupCatchUp(log, 'notification', patient).caughtUp(), true);
    assert.equal(log.looks, 3);
  });

  it('stops waiting when its signal aborts', async () => {
    const log = logReporting({ undelivered: 1, pending: 0 });
    const stopping = new AbortController();
    const waiting = new GroupCatchUp(log, 'notification', patient).caughtUp(stopping.signal);
    stopping.abort();
    assert.equal(await waiting, false);
  });
});
