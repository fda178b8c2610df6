import assert from 'node:assert/strict';
import type { DataPoint } from '@opentelemetry/sdk-metrics';
import { registerObservableGauge, startTelemetry, type InMemoryTelemetry } from './index.js';

describe('registerObservableGauge', () => {
  let telemetry: InMemoryTelemetry;

  before(() => {
    telemetry = startTelemetry({ serviceName: 'metrics-test', inMemory: true });
  });

  after(() => telemetry.shutdown());

  it('reports the values read at each collection, by attributes', async () => {
    const lag = new Map([['ranker', 7]]);
    const stop = registerObservableGauge('test.consumer.lag', { unit: '{message}' }, () =>
      [...lag].map(([group, value]) => ({
        value,
        attributes: { 'messaging.consumer.group.name': group },
      })),
    );
    try {
      assert.deepEqual(await gaugePoints(), [['ranker', 7]]);
      lag.set('ranker', 2);
      assert.deepEqual(await gaugePoints(), [['ranker', 2]]);
    } finally {
      stop();
    }
  });

  async function gaugePoints(): Promise<[unknown, number][]> {
    const metric = (await telemetry.collectMetrics()).find(
      (candidate) => candidate.descriptor.name === 'test.consumer.lag',
    );
    assert.ok(metric, 'the gauge is collected');
    return (metric.dataPoints as DataPoint<number>[]).map((point) => [
      point.attributes['messaging.consumer.group.name'],
      point.value,
    ]);
  }
});
