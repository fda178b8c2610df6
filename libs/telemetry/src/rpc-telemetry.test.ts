import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { DataPoint, Histogram, MetricData } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { echov1 } from '@feedmesh/contracts';
import {
  ClientError,
  createChannel,
  createClientFactory,
  createServer,
  Metadata,
  ServerError,
  Status,
  type Channel,
  type CallContext,
  type Client,
  type Server,
} from 'nice-grpc';
import {
  clientTelemetryMiddleware,
  runAsService,
  serverTelemetryMiddleware,
  startTelemetry,
  withSpan,
  type InMemoryTelemetry,
} from './index.js';

const ECHO = 'feedmesh.echo.v1.EchoService/Echo';

describe('gRPC telemetry middleware', () => {
  let telemetry: InMemoryTelemetry;
  let server: Server;
  let channel: Channel;
  let client: Client<typeof echov1.EchoServiceDefinition>;

  before(async () => {
    telemetry = startTelemetry({ serviceName: 'rpc-telemetry-test', inMemory: true });
    server = createServer().use(serverTelemetryMiddleware('echo'));
    server.add(echov1.EchoServiceDefinition, {
      async echo(request) {
        if (request.payload.toString() === 'missing')
          throw new ServerError(Status.NOT_FOUND, 'no such echo');
        if (request.payload.toString() === 'broken')
          throw new ServerError(Status.INTERNAL, 'the echo broke');
        return withSpan('echo.work', {}, () => ({ payload: request.payload }));
      },
    });
    const port = await server.listen('127.0.0.1:0');
    channel = createChannel(`127.0.0.1:${port}`);
    client = createClientFactory()
      .use(clientTelemetryMiddleware())
      .create(echov1.EchoServiceDefinition, channel);
  });

  after(async () => {
    channel.close();
    await server.shutdown();
    await telemetry.shutdown();
  });

  beforeEach(() => telemetry.resetSpans());

  it('makes the server span a child of the client span, in one trace', async () => {
    await runAsService('gateway', () => client.echo({ payload: Buffer.from('hi') }));

    const clientSpan = onlySpan(telemetry.finishedSpans(), ECHO, SpanKind.CLIENT);
    const serverSpan = onlySpan(telemetry.finishedSpans(), ECHO, SpanKind.SERVER);
    const work = onlySpan(telemetry.finishedSpans(), 'echo.work', SpanKind.INTERNAL);
    assert.equal(serverSpan.spanContext().traceId, clientSpan.spanContext().traceId);
    assert.equal(serverSpan.parentSpanContext?.spanId, clientSpan.spanContext().spanId);
    assert.equal(work.parentSpanContext?.spanId, serverSpan.spanContext().spanId);
    assert.equal(clientSpan.attributes['feedmesh.service'], 'gateway');
    assert.equal(serverSpan.attributes['feedmesh.service'], 'echo');
    assert.equal(
      work.attributes['feedmesh.service'],
      'echo',
      'the handler runs as the serving service',
    );
    assert.equal(serverSpan.attributes['rpc.method'], 'Echo');
  });

  it("records the status code of a failing call on both spans, an error on the server's only when it is the server's", async () => {
    await assert.rejects(
      client.echo({ payload: Buffer.from('missing') }),
      (error) => error instanceof ClientError && error.code === Status.NOT_FOUND,
    );
    // The semantic conventions: a client span is an error for any code; a server span only for
    // UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE and DATA_LOSS, so bad
    // requests from callers do not show up as the server's errors.
    const client404 = onlySpan(telemetry.finishedSpans(), ECHO, SpanKind.CLIENT);
    const server404 = onlySpan(telemetry.finishedSpans(), ECHO, SpanKind.SERVER);
    assert.equal(client404.status.code, SpanStatusCode.ERROR);
    assert.equal(server404.status.code, SpanStatusCode.UNSET);
    for (const span of [client404, server404]) {
      assert.equal(span.attributes['rpc.grpc.status_code'], Status.NOT_FOUND);
    }

    telemetry.resetSpans();
    await assert.rejects(client.echo({ payload: Buffer.from('broken') }));
    for (const kind of [SpanKind.CLIENT, SpanKind.SERVER]) {
      const span = onlySpan(telemetry.finishedSpans(), ECHO, kind);
      assert.equal(span.status.code, SpanStatusCode.ERROR, SpanKind[kind]);
      assert.equal(span.attributes['rpc.grpc.status_code'], Status.INTERNAL);
    }
  });

  it('counts each call in the latency histogram of its method and status code', async () => {
    const before = await callsCounted();
    await client.echo({ payload: Buffer.from('hi') });
    await assert.rejects(client.echo({ payload: Buffer.from('missing') }));
    const after = await callsCounted();

    for (const side of ['server', 'client'] as const) {
      for (const code of [Status.OK, Status.NOT_FOUND]) {
        const key = `${side} ${code}`;
        assert.equal((after.get(key) ?? 0) - (before.get(key) ?? 0), 1, key);
      }
    }
  });

  it('records a response stream ended early from outside (its caller went away) as CANCELLED', async () => {
    // nice-grpc returns the stream, without an error, when the caller cancels while the server
    // waits for the caller to read (backpressure): the call did not succeed.
    const caller = new AbortController();
    const stream = serverTelemetryMiddleware('watcher')(
      watchCall(async function* () {
        for (let i = 0; ; i++) yield i;
      }),
      callContext(caller.signal),
    );
    const before = await watchCounts();
    await stream.next();
    caller.abort();
    await stream.return(undefined);

    assert.deepEqual(delta(before, await watchCounts()), { [Status.CANCELLED]: 1 });
  });

  it('records a call that finished after its caller cancelled it as CANCELLED', async () => {
    const caller = new AbortController();
    const stream = serverTelemetryMiddleware('watcher')(
      watchCall(async function* () {
        yield 1;
        caller.abort(); // the handler does not look at the signal and carries on
        yield 2;
      }),
      callContext(caller.signal),
    );
    const before = await watchCounts();
    for await (const _ of stream);

    assert.deepEqual(delta(before, await watchCounts()), { [Status.CANCELLED]: 1 });
  });

  /** Server-side Watch calls counted so far, by status code. */
  async function watchCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    const metric = (await telemetry.collectMetrics()).find(
      (candidate) => candidate.descriptor.name === 'rpc.server.duration',
    );
    for (const point of (metric?.dataPoints ?? []) as DataPoint<Histogram>[]) {
      if (point.attributes['rpc.method'] !== 'Watch') continue;
      const code = String(point.attributes['rpc.grpc.status_code']);
      counts[code] = (counts[code] ?? 0) + point.value.count;
    }
    return counts;
  }

  /** Echo calls counted so far, by `side code`. */
  async function callsCounted(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const side of ['server', 'client']) {
      const metric = findMetric(await telemetry.collectMetrics(), `rpc.${side}.duration`);
      assert.equal(metric.descriptor.unit, 'ms');
      for (const point of metric.dataPoints as DataPoint<Histogram>[]) {
        if (point.attributes['rpc.method'] !== 'Echo') continue;
        assert.ok(point.value.sum !== undefined && point.value.sum > 0, 'latency is recorded');
        const key = `${side} ${String(point.attributes['rpc.grpc.status_code'])}`;
        counts.set(key, (counts.get(key) ?? 0) + point.value.count);
      }
    }
    return counts;
  }
});

