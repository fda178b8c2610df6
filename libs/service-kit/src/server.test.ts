import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  connect as http2Connect,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
} from 'node:http2';
import { createInterface } from 'node:readline';
import { commonv1, echov1, gatewayv1, notificationv1 } from '@feedmesh/contracts';
import { InternalError, InvalidArgumentError } from '@feedmesh/errors';
import { createLogger } from '@feedmesh/telemetry';
import { delay } from 'abort-controller-x';
import { createChannel, createClient } from 'nice-grpc';
import { ClientError, ServerError, Status, type CallContext } from 'nice-grpc-common';
import { HealthDefinition } from 'nice-grpc-server-health';
import { HealthCheckResponse_ServingStatus } from 'nice-grpc-server-health/lib/proto/grpc/health/v1/health.js';
import { ServerReflectionService } from 'nice-grpc-server-reflection';
import reflectionPb from 'nice-grpc-server-reflection/lib/proto/grpc/reflection/v1/reflection_pb.js';
import { createServiceClient } from './client.js';
import { echoService } from './echo-service.js';
import { bindService, startGrpcServer, type RunningServer } from './server.js';

const silent = createLogger('test', { level: 'silent' });

function startEcho(
  extra: Partial<Parameters<typeof startGrpcServer>[0]> = {},
): Promise<RunningServer> {
  return startGrpcServer({
    name: 'echo',
    listen: '127.0.0.1:0',
    maxMessageBytes: 8 * 1024 * 1024,
    unaryTimeoutMs: 5_000,
    drainTimeoutMs: 2_000,
    services: [echoService()],
    logger: silent,
    ...extra,
  });
}

describe('service-kit server', () => {
  let server: RunningServer;
  before(async () => {
    server = await startEcho();
  });
  after(() => server.shutdown());

  it('answers grpc.health.v1 Check with SERVING for the server and each service', async () => {
    const channel = createChannel(server.address);
    const health = createClient(HealthDefinition, channel);
    const overall = await health.check({ service: '' });
    const echo = await health.check({ service: echov1.EchoServiceDefinition.fullName });
    channel.close();
    assert.equal(overall.status, HealthCheckResponse_ServingStatus.SERVING);
    assert.equal(echo.status, HealthCheckResponse_ServingStatus.SERVING);
  });

  it('lists its services through server reflection', async () => {
    const channel = createChannel(server.address);
    const reflection = createClient(ServerReflectionService, channel);
    async function* requests() {
      yield new reflectionPb.ServerReflectionRequest().setListServices('*');
    }
    const names: string[] = [];
    for await (const response of reflection.serverReflectionInfo(requests())) {
      for (const service of response.getListServicesResponse()?.getServiceList() ?? []) {
        names.push(service.getName());
      }
    }
    channel.close();
    assert.deepEqual(names, ['feedmesh.echo.v1.EchoService']);
  });

  it('rejects a bad request with INVALID_ARGUMENT naming the field', async () => {
    const { client, close } = createServiceClient(echov1.EchoServiceDefinition, server.address, {
      deadlineMs: 2_000,
    });
    const error = await client
      .echo({ payload: Buffer.from('x'), delayMs: 90_000 })
      .catch((e: unknown) => e);
    close();
    assert.ok(error instanceof ClientError);
    assert.equal(error.code, Status.INVALID_ARGUMENT);
    assert.match(error.details, /^delay_ms: must be between 0 and 60000, got 90000$/);
  });

  it('echoes a payload through a typed client', async () => {
    const { client, close } = createServiceClient(echov1.EchoServiceDefinition, server.address, {
      deadlineMs: 2_000,
    });
    const payload = Buffer.from('hello feedmesh');
    const response = await client.echo({ payload, delayMs: 0 });
    close();
    assert.deepEqual(response.payload, payload);
  });
});

