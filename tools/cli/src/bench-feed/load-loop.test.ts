import assert from 'node:assert/strict';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import { runLoad } from './load-loop.js';

describe('the load loop', () => {
  it('keeps exactly the given number of callers busy in closed loop', async () => {
    let inFlight = 0;
    let most = 0;
    const run = await runLoad({
      shape: { kind: 'closed', concurrency: 3 },
      // Long beside a stall of a loaded machine: with 150 ms, one stall after the first three
      // calls started ended the run there ('only 3 calls').
      durationMs: 1_000,
      call: async () => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await sleep(5);
        inFlight -= 1;
        return {};
      },
    });
    assert.equal(most, 3);
    assert.ok(run.ok > 3, `only ${run.ok} calls`);
    assert.equal(run.sent, run.ok);
    assert.equal(run.latenciesMs.length, run.ok);
    assert.ok(run.latenciesMs.every((ms) => ms >= 0));
  });

  it('counts failures by kind and degraded answers by component, apart from latencies', async () => {
    let n = 0;
    const run = await runLoad({
      shape: { kind: 'closed', concurrency: 1 },
      durationMs: 100,
      errorKey: (error) => (error as Error).message,
      call: async () => {
        n += 1;
        await tick();
        if (n % 3 === 0) throw new Error('UNAVAILABLE');
        return { degraded: n % 3 === 1 ? ['ranker', 'source:tags'] : [] };
      },
    });
    assert.equal(run.sent, n);
    assert.equal(run.errors, Math.floor(n / 3));
    assert.deepEqual(run.errorsByKind, run.errors ? { UNAVAILABLE: run.errors } : {});
    assert.equal(run.ok + run.errors, run.sent);
    assert.equal(run.latenciesMs.length, run.ok);
    assert.equal(run.degraded, Math.ceil(n / 3));
    assert.deepEqual(run.degradedBy, { ranker: run.degraded, 'source:tags': run.degraded });
  });

  it('never sends more open-loop calls than the schedule has slots', async () => {
    const run = await runLoad({
      shape: { kind: 'open', ratePerSecond: 200 },
      durationMs: 100,
      call: async () => ({}),
    });
    assert.ok(run.sent >= 1 && run.sent <= 20, `${run.sent} calls for 20 slots`);
    assert.equal(run.ok, run.sent);
  });

  it('counts an open-loop call as overload when too many are in flight', async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const running = runLoad({
      shape: { kind: 'open', ratePerSecond: 500, maxInFlight: 1 },
      durationMs: 60,
      call: async () => {
        await released;
        return {};
      },
    });
    setTimeout(release, 200);
    const run = await running;
    assert.equal(run.ok, 1);
    assert.equal(run.errors, run.sent - 1);
    assert.equal(run.errorsByKind['overload'], run.sent - 1);
  });
});