/** A server-streaming call of `/feedmesh.test.v1.WatchService/Watch` served by `handler`. */
function watchCall(handler: () => AsyncGenerator<number, void, undefined>) {
  return {
    method: {
      path: '/feedmesh.test.v1.WatchService/Watch',
      requestStream: false as const,
      responseStream: true as const,
      options: {},
    },
    requestStream: false as const,
    request: {},
    responseStream: true as const,
    next: handler,
  };
}

function callContext(signal: AbortSignal): CallContext {
  return {
    metadata: Metadata(),
    peer: 'ipv4:127.0.0.1:50000',
    header: Metadata(),
    sendHeader: () => undefined,
    trailer: Metadata(),
    signal,
  };
}

function delta(before: Record<string, number>, after: Record<string, number>) {
  return Object.fromEntries(
    Object.entries(after)
      .map(([code, count]) => [code, count - (before[code] ?? 0)] as const)
      .filter(([, count]) => count !== 0),
  );
}

function onlySpan(spans: ReadableSpan[], name: string, kind: SpanKind): ReadableSpan {
  const matching = spans.filter((span) => span.name === name && span.kind === kind);
  assert.equal(matching.length, 1, `one ${SpanKind[kind]} span named ${name}`);
  return matching[0]!;
}

function findMetric(metrics: MetricData[], name: string): MetricData {
  const metric = metrics.find((candidate) => candidate.descriptor.name === name);
  assert.ok(metric, `metric ${name} is recorded`);
  return metric;
}
