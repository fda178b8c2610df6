import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { SpanKind } from '@opentelemetry/api';
import { echov1 } from '@feedmesh/contracts';
import { createChannel, createClientFactory } from 'nice-grpc';
import {
  clientTelemetryMiddleware,
  startOtlpJsonReceiver,
  startTelemetry,
  type InMemoryTelemetry,
  type OtlpJsonReceiver,
  type ReceivedSpan,
} from './index.js';

describe('OTLP/HTTP JSON export from a service process', () => {
  let receiver: OtlpJsonReceiver;
  let telemetry: InMemoryTelemetry;
  let service: ChildProcess;
  let port: number;

  before(async () => {
    receiver = await startOtlpJsonReceiver();
    telemetry = startTelemetry({ serviceName: 'otlp-export-test', inMemory: true });
    service = spawn(
      process.execPath,
      [fileURLToPath(new URL('./otlp-export.fixture.js', import.meta.url))],
      {
        env: {
          ...process.env,
          OTEL_TRACES_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_BSP_SCHEDULE_DELAY: '100',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const [firstOutput] = (await once(service.stdout!, 'data')) as [Buffer];
    port = Number(firstOutput.toString().trim());
  });

  after(async () => {
    if (service.exitCode === null) {
      service.kill('SIGKILL');
      await once(service, 'exit');
    }
    await telemetry.shutdown();
    await receiver.close();
  });

  it('delivers the service’s spans, in the caller’s trace, within the batch delay', async () => {
    const channel = createChannel(`127.0.0.1:${port}`);
    const client = createClientFactory()
      .use(clientTelemetryMiddleware())
      .create(echov1.EchoServiceDefinition, channel);
    await client.echo({ payload: Buffer.from('ping') });
    channel.close();
    const clientSpan = telemetry.finishedSpans().find((span) => span.kind === SpanKind.CLIENT);
    assert.ok(clientSpan, 'the call made a client span');

    // 2 s is well under the default 5 s batch delay: arriving in time means OTEL_BSP_SCHEDULE_DELAY
    // was honoured, without waiting for the service to stop.
    const spans = await receiver.waitForSpans((received) => received.length >= 2, 2_000);

    const serverSpan = only(spans, 'feedmesh.echo.v1.EchoService/Echo');
    const redisSpan = only(spans, 'GET');
    assert.equal(serverSpan.traceId, clientSpan.spanContext().traceId);
    assert.equal(serverSpan.parentSpanId, clientSpan.spanContext().spanId);
    assert.equal(serverSpan.serviceName, 'echo-fixture');
    assert.equal(serverSpan.attributes['feedmesh.service'], 'echo');
    assert.equal(serverSpan.attributes['rpc.grpc.status_code'], 0);
    assert.equal(redisSpan.parentSpanId, serverSpan.spanId);
    assert.equal(redisSpan.attributes['db.system'], 'redis');
  });

  it('stops cleanly on SIGTERM', async () => {
    service.kill('SIGTERM');
    const [code] = (await once(service, 'exit')) as [number | null];

    assert.equal(code, 0);
  });
});

function only(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const matching = spans.filter((span) => span.name === name);
  assert.equal(matching.length, 1, `one span named ${name}`);
  return matching[0]!;
}
