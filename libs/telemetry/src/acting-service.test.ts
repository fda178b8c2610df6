import assert from 'node:assert/strict';
import { runAsService, startTelemetry, withSpan, type InMemoryTelemetry } from './index.js';

describe('feedmesh.service on spans', () => {
  let telemetry: InMemoryTelemetry;

  before(() => {
    telemetry = startTelemetry({ serviceName: 'acting-service-test', inMemory: true });
  });

  after(() => telemetry.shutdown());

  it('is the service the work runs as, else the only one running, else absent', async () => {
    await withSpan('alone', {}, () => undefined);
    const other = startTelemetry({ serviceName: 'other-service', inMemory: true });
    try {
      await withSpan('ambiguous', {}, () => undefined);
      await runAsService('consumer', () =>
        withSpan('explicit', {}, () => withSpan('nested', {}, () => undefined)),
      );
    } finally {
      await other.shutdown();
    }

    const labels = Object.fromEntries(
      telemetry.finishedSpans().map((span) => [span.name, span.attributes['feedmesh.service']]),
    );
    assert.deepEqual(labels, {
      alone: 'acting-service-test',
      ambiguous: undefined,
      explicit: 'consumer',
      nested: 'consumer',
    });
  });
});
