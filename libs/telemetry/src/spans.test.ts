import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { startTelemetry, traceRedis, withSpan, type InMemoryTelemetry } from './index.js';

describe('withSpan and traceRedis', () => {
  let telemetry: InMemoryTelemetry;

  before(() => {
    telemetry = startTelemetry({ serviceName: 'spans-test', inMemory: true });
  });

  after(() => telemetry.shutdown());

  beforeEach(() => telemetry.resetSpans());

  it('ends the span with an error status and the exception when fn throws, and rethrows', async () => {
    const failure = new Error('source timed out');

    await assert.rejects(
      withSpan('source.in-network', { 'feedmesh.user': 'u1' }, () => {
        throw failure;
      }),
      (error) => error === failure,
    );

    const [span] = telemetry.finishedSpans();
    assert.equal(span?.name, 'source.in-network');
    assert.equal(span.attributes['feedmesh.user'], 'u1');
    assert.deepEqual(span.status, { code: SpanStatusCode.ERROR, message: 'source timed out' });
    assert.equal(span.events[0]?.name, 'exception');
    assert.equal(span.events[0]?.attributes?.['exception.message'], 'source timed out');
  });

  it('traces a Redis round trip as a client span under the active span', async () => {
    const value = await withSpan('features.hydrate', {}, () =>
      traceRedis('HGETALL', async () => 'hash', { 'db.namespace': '0' }),
    );

    assert.equal(value, 'hash');
    const redis = telemetry.finishedSpans().find((span) => span.name === 'HGETALL');
    const parent = telemetry.finishedSpans().find((span) => span.name === 'features.hydrate');
    assert.equal(redis?.kind, SpanKind.CLIENT);
    assert.equal(redis.parentSpanContext?.spanId, parent?.spanContext().spanId);
    assert.equal(redis.attributes['db.system'], 'redis');
    assert.equal(redis.attributes['db.system.name'], 'redis');
    assert.equal(redis.attributes['db.operation.name'], 'HGETALL');
    assert.equal(redis.attributes['db.namespace'], '0');
  });
});
