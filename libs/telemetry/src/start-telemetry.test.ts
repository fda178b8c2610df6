import assert from 'node:assert/strict';
import { startOtlpJsonReceiver, startTelemetry, withSpan, type OtlpJsonReceiver } from './index.js';

const names = (spans: readonly { name: string }[]) => spans.map((span) => span.name);

describe('startTelemetry', () => {
  it('keeps recording for a handle when another one in the process shuts down', async () => {
    const first = startTelemetry({ serviceName: 'first', inMemory: true });
    const second = startTelemetry({ serviceName: 'second', inMemory: true });
    try {
      await second.shutdown();
      await withSpan('after-second-stopped', {}, () => undefined);

      assert.deepEqual(names(first.finishedSpans()), ['after-second-stopped']);
    } finally {
      await first.shutdown();
    }
  });

  it('records again when started after every handle has shut down', async () => {
    const before = startTelemetry({ serviceName: 'before', inMemory: true });
    await before.shutdown();

    const again = startTelemetry({ serviceName: 'again', inMemory: true });
    try {
      await withSpan('restarted', {}, () => undefined);

      assert.deepEqual(names(again.finishedSpans()), ['restarted']);
    } finally {
      await again.shutdown();
    }
  });

  describe('exporting', () => {
    let receiver: OtlpJsonReceiver;

    before(async () => {
      receiver = await startOtlpJsonReceiver();
    });

    after(() => receiver.close());

    it('exports while an exporting handle lives, flushing when the last one shuts down', async () => {
      const env = {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_METRICS_EXPORTER: 'none',
      };
      const recorder = startTelemetry({ serviceName: 'recorder', inMemory: true });
      const exporting = [
        startTelemetry({ serviceName: 'exporter-a', env }),
        startTelemetry({ serviceName: 'exporter-b', env }),
      ];
      try {
        await withSpan('while-exporting', {}, () => undefined);
        for (const handle of exporting) await handle.shutdown();
        // The default 5 s batch delay has not passed: only the last shutdown's flush sent it.
        assert.deepEqual(names(receiver.spans()), ['while-exporting']);

        await withSpan('after-exporting', {}, () => undefined);
        assert.deepEqual(names(recorder.finishedSpans()), ['while-exporting', 'after-exporting']);
        assert.deepEqual(names(receiver.spans()), ['while-exporting']);
      } finally {
        await Promise.all([...exporting, recorder].map((handle) => handle.shutdown()));
      }
    });
  });
});