describe('service-kit error mapping', () => {
  let server: RunningServer;
  let attempts = 0;
  before(async () => {
    server = await startGrpcServer({
      name: 'faulty',
      listen: '127.0.0.1:0',
      maxMessageBytes: 1024 * 1024,
      unaryTimeoutMs: 200,
      drainTimeoutMs: 1_000,
      logger: silent,
      services: [
        bindService(echov1.EchoServiceDefinition, {
          async echo(request, context) {
            const mode = request.payload.toString();
            if (mode === 'internal') throw new Error('secret connection string redis://hunter2');
            if (mode === 'bug') throw new InternalError('invariant broken: secret');
            if (mode === 'domain') throw new InvalidArgumentError('user_id', 'is required');
            if (mode === 'flaky' && ++attempts < 2)
              throw new ServerError(Status.UNAVAILABLE, 'try again');
            if (mode === 'slow')
              await new Promise((_, reject) =>
                context.signal.addEventListener('abort', () =>
                  reject(Object.assign(new Error('aborted'), { name: 'AbortError' })),
                ),
              );
            return { payload: request.payload };
          },
        }),
      ],
    });
  });
  after(() => server.shutdown());

  const call = async (mode: string) => {
    const { client, close } = createServiceClient(echov1.EchoServiceDefinition, server.address, {
      deadlineMs: 2_000,
    });
    try {
      return await client.echo({ payload: Buffer.from(mode), delayMs: 0 });
    } catch (error) {
      return error;
    } finally {
      close();
    }
  };

  it('maps an unknown error to INTERNAL without leaking its message', async () => {
    const error = await call('internal');
    assert.ok(error instanceof ClientError);
    assert.equal(error.code, Status.INTERNAL);
    assert.equal(error.details, 'internal error');
  });

  it('maps InternalError to INTERNAL without leaking its message', async () => {
    const error = await call('bug');
    assert.ok(error instanceof ClientError);
    assert.equal(error.code, Status.INTERNAL);
    assert.doesNotMatch(error.details, /secret/);
  });

  it('maps a domain error to its status with its message', async () => {
    const error = await call('domain');
    assert.ok(error instanceof ClientError);
    assert.equal(error.code, Status.INVALID_ARGUMENT);
    assert.equal(error.details, 'user_id: is required');
  });

  it('retries an idempotent call that failed with UNAVAILABLE', async () => {
    attempts = 0;
    const response = await call('flaky');
    assert.ok(!(response instanceof Error));
    assert.equal(attempts, 2);
  });

  it('cuts off a unary call at the server limit with DEADLINE_EXCEEDED', async () => {
    const error = await call('slow');
    assert.ok(error instanceof ClientError);
    assert.equal(error.code, Status.DEADLINE_EXCEEDED);
  });
});

describe('service-kit graceful drain', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
  });

  it('on SIGTERM finishes an in-flight call, refuses new ones, and exits 0', async () => {
    child = spawn(
      process.execPath,
      [new URL('./test-fixtures/echo-server.js', import.meta.url).pathname],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, LOG_LEVEL: 'silent' },
      },
    );
    // Every line the fixture prints, and a way to wait for one.
    const printed: string[] = [];
    let heard = () => {};
    createInterface({ input: child.stdout! }).on('line', (line) => {
      printed.push(line);
      heard();
    });
    child.once('exit', () => heard());
    const line = async (pattern: RegExp): Promise<RegExpExecArray> => {
      for (;;) {
        for (const seen of printed) {
          const match = pattern.exec(seen);
          if (match) return match;
        }
        if (child!.exitCode !== null) assert.fail(`the echo server exited: ${printed.join(' | ')}`);
        await new Promise<void>((resolve) => (heard = resolve));
      }
    };
    const address = (await line(/^LISTENING (\S+)$/))[1]!;
    const exited = once(child, 'exit');
    const { client, close } = createServiceClient(echov1.EchoServiceDefinition, address, {
      deadlineMs: 5_000,
      retryMaxAttempts: 1,
    });
    const inFlight = client.echo({ payload: Buffer.from('in flight'), delayMs: 700 });
    // SIGTERM once the server has the call, not after a fixed wait: on a loaded machine the
    // call had not even connected 150 ms after it was made, and was refused (ECONNREFUSED).
    await line(/^CALL in flight$/);
    child.kill('SIGTERM');
    const response = await inFlight;
    assert.equal(response.payload.toString(), 'in flight');
    const [code] = await exited;
    assert.equal(code, 0);
    const after = await client
      .echo({ payload: Buffer.from('late'), delayMs: 0 })
      .catch((e: unknown) => e);
    close();
    assert.ok(after instanceof ClientError);
    assert.equal(after.code, Status.UNAVAILABLE);
  });
});

