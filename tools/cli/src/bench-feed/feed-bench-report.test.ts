import assert from 'node:assert/strict';
import { candidateCounts, ratioOf, stageTimings, summarizeRun } from './feed-bench-report.js';
import { summarizeLatencies } from './latency-summary.js';
import type { RecordedSpan } from './span-recorder.js';

const span = (name: string, durationMs: number, numbers = {}): RecordedSpan => ({
  service: 'feed-gateway',
  name,
  startMs: 0,
  durationMs,
  numbers,
});

describe('the feed bench report', () => {
  it('takes nearest-rank percentiles', () => {
    const summary = summarizeLatencies(Array.from({ length: 100 }, (_, i) => 100 - i));
    assert.deepEqual(summary, {
      count: 100,
      p50Ms: 50,
      p95Ms: 95,
      p99Ms: 99,
      meanMs: 50.5,
      maxMs: 100,
    });
    assert.ok(Number.isNaN(summarizeLatencies([]).p99Ms));
  });

  it('turns a run into calls per second, degraded share and CPU per process', () => {
    const summary = summarizeRun(
      {
        shape: { kind: 'closed', concurrency: 2 },
        elapsedMs: 2_000,
        sent: 405,
        ok: 400,
        degraded: 100,
        degradedBy: { ranker: 100 },
        errors: 5,
        errorsByKind: { DEADLINE_EXCEEDED: 5 },
        latenciesMs: new Float64Array(400).fill(3),
      },
      [{ name: 'ranker', pid: 1, cpuMs: 500.4, cores: 0.25 }],
      1.5,
    );
    assert.equal(summary.callsPerSecond, 200);
    assert.equal(summary.degradedShare, 0.25);
    assert.equal(summary.errors, 5);
    assert.equal(summary.latency.p99Ms, 3);
    assert.deepEqual(summary.cpu, [{ name: 'ranker', pid: 1, cpuMs: 500, cores: 0.25 }]);
  });

  it('averages candidates per feed over the sampled pipeline spans only', () => {
    const counts = candidateCounts([
      span('feed.pipeline', 10, {
        'feedmesh.candidates.generated': 1000,
        'feedmesh.candidates.filtered': 900,
      }),
      span('feed.pipeline', 10, {
        'feedmesh.candidates.generated': 800,
        'feedmesh.candidates.filtered': 700,
      }),
      span('filter previously-served', 1, { 'feedmesh.candidates.in': 5 }),
    ]);
    assert.deepEqual(counts, { sampledFeeds: 2, generatedMean: 900, scoredMean: 800 });
  });

  it('lists span names slowest first', () => {
    const stages = stageTimings([span('a', 1), span('b', 10), span('b', 30), span('a', 3)]);
    assert.deepEqual(
      stages.map((s) => [s.name, s.count, s.meanMs]),
      [
        ['b', 2, 20],
        ['a', 2, 2],
      ],
    );
  });

  it('gives the ratio to echo only when echo was measured', () => {
    assert.equal(ratioOf(50, 200), 0.25);
    assert.equal(ratioOf(50, undefined), undefined);
    assert.equal(ratioOf(50, 0), undefined);
  });
});
