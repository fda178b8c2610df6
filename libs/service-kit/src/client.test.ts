import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { echov1 } from '@feedmesh/contracts';
import { createLogger, startTelemetry } from '@feedmesh/telemetry';
import { ClientError, ServerError, Status } from 'nice-grpc-common';
import { createServiceClient } from './client.js';
import { echoService } from './echo-service.js';
import { bindService, startGrpcServer, type RunningServer } from './server.js';

const CLIENT_SPAN = 2; // SpanKind.CLIENT of @opentelemetry/api
const silent = createLogger('test', { level: 'silent' });

function start(services = [echoService()]): Promise<RunningServer> {
  return startGrpcServer({
    name: 'echo',
    listen: '127.0.0.1:0',
    maxMessageBytes: 1024 * 1024,
    unaryTimeoutMs: 5_000,
    drainTimeoutMs: 1_000,
    services,
    logger: silent,
  });
}

describe('service-kit client keepalive', () => {
  it('reconnects once a keepalive ping goes unanswered on a connection whose peer went silent', async () => {
    const server = await start();
    const target = Number(server.address.split(':')[1]);
    // A proxy whose connections can go silent: bytes dropped, nothing closed, like a lost peer.
    const connections: { sockets: net.Socket[]; silent: boolean }[] = [];
    const proxy = net.createServer((down) => {
      const up = net.connect(target, '127.0.0.1');
      const connection = { sockets: [up, down], silent: false };
      connections.push(connection);
      down.on('data', (bytes: Buffer) => connection.silent || up.write(bytes));
      up.on('data', (bytes: Buffer) => connection.silent || down.write(bytes));
      for (const socket of [up, down]) socket.on('error', () => {});
      down.on('close', () => up.destroy());
      up.on('close', () => down.destroy());
    });
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    const { port } = proxy.address() as net.AddressInfo;
    const { client, close } = createServiceClient(
      echov1.EchoServiceDefinition,
      `127.0.0.1:${port}`,
      { deadlineMs: 500, keepaliveTimeMs: 200, keepaliveTimeoutMs: 200 },
    );
    try {
      // The first call connects: a deadline of its own, as 500 ms was missed on a loaded machine.
      await client.echo({ payload: Buffer.from('warm'), delayMs: 0 }, { deadline: 10_000 });
      for (const connection of connections) connection.silent = true;
      let answered = false;
      // Without keepalive every call here fails with DEADLINE_EXCEEDED on the dead connection.
      for (const until = Date.now() + 15_000; !answered && Date.now() < until;) {
        answered = await client.echo({ payload: Buffer.from('x'), delayMs: 0 }).then(
          () => true,
          () => false,
        );
      }
      assert.ok(answered, 'a call succeeds again');
      assert.ok(connections.length >= 2, 'on a new connection');
    } finally {
      close();
      for (const socket of connections.flatMap((c) => c.sockets)) socket.destroy();
      proxy.close();
      await server.shutdown();
    }
  });
});

describe('service-kit client deadline telemetry', () => {
  it('records a call cut off by its deadline as DEADLINE_EXCEEDED in its span and rpc.client.duration', async () => {
    const telemetry = startTelemetry({ serviceName: 'client-test', inMemory: true });
    const server = await start();
    const { client, close } = createServiceClient(echov1.EchoServiceDefinition, server.address, {
      deadlineMs: 100,
    });
    try {
      const error = await client
        .echo({ payload: Buffer.from('slow'), delayMs: 2_000 })
        .catch((e: unknown) => e);
      assert.ok(error instanceof ClientError);
      assert.equal(error.code, Status.DEADLINE_EXCEEDED);

      const spans = telemetry
        .finishedSpans()
        .filter((span) => span.kind === CLIENT_SPAN && span.name.endsWith('/Echo'));
      assert.equal(spans.length, 1);
      assert.equal(spans[0]!.attributes['rpc.grpc.status_code'], Status.DEADLINE_EXCEEDED);

      const metric = (await telemetry.collectMetrics()).find(
        (m) => m.descriptor.name === 'rpc.client.duration',
      );
      assert.ok(metric, 'rpc.client.duration is recorded');
      const codes = (metric.dataPoints as { attributes: Record<string, unknown> }[])
        .filter((point) => point.attributes['rpc.method'] === 'Echo')
        .map((point) => point.attributes['rpc.grpc.status_code']);
      assert.deepEqual(codes, [Status.DEADLINE_EXCEEDED]);
    } finally {
      close();
      await server.shutdown();
      await telemetry.shutdown();
    }
  });
});