describe('service-kit drain of open streams', () => {
  it('ends an open reflection stream with UNAVAILABLE when the drain starts, without waiting out the drain timeout', async () => {
    const messages: string[] = [];
    const logger = {
      info: (_: object, message: string) => messages.push(message),
      warn: (_: object, message: string) => messages.push(message),
      error: (_: object, message: string) => messages.push(message),
    };
    const server = await startEcho({ drainTimeoutMs: 20_000, logger });
    const channel = createChannel(server.address);
    const reflection = createClient(ServerReflectionService, channel);
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    async function* requests() {
      yield new reflectionPb.ServerReflectionRequest().setListServices('*');
      await held; // the client keeps its side open, as grpcurl and IDEs do
    }
    let answers = 0;
    let firstAnswer = () => {};
    const answered = new Promise<void>((resolve) => (firstAnswer = resolve));
    const ended = (async () => {
      try {
        for await (const _ of reflection.serverReflectionInfo(requests())) {
          answers++;
          firstAnswer();
        }
        return 'ended without a status';
      } catch (error) {
        return error;
      }
    })();
    try {
      await answered;
      await server.shutdown('test');
      const error = await ended;
      assert.ok(error instanceof ClientError, String(error));
      assert.equal(error.code, Status.UNAVAILABLE);
      assert.equal(answers, 1);
      assert.ok(!messages.includes('drain timed out; forcing shutdown'), messages.join(' | '));
    } finally {
      release();
      channel.close();
    }
  });
});

/**
 * A server with a slow unary Echo (it says when a call arrives) and a Subscribe stream: user
 * "large" is sent 256 KiB messages as fast as the transport takes them; anyone else one small
 * message, then nothing until the stream ends (a live notification stream). `heard(pattern)`
 * resolves once the server logged a line matching it, `produced(n)` once "large" has been sent
 * n messages (handed to the transport, not necessarily taken by the client).
 */
async function startDrainServer(
  drainTimeoutMs: number,
  extra: Partial<Parameters<typeof startGrpcServer>[0]> = {},
) {
  const logged: string[] = [];
  const listeners: Array<() => void> = [];
  const record = (_: object, message: string) => {
    logged.push(message);
    for (const listener of listeners.splice(0)) listener();
  };
  const heard = async (pattern: RegExp): Promise<void> => {
    while (!logged.some((message) => pattern.test(message))) {
      await new Promise<void>((resolve) => listeners.push(resolve));
    }
  };
  let echoArrived = () => {};
  const echoing = new Promise<void>((resolve) => (echoArrived = resolve));
  let largeCount = 0;
  const largeListeners: Array<() => void> = [];
  const produced = async (n: number): Promise<void> => {
    while (largeCount < n) await new Promise<void>((resolve) => largeListeners.push(resolve));
  };
  const notification = (id: number, body: string): notificationv1.SubscribeResponse => ({
    notification: notificationv1.Notification.fromPartial({ notificationId: String(id), body }),
    replayed: false,
  });
  const server = await startEcho({
    drainTimeoutMs,
    logger: { info: record, warn: record, error: record },
    ...extra,
    services: [
      bindService(echov1.EchoServiceDefinition, {
        async echo(request, context) {
          echoArrived();
          await delay(context.signal, request.delayMs);
          return { payload: request.payload };
        },
      }),
      bindService(notificationv1.NotificationServiceDefinition, {
        ...Object.fromEntries(
          Object.keys(notificationv1.NotificationServiceDefinition.methods).map((name) => [
            name,
            () => Promise.reject(new Error('not this test')),
          ]),
        ),
        async *subscribe(request: notificationv1.SubscribeRequest, context: CallContext) {
          if (request.userId !== 'large') {
            yield notification(1, 'hello');
            await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
            return;
          }
          for (let id = 1; !context.signal.aborted; id++) {
            yield notification(id, 'x'.repeat(256 * 1024));
            largeCount = id;
            for (const listener of largeListeners.splice(0)) listener();
          }
        },
      } as unknown as Parameters<
        typeof bindService<typeof notificationv1.NotificationServiceDefinition>
      >[1]),
    ],
  });
  return { server, logged, heard, echoing, produced, largeStarted: produced(1) };
}

