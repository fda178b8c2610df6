import assert from 'node:assert/strict';
import { testRedisUrl } from '@feedmesh/testing';
import { runNotificationBench } from './notification-bench.js';

/** A small run of the benchmark, so it keeps working: what it reports, not how fast. */
describe('runNotificationBench (small)', function () {
  this.timeout(120_000);

  it('measures every like from the gateway to its stream, and holds and reaches every subscriber', async () => {
    const report = await runNotificationBench({
      redisUrl: testRedisUrl(),
      likes: 20,
      ratePerSecond: 20,
      owners: 5,
      subscribers: 50,
      channels: 2,
      idleSampleMs: 200,
    });
    assert.deepEqual([report.latency.sent, report.latency.received], [20, 20]);
    assert.ok(report.latency.p50Ms <= report.latency.p99Ms);
    assert.ok(report.latency.notificationCpuMsPerLike > 0);
    const subscribers = report.subscribers;
    assert.ok(subscribers);
    assert.deepEqual(
      [subscribers.listening, subscribers.held, subscribers.fanOutLatency.received],
      [50, 50, 50],
    );
    assert.equal(subscribers.latencyWhileHeld.received, 20);
  });

  it('fails at once, naming the URL and the option, when Redis does not answer', async () => {
    await assert.rejects(
      runNotificationBench({ redisUrl: 'redis://127.0.0.1:1', redisUrlSource: '--redis' }),
      /^UnavailableError: redis: cannot reach redis:\/\/127\.0\.0\.1:1 \(--redis\): ECONNREFUSED$/,
    );
  });
});