describe('service-kit client under the stable RPC conventions', () => {
  it('names the server it calls (server.address, server.port) in rpc.client.call.duration', async () => {
    const telemetry = startTelemetry({ serviceName: 'client-test', inMemory: true });
    const server = await start();
    const before = process.env['OTEL_SEMCONV_STABILITY_OPT_IN'];
    process.env['OTEL_SEMCONV_STABILITY_OPT_IN'] = 'rpc';
    const { client, close } = (() => {
      try {
        return createServiceClient(echov1.EchoServiceDefinition, `dns:///${server.address}`, {
          deadlineMs: 5_000,
        });
      } finally {
        if (before === undefined) delete process.env['OTEL_SEMCONV_STABILITY_OPT_IN'];
        else process.env['OTEL_SEMCONV_STABILITY_OPT_IN'] = before;
      }
    })();
    try {
      await client.echo({ payload: Buffer.from('hi'), delayMs: 0 });
      const metric = (await telemetry.collectMetrics()).find(
        (m) => m.descriptor.name === 'rpc.client.call.duration',
      );
      assert.ok(metric, 'rpc.client.call.duration is recorded');
      const [host, port] = server.address.split(':');
      const points = (metric.dataPoints as { attributes: Record<string, unknown> }[]).filter(
        (point) => point.attributes['server.port'] === Number(port),
      );
      assert.equal(points.length, 1);
      assert.equal(points[0]!.attributes['server.address'], host);
      assert.equal(points[0]!.attributes['rpc.method'], 'feedmesh.echo.v1.EchoService/Echo');
    } finally {
      close();
      await server.shutdown();
      await telemetry.shutdown();
    }
  });
});

describe('service-kit client retries', () => {
  it('makes maxRetries retries after the first call, and reads retryMaxAttempts the same way', async () => {
    let calls = 0;
    const server = await start([
      bindService(echov1.EchoServiceDefinition, {
        async echo() {
          calls++;
          throw new ServerError(Status.UNAVAILABLE, 'down');
        },
      }),
    ]);
    try {
      for (const options of [{ maxRetries: 1 }, { retryMaxAttempts: 1 }, { maxRetries: 0 }]) {
        calls = 0;
        const { client, close } = createServiceClient(
          echov1.EchoServiceDefinition,
          server.address,
          { deadlineMs: 5_000, ...options },
        );
        const error = await client
          .echo({ payload: Buffer.from('x'), delayMs: 0 })
          .catch((e: unknown) => e);
        close();
        assert.ok(error instanceof ClientError);
        assert.equal(error.code, Status.UNAVAILABLE);
        assert.equal(calls, (options.maxRetries ?? options.retryMaxAttempts ?? 0) + 1);
      }
    } finally {
      await server.shutdown();
    }
  });
});

describe('service-kit client retry throttling', () => {
  /** An echo that answers UNAVAILABLE while `down`, counting the calls that reach it. */
  let down = true;
  let calls = 0;
  let server: RunningServer;
  before(async () => {
    server = await start([
      bindService(echov1.EchoServiceDefinition, {
        async echo(request) {
          calls++;
          if (down) throw new ServerError(Status.UNAVAILABLE, 'down');
          return { payload: request.payload };
        },
      }),
    ]);
  });
  after(() => server.shutdown());

  const echo = (
    client: ReturnType<typeof createServiceClient<typeof echov1.EchoServiceDefinition>>,
  ) =>
    client.client.echo({ payload: Buffer.from('x'), delayMs: 0 }).then(
      () => Status.OK,
      (e: unknown) => (e instanceof ClientError ? e.code : Status.UNKNOWN),
    );

  it('stops retrying once half the tokens are spent, so a downstream that is down gets about one call per call', async () => {
    const handle = createServiceClient(echov1.EchoServiceDefinition, server.address, {
      deadlineMs: 5_000,
      maxRetries: 2,
    });
    try {
      down = true;
      calls = 0;
      for (let i = 0; i < 10; i++) assert.equal(await echo(handle), Status.UNAVAILABLE);
      // 10 tokens: the first call takes 3 (two retries), the second 2 (its second retry would
      // leave 5, half: throttled), every later one a single attempt.
      assert.equal(calls, 3 + 2 + 8);
      assert.equal(handle.retryThrottle?.throttled, 9);

      // The bucket is empty (it never goes below 0); successes give back 0.1 token each. After
      // 61 there are 6.1: a failed attempt leaves 5.1, above half, so it is retried once.
      down = false;
      for (let i = 0; i < 61; i++) assert.equal(await echo(handle), Status.OK);
      down = true;
      calls = 0;
      assert.equal(await echo(handle), Status.UNAVAILABLE);
      assert.equal(
        calls,
        2,
        'retried once: 5.1 tokens after the first attempt, 4.1 after the retry',
      );
    } finally {
      handle.close();
    }
  });

  it('retries every failed attempt up to maxRetries with retryThrottle: false', async () => {
    const handle = createServiceClient(echov1.EchoServiceDefinition, server.address, {
      deadlineMs: 5_000,
      maxRetries: 2,
      retryThrottle: false,
    });
    try {
      down = true;
      calls = 0;
      for (let i = 0; i < 10; i++) assert.equal(await echo(handle), Status.UNAVAILABLE);
      assert.equal(calls, 30);
      assert.equal(handle.retryThrottle, undefined);
    } finally {
      handle.close();
    }
  });

  it('refuses a throttle without tokens or with a ratio outside (0, 1], naming the option', () => {
    const make = (retryThrottle: { maxTokens: number; tokenRatio: number }) => () =>
      createServiceClient(echov1.EchoServiceDefinition, server.address, {
        deadlineMs: 1_000,
        retryThrottle,
      });
    assert.throws(
      make({ maxTokens: 0, tokenRatio: 0.1 }),
      /^RangeError: retryThrottle\.maxTokens: must be in \(0, 1000\], got 0$/,
    );
    assert.throws(
      make({ maxTokens: 10, tokenRatio: 2 }),
      /^RangeError: retryThrottle\.tokenRatio: must be in \(0, 1\], got 2$/,
    );
  });
});