/** Opens Subscribe for user "large" on a bare HTTP/2 stream (64 KiB window), not yet read. */
function subscribeRaw(address: string): { session: ClientHttp2Session; stream: ClientHttp2Stream } {
  const session = http2Connect(`http://${address}`, { settings: { initialWindowSize: 65_535 } });
  session.on('error', () => {});
  const body = notificationv1.SubscribeRequest.encode({
    userId: 'large',
    afterNotificationId: '',
  }).finish();
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(body.length, 1);
  const stream = session.request({
    ':method': 'POST',
    ':path': '/feedmesh.notification.v1.NotificationService/Subscribe',
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  stream.on('error', () => {});
  stream.end(Buffer.concat([prefix, body]));
  return { session, stream };
}

/**
 * Opens Subscribe as a client that never reads: its HTTP/2 stream stays paused, so after the
 * first 64 KiB (its flow-control window) the server can send nothing more, not even a status.
 */
function subscribeWithoutReading(address: string): ClientHttp2Session {
  const { session, stream } = subscribeRaw(address);
  stream.pause();
  return session;
}

/**
 * Opens Subscribe as a client that reads slowly but never stops: one HTTP/2 data chunk (at most
 * 16 KiB), then a few milliseconds' pause, so a 256 KiB message takes many turns of the
 * server's event loop to go out. Resolves when the stream closes, with the status its trailers
 * carried (none if it was cut) and how many bytes it read.
 */
function subscribeReadingSlowly(
  address: string,
): Promise<{ status?: string; message?: string; bytes: number }> {
  const { session, stream } = subscribeRaw(address);
  let bytes = 0;
  let trailers: IncomingHttpHeaders = {};
  stream.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    stream.pause();
    setTimeout(() => stream.resume(), 5);
  });
  stream.on('trailers', (headers) => (trailers = headers));
  return new Promise((resolve) => {
    stream.on('close', () => {
      session.destroy();
      const status = trailers['grpc-status'];
      const message = trailers['grpc-message'];
      resolve({
        bytes,
        ...(typeof status === 'string' ? { status } : {}),
        ...(typeof message === 'string' ? { message: decodeURIComponent(message) } : {}),
      });
    });
  });
}

/**
 * Messages of 256 KiB "large" must have been sent for a grpc-js client that read one and
 * stopped to hold no more: it buffers about 16 and the server about 18 (nice-grpc's 16, the
 * HTTP/2 stream's 2), 31 in all, so at 24 the server holds more than the client can take. A
 * drain that came sooner would find a client still taking its messages, not a stalled one.
 */
const CLIENT_FULL = 24;

