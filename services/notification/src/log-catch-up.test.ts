import assert from 'node:assert/strict';
import type { eventsv1 } from '@feedmesh/contracts';
import type { EventLog, LogMark } from '@feedmesh/events';
import { waitFor } from '@feedmesh/testing';
import { GroupCatchUp } from './log-catch-up.js';
import { testRuntime, type StoreKind } from './test-fixtures/harness.js';

const MARK: LogMark = { ends: ['7', '0'] };

/**
 * A log whose end is `MARK` (or whose `endMark` fails with the errors given first), and whose
 * group has handled up to it as these answers say, one a look (the last one from then on).
 */
function logAnswering(answers: (boolean | Error)[], markFailures: Error[] = []) {
  let looks = 0;
  const marksTaken: LogMark[] = [];
  const marksAsked: LogMark[] = [];
  return {
    get looks() {
      return looks;
    },
    marksTaken,
    marksAsked,
    async endMark(): Promise<LogMark> {
      const failure = markFailures[marksTaken.length];
      marksTaken.push(MARK);
      if (failure !== undefined) throw failure;
      return MARK;
    },
    async handledUpTo(_group: string, mark: LogMark): Promise<boolean> {
      marksAsked.push(mark);
      const answer = answers[Math.min(looks, answers.length - 1)]!;
      looks += 1;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

describe('GroupCatchUp', () => {
  const once = { waitMs: 0, pollMs: 1 };
  const patient = { waitMs: 60_000, pollMs: 1 };

  it('looks again while it may wait, always against the mark it took at the start', async () => {
    const log = logAnswering([false, false, true]);
    assert.equal(await new GroupCatchUp(log, 'notification', patient).caughtUp(), true);
    assert.equal(log.looks, 3);
    assert.equal(log.marksTaken.length, 1, 'one mark a call');
    assert.deepEqual(log.marksAsked, [MARK, MARK, MARK]);
  });

  it('has not caught up when the group has not handled up to the mark within the wait', async () => {
    const log = logAnswering([false]);
    assert.equal(await new GroupCatchUp(log, 'notification', once).caughtUp(), false);
    assert.equal(log.looks, 1);
  });

  it('has not caught up when the log cannot be read, and takes the mark at a later look if it could not at the start', async () => {
    const down = logAnswering([new Error('ECONNREFUSED')]);
    assert.equal(await new GroupCatchUp(down, 'notification', once).caughtUp(), false);
    const noMark = logAnswering([true], [new Error('ECONNREFUSED')]);
    assert.equal(await new GroupCatchUp(noMark, 'notification', once).caughtUp(), false);
    assert.equal(noMark.looks, 0, 'nothing to look for without a mark');

    const markLater = logAnswering([true], [new Error('ECONNREFUSED')]);
    assert.equal(await new GroupCatchUp(markLater, 'notification', patient).caughtUp(), true);
    assert.equal(markLater.marksTaken.length, 2);
  });

  it('stops waiting when its signal aborts', async () => {
    const log = logAnswering([false]);
    const stopping = new AbortController();
    const waiting = new GroupCatchUp(log, 'notification', patient).caughtUp(stopping.signal);
    stopping.abort();
    assert.equal(await waiting, false);
  });
});

function sessionStarted(eventId: string, userId: string): eventsv1.Event {
  return { eventId, atMs: 0, payload: { $case: 'sessionStarted', value: { userId } } };
}

/** The log, with a promise that resolves once the catch-up's first look at it has answered. */
function watched(log: EventLog) {
  let answered = (): void => {};
  const firstLook = new Promise<void>((resolve) => (answered = resolve));
  const looked = <T>(value: T): T => {
    answered();
    return value;
  };
  return {
    firstLook,
    log: {
      lag: (group: string) => log.lag(group).then(looked),
      endMark: () => log.endMark().then(looked),
      handledUpTo: (...args: Parameters<EventLog['handledUpTo']>) => log.handledUpTo(...args),
    },
  };
}

for (const kind of ['memory', 'redis'] as const satisfies readonly StoreKind[]) {
  describe(`GroupCatchUp on a busy log (${kind})`, () => {
    it('has caught up once everything appended before the call is handled, though newer events keep the lag above 0', async () => {
      const { runtime, dispose } = testRuntime(kind);
      const log = runtime.eventLog;
      let releaseEarly = (): void => {};
      const early = new Promise<void>((resolve) => (releaseEarly = resolve));
      let releaseLate = (): void => {};
      const late = new Promise<void>((resolve) => (releaseLate = resolve));
      const consumer = await log.consume({
        group: 'notification',
        consumer: 'c1',
        batchSize: 2,
        pollIntervalMs: 10,
        handler: async (event) => {
          await (event.eventId.startsWith('late') ? late : early);
        },
      });
      try {
        const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
        await log.append(users.map((user) => sessionStarted(`early-${user}`, user)));
        await waitFor(
          'the early events being handled',
          async () => (await log.lag('notification')).pending > 0,
        );
        const watching = watched(log);
        const catchUp = new GroupCatchUp(watching.log, 'notification', {
          waitMs: 20_000,
          pollMs: 10,
        });

        const caughtUp = catchUp.caughtUp();
        await watching.firstLook;
        // From here on the log is busy: the group holds newer events and has others to read.
        await log.append(
          users.flatMap((user) =>
            [1, 2, 3, 4].map((n) => sessionStarted(`late-${n}-${user}`, user)),
          ),
        );
        releaseEarly();

        assert.equal(await caughtUp, true);
        const lag = await log.lag('notification');
        assert.ok(lag.pending + lag.undelivered > 0, `lag ${JSON.stringify(lag)}`);
      } finally {
        releaseEarly();
        releaseLate();
        await consumer.stop();
        await dispose();
      }
    });
  });
}
