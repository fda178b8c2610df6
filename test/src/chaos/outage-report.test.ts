import assert from 'node:assert/strict';
import type { CallSample } from './closed-loop.js';
import { outageReport, type Outage } from './outage-report.js';

const outage: Outage = {
  service: 'ranker',
  crashedAt: 1_000,
  listeningAt: 3_000,
  observedUntil: 10_000,
};

function feed(startedAt: number, degraded: Record<string, string> = {}): CallSample {
  return {
    startedAt,
    endedAt: startedAt + 50,
    status: 'OK',
    items: 20,
    degraded: Object.keys(degraded),
    reasons: Object.values(degraded),
  };
}

const judge = {
  succeeded: (s: CallSample) => s.status === 'OK' && s.items > 0,
  unhealthy: (s: CallSample) => s.degraded.includes('ranker'),
};

describe('outage report: what one outage of a service did to the feeds', () => {
  it('counts recovery from the restart listening to the first call of the healthy run that follows', () => {
    const report = outageReport(
      [
        feed(1_500, { ranker: 'ranking unavailable' }),
        feed(3_100, { ranker: 'ranking unavailable' }),
        feed(4_200),
        feed(5_000),
      ],
      outage,
      judge,
    );
    assert.equal(report.recoveryMs, 1_200);
    assert.equal(report.callsWhileDown, 1);
    assert.equal(report.degradedWhileDown, 1);
    assert.match(
      report.lastUnhealthy!,
      /^started 100 ms after the restart.*ranker: ranking unavailable/,
    );
  });

  it('says recovery never came when the observation ends on an unhealthy call, and names its reason', () => {
    const report = outageReport(
      [feed(4_000), feed(9_000, { ranker: 'deadline exceeded; ordered by source score' })],
      outage,
      judge,
    );
    assert.equal(report.recoveryMs, undefined);
    assert.match(report.lastUnhealthy!, /started 6000 ms after the restart.*deadline exceeded/);
  });

  it('reports recovery 0 and no unhealthy call when nothing counted against it', () => {
    const report = outageReport(
      [
        feed(2_000),
        feed(4_000, {
          'candidate-generation': 'post descriptions unavailable (deadline exceeded after 30 ms)',
        }),
      ],
      outage,
      judge,
    );
    assert.equal(report.recoveryMs, 0);
    assert.equal(report.lastUnhealthy, undefined);
    assert.deepEqual(report.otherDegraded, {
      'candidate-generation: post descriptions unavailable': 1,
    });
  });

  it('leaves out calls started before the crash or after the observation', () => {
    const report = outageReport(
      [feed(500, { ranker: 'x' }), feed(2_000), feed(10_500, { ranker: 'x' })],
      outage,
      judge,
    );
    assert.equal(report.calls, 1);
    assert.equal(report.recoveryMs, 0);
  });
});