describe('service-kit drain with a stream whose client stopped reading', () => {
  it('lets an in-flight unary call finish and stops without waiting out the drain timeout', async () => {
    const { server, logged, echoing, largeStarted } = await startDrainServer(10_000, {
      stalledStreamMs: 300,
      stalledStreamGraceMs: 300,
    });
    const stalled = subscribeWithoutReading(server.address);
    const { client, close } = createServiceClient(echov1.EchoServiceDefinition, server.address, {
      deadlineMs: 20_000,
      retryMaxAttempts: 1,
    });
    try {
      await largeStarted;
      const inFlight = client.echo({ payload: Buffer.from('in flight'), delayMs: 300 });
      await echoing;
      await server.shutdown('test');
      assert.equal((await inFlight).payload.toString(), 'in flight');
      assert.ok(!logged.includes('drain timed out; forcing shutdown'), logged.join(' | '));
      assert.ok(
        logged.includes(
          'unary calls done; ending with UNAVAILABLE the streams whose clients stopped reading',
        ),
        logged.join(' | '),
      );
      assert.ok(
        logged.includes('closed the connections of streams still not read after the grace'),
        logged.join(' | '),
      );
    } finally {
      close();
      stalled.destroy();
      await server.shutdown();
    }
  });

  it('ends it with UNAVAILABLE, not CANCELLED, for a gRPC client that never reads again', async () => {
    const { server, logged, produced } = await startDrainServer(10_000, {
      stalledStreamMs: 300,
      stalledStreamGraceMs: 300,
    });
    const channel = createChannel(server.address);
    const notifications = createClient(notificationv1.NotificationServiceDefinition, channel);
    const stream = notifications.subscribe({ userId: 'large' })[Symbol.asyncIterator]();
    try {
      await stream.next(); // then nothing: the client's buffers fill and its window shuts
      await produced(CLIENT_FULL);
      await server.shutdown('test');
      const error = await (async () => {
        while (!(await stream.next()).done);
      })().catch((e: unknown) => e);
      assert.ok(error instanceof ClientError, String(error));
      assert.equal(error.code, Status.UNAVAILABLE, `${Status[error.code]}: ${error.details}`);
      assert.ok(!logged.includes('drain timed out; forcing shutdown'), logged.join(' | '));
    } finally {
      channel.close();
      await server.shutdown();
    }
  });

  it('tells a client that reads again within the grace that the server is shutting down', async () => {
    const { server, logged, heard, produced } = await startDrainServer(20_000, {
      stalledStreamMs: 300,
      stalledStreamGraceMs: 15_000,
    });
    const channel = createChannel(server.address);
    const notifications = createClient(notificationv1.NotificationServiceDefinition, channel);
    const stream = notifications.subscribe({ userId: 'large' })[Symbol.asyncIterator]();
    try {
      await stream.next();
      await produced(CLIENT_FULL);
      const stopped = server.shutdown('test');
      // Back to reading once the server has given up on it, as a client paused by a long GC.
      await heard(/streams whose clients stopped reading/);
      const error = await (async () => {
        while (!(await stream.next()).done);
      })().catch((e: unknown) => e);
      await stopped;
      assert.ok(error instanceof ClientError, String(error));
      assert.equal(error.code, Status.UNAVAILABLE, `${Status[error.code]}: ${error.details}`);
      assert.equal(error.details, 'server is shutting down; reconnect');
      assert.ok(!logged.includes('drain timed out; forcing shutdown'), logged.join(' | '));
    } finally {
      channel.close();
      await server.shutdown();
    }
  });

  it('does not cut a stream its client reads slower than it is written: it ends with UNAVAILABLE once read', async () => {
    const { server, logged, largeStarted } = await startDrainServer(60_000, {
      stalledStreamMs: 3_000,
    });
    const reading = subscribeReadingSlowly(server.address);
    try {
      await largeStarted;
      await server.shutdown('test');
      const ended = await reading;
      assert.deepEqual(
        { status: ended.status, message: ended.message },
        { status: String(Status.UNAVAILABLE), message: 'server is shutting down; reconnect' },
        `after ${ended.bytes} bytes; ${logged.join(' | ')}`,
      );
      assert.ok(!logged.some((message) => /stopped reading/.test(message)), logged.join(' | '));
    } finally {
      await server.shutdown();
    }
  });

  it('ends a stream being read with UNAVAILABLE, so its client resumes elsewhere', async () => {
    const { server, logged, largeStarted } = await startDrainServer(10_000, {
      stalledStreamMs: 300,
      stalledStreamGraceMs: 300,
    });
    const stalled = subscribeWithoutReading(server.address);
    const channel = createChannel(server.address);
    const notifications = createClient(notificationv1.NotificationServiceDefinition, channel);
    let firstMessage = () => {};
    const reading = new Promise<void>((resolve) => (firstMessage = resolve));
    const received: string[] = [];
    const ended = (async () => {
      try {
        for await (const response of notifications.subscribe({ userId: 'reader' })) {
          received.push(response.notification?.notificationId ?? '');
          firstMessage();
        }
        return 'ended without a status';
      } catch (error) {
        return error;
      }
    })();
    try {
      await Promise.all([reading, largeStarted]);
      await server.shutdown('test');
      const error = await ended;
      assert.ok(error instanceof ClientError, String(error));
      assert.equal(error.code, Status.UNAVAILABLE);
      assert.equal(error.details, 'server is shutting down; reconnect');
      assert.deepEqual(received, ['1']);
      assert.ok(!logged.includes('drain timed out; forcing shutdown'), logged.join(' | '));
    } finally {
      channel.close();
      stalled.destroy();
      await server.shutdown();
    }
  });
});

