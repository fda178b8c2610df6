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
  rpcMetricConventions,
  runAsService,
  serverTelemetryMiddleware,
  startTelemetry,
  withSpan,
  type InMemoryTelemetry,
  type RpcMetricConventions,
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

describe('RPC metric conventions (OTEL_SEMCONV_STABILITY_OPT_IN)', () => {
  it('keeps the older conventions unless rpc or rpc/dup is opted in, rpc/dup winning', () => {
    const of = (value?: string) => rpcMetricConventions({ OTEL_SEMCONV_STABILITY_OPT_IN: value });
    assert.equal(of(undefined), 'old');
    assert.equal(of(''), 'old');
    assert.equal(of('http,database'), 'old');
    assert.equal(of('rpc'), 'stable');
    assert.equal(of(' http , rpc '), 'stable');
    assert.equal(of('rpc/dup'), 'both');
    assert.equal(of('rpc,rpc/dup'), 'both');
    assert.equal(of('rpc/dup,rpc'), 'both');
  });

  describe('a server and a client recording the stable conventions', () => {
    const recorded = withEcho('stable');

    it('records rpc.{server,client}.call.duration in seconds with the stable attributes', async () => {
      const { telemetry, client, port } = recorded();
      await runAsService('stable-caller', () => client.echo({ payload: Buffer.from('hi') }));
      await assert.rejects(
        runAsService('stable-caller', () => client.echo({ payload: Buffer.from('missing') })),
      );
      await assert.rejects(
        runAsService('stable-caller', () => client.echo({ payload: Buffer.from('broken') })),
      );
      const metrics = await telemetry.collectMetrics();

      const server = pointsOf(metrics, 'rpc.server.call.duration', 'echo-stable');
      const calling = pointsOf(metrics, 'rpc.client.call.duration', 'stable-caller');
      for (const metric of [server, calling]) assert.equal(metric.unit, 's');
      assert.deepEqual(server.byStatus, { OK: 1, NOT_FOUND: 1, INTERNAL: 1 });
      assert.deepEqual(calling.byStatus, { OK: 1, NOT_FOUND: 1, INTERNAL: 1 });
      for (const point of [...server.points, ...calling.points]) {
        assert.equal(point.attributes['rpc.system.name'], 'grpc');
        assert.equal(point.attributes['rpc.method'], ECHO);
        assert.equal(point.attributes['rpc.grpc.status_code'], undefined);
        assert.equal(point.attributes['rpc.service'], undefined);
      }
      // error.type: any failure on the client; on the server only the server's own failures.
      assert.deepEqual(server.errorTypes, {
        OK: undefined,
        NOT_FOUND: undefined,
        INTERNAL: 'INTERNAL',
      });
      assert.deepEqual(calling.errorTypes, {
        OK: undefined,
        NOT_FOUND: 'NOT_FOUND',
        INTERNAL: 'INTERNAL',
      });
      for (const point of calling.points) {
        assert.equal(point.attributes['server.address'], '127.0.0.1');
        assert.equal(point.attributes['server.port'], port);
      }
      assert.equal(
        pointsOf(metrics, 'rpc.server.duration', 'echo-stable').points.length,
        0,
        'the older histogram is no longer recorded',
      );
    });
  });

  describe('a server recording both conventions (rpc/dup)', () => {
    const recorded = withEcho('both');

    it('records each call in both histograms, the same duration in ms and in s', async () => {
      const { telemetry, client } = recorded();
      await client.echo({ payload: Buffer.from('hi') });
      const metrics = await telemetry.collectMetrics();

      const old = pointsOf(metrics, 'rpc.server.duration', 'echo-both');
      const stable = pointsOf(metrics, 'rpc.server.call.duration', 'echo-both');
      assert.equal(old.unit, 'ms');
      assert.deepEqual(stable.byStatus, { OK: 1 });
      assert.equal(old.points.length, 1);
      assert.equal(old.points[0]!.attributes['rpc.grpc.status_code'], Status.OK);
      const [ms, s] = [old.points[0]!.value.sum!, stable.points[0]!.value.sum!];
      assert.ok(ms > 0);
      assert.ok(Math.abs(ms / 1000 - s) < 1e-9, `${ms} ms is ${s} s`);
    });
  });
});

/** An echo server labelled `echo-<conventions>` and a client, both recording `conventions`. */
function withEcho(conventions: RpcMetricConventions) {
  let state:
    | {
        telemetry: InMemoryTelemetry;
        server: Server;
        channel: Channel;
        client: Client<typeof echov1.EchoServiceDefinition>;
        port: number;
      }
    | undefined;
  before(async () => {
    const telemetry = startTelemetry({ serviceName: `rpc-${conventions}`, inMemory: true });
    const server = createServer().use(
      serverTelemetryMiddleware(`echo-${conventions}`, { conventions }),
    );
    server.add(echov1.EchoServiceDefinition, {
      async echo(request) {
        if (request.payload.toString() === 'missing')
          throw new ServerError(Status.NOT_FOUND, 'no such echo');
        if (request.payload.toString() === 'broken')
          throw new ServerError(Status.INTERNAL, 'the echo broke');
        return { payload: request.payload };
      },
    });
    const port = await server.listen('127.0.0.1:0');
    const channel = createChannel(`127.0.0.1:${port}`);
    const client = createClientFactory()
      .use(clientTelemetryMiddleware({ conventions, serverAddress: `127.0.0.1:${port}` }))
      .create(echov1.EchoServiceDefinition, channel);
    state = { telemetry, server, channel, client, port };
  });
  after(async () => {
    state?.channel.close();
    await state?.server.shutdown();
    await state?.telemetry.shutdown();
  });
  return () => state!;
}

/** The points of histogram `name` recorded for `service` (feedmesh.service), by status. */
function pointsOf(metrics: MetricData[], name: string, service: string) {
  const metric = metrics.find((candidate) => candidate.descriptor.name === name);
  const points = ((metric?.dataPoints ?? []) as DataPoint<Histogram>[]).filter(
    (point) => point.attributes['feedmesh.service'] === service,
  );
  const byStatus: Record<string, number> = {};
  const errorTypes: Record<string, unknown> = {};
  for (const point of points) {
    const status = String(point.attributes['rpc.status_code']);
    byStatus[status] = (byStatus[status] ?? 0) + point.value.count;
    errorTypes[status] = point.attributes['error.type'];
  }
  return { unit: metric?.descriptor.unit, points, byStatus, errorTypes };
}

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