describe('service-kit health during a drain', () => {
  it('tells a grpc.health.v1 Watch NOT_SERVING before the drain ends its stream', async () => {
    const server = await startEcho();
    const channel = createChannel(server.address);
    const health = createClient(HealthDefinition, channel);
    const statuses: HealthCheckResponse_ServingStatus[] = [];
    let firstStatus = () => {};
    const watching = new Promise<void>((resolve) => (firstStatus = resolve));
    const ended = (async () => {
      try {
        for await (const response of health.watch({ service: '' })) {
          statuses.push(response.status);
          firstStatus();
        }
        return 'ended without a status';
      } catch (error) {
        return error;
      }
    })();
    try {
      await watching;
      await server.shutdown('test');
      const error = await ended;
      assert.ok(error instanceof ClientError, String(error));
      assert.equal(error.code, Status.UNAVAILABLE);
      assert.deepEqual(statuses, [
        HealthCheckResponse_ServingStatus.SERVING,
        HealthCheckResponse_ServingStatus.NOT_SERVING,
      ]);
    } finally {
      channel.close();
    }
  });
});

describe('service-kit connection age', () => {
  it('keeps calls succeeding while connections are recycled after GRPC_MAX_CONNECTION_AGE_MS', async () => {
    const server = await startEcho({ maxConnectionAgeMs: 100, drainTimeoutMs: 500 });
    const { client, close } = createServiceClient(echov1.EchoServiceDefinition, server.address, {
      deadlineMs: 2_000,
    });
    try {
      // More than five calls over at least 600 ms (six connection ages), each of which must
      // succeed. A fixed 600 ms let a loaded machine make only five or fewer.
      const started = Date.now();
      let calls = 0;
      while (calls <= 5 || Date.now() - started < 600) {
        const response = await client.echo({ payload: Buffer.from(`c${calls}`), delayMs: 0 });
        assert.equal(response.payload.toString(), `c${calls}`);
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      close();
      await server.shutdown();
    }
  });
});

describe('service-kit undecodable requests', () => {
  it('answers INVALID_ARGUMENT, not INTERNAL, to bytes that are not the request message', async () => {
    const server = await startEcho();
    const { Client, credentials } = await import('@grpc/grpc-js');
    const raw = new Client(server.address, credentials.createInsecure());
    try {
      const status = await new Promise<{ code: number; details: string }>((resolve) => {
        raw.makeUnaryRequest(
          '/feedmesh.echo.v1.EchoService/Echo',
          (bytes: Buffer) => bytes,
          (bytes: Buffer) => bytes,
          Buffer.from('CgI=', 'base64'), // field 1, length 2, then nothing: truncated
          (error) => resolve({ code: error?.code ?? 0, details: error?.details ?? '' }),
        );
      });
      assert.equal(status.code, Status.INVALID_ARGUMENT);
      assert.match(
        status.details,
        /^request: not a valid \/feedmesh\.echo\.v1\.EchoService\/Echo request message/,
      );
      const { client, close } = createServiceClient(echov1.EchoServiceDefinition, server.address, {
        deadlineMs: 2_000,
      });
      assert.equal(
        (await client.echo({ payload: Buffer.from('ok'), delayMs: 0 })).payload.toString(),
        'ok',
      );
      close();
    } finally {
      raw.close();
      await server.shutdown();
    }
  });
});

describe('service-kit requests with a 64-bit integer beyond 2^53 - 1', () => {
  it('answers INVALID_ARGUMENT naming the field (an at_ms sent in nanoseconds), and no handler runs', async () => {
    let handled = 0;
    const server = await startEcho({
      name: 'gateway',
      services: [
        bindService(gatewayv1.FeedGatewayServiceDefinition, {
          ...Object.fromEntries(
            Object.keys(gatewayv1.FeedGatewayServiceDefinition.methods).map((name) => [
              name,
              () => Promise.reject(new Error('not this test')),
            ]),
          ),
          publishEvents: async () => {
            handled += 1;
            return { accepted: 0 };
          },
        } as unknown as Parameters<
          typeof bindService<typeof gatewayv1.FeedGatewayServiceDefinition>
        >[1]),
      ],
    });
    // The generated encoder writes any number; 1.764e18 is exact as a double.
    const event = (eventId: string, atMs: number) => ({
      eventId,
      atMs,
      payload: {
        $case: 'engagement' as const,
        value: { userId: 'u1', postId: 'p1', kind: commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE },
      },
    });
    const request = gatewayv1.PublishEventsRequest.encode(
      gatewayv1.PublishEventsRequest.fromPartial({
        events: [event('e0', 1_764_000_000_000), event('e1', 1_764_000_000_000_000_000)],
      }),
    ).finish();
    const { Client, credentials } = await import('@grpc/grpc-js');
    const raw = new Client(server.address, credentials.createInsecure());
    try {
      const status = await new Promise<{ code: number; details: string }>((resolve) => {
        raw.makeUnaryRequest(
          '/feedmesh.gateway.v1.FeedGatewayService/PublishEvents',
          (bytes: Uint8Array) => Buffer.from(bytes),
          (bytes: Buffer) => bytes,
          request,
          (error) => resolve({ code: error?.code ?? 0, details: error?.details ?? '' }),
        );
      });
      assert.equal(status.code, Status.INVALID_ARGUMENT);
      assert.equal(
        status.details,
        'events[1].at_ms: must be within ±9007199254740991 (2^53 - 1), got 1764000000000000000',
      );
      assert.equal(handled, 0);
    } finally {
      raw.close();
      await server.shutdown();
    }
  });
});

describe('service-kit error mapping of a downstream failure', () => {
  /** A leaf that answers every call with `code`, counting them; a middle service calling it. */
  let leafCalls = 0;
  let leafCode = Status.FAILED_PRECONDITION;
  let leaf: RunningServer;
  let middle: RunningServer;
  before(async () => {
    leaf = await startEcho({
      name: 'leaf',
      services: [
        bindService(echov1.EchoServiceDefinition, {
          async echo() {
            leafCalls += 1;
            throw new ServerError(leafCode, 'the leaf says no');
          },
        }),
      ],
    });
    const downstream = createServiceClient(echov1.EchoServiceDefinition, leaf.address, {
      deadlineMs: 2_000,
    });
    middle = await startEcho({
      name: 'middle',
      services: [
        bindService(echov1.EchoServiceDefinition, {
          echo: (request, context) => downstream.client.echo(request, { signal: context.signal }),
        }),
      ],
      onShutdown: async () => downstream.close(),
    });
  });
  after(async () => {
    await middle.shutdown();
    await leaf.shutdown();
  });

  async function viaMiddle(): Promise<ClientError> {
    const { client, close } = createServiceClient(echov1.EchoServiceDefinition, middle.address, {
      deadlineMs: 2_000,
    });
    try {
      await client.echo({ payload: Buffer.from('x'), delayMs: 0 });
      assert.fail('expected the call to fail');
    } catch (error) {
      assert.ok(error instanceof ClientError, String(error));
      return error;
    } finally {
      close();
    }
  }

  it('answers INTERNAL, which no caller retries, when the downstream answered an error of its own', async () => {
    leafCode = Status.FAILED_PRECONDITION;
    leafCalls = 0;
    const error = await viaMiddle();
    assert.equal(error.code, Status.INTERNAL);
    assert.match(error.details, /failed: FAILED_PRECONDITION$/);
    assert.equal(leafCalls, 1, 'one call reached the leaf: nothing retried it');
  });

  it('answers UNAVAILABLE, and the edge retries, when the downstream could not answer for now', async () => {
    leafCode = Status.UNAVAILABLE;
    leafCalls = 0;
    const error = await viaMiddle();
    assert.equal(error.code, Status.UNAVAILABLE);
    assert.ok(leafCalls > 1, `${leafCalls} calls reached the leaf`);
  });

  it('passes RESOURCE_EXHAUSTED through as it is: the caller should back off', async () => {
    leafCode = Status.RESOURCE_EXHAUSTED;
    const error = await viaMiddle();
    assert.equal(error.code, Status.RESOURCE_EXHAUSTED);
    assert.equal(error.details, 'the leaf says no');
  });
});
