import assert from 'node:assert/strict';
import { echov1 } from '@feedmesh/contracts';
import { createLogger } from '@feedmesh/telemetry';
import { Client, credentials, Metadata as GrpcMetadata } from '@grpc/grpc-js';
import { Metadata } from 'nice-grpc-common';
import { CALL_DEADLINE_METADATA_KEY, callDeadline, callRemainingMs } from './call-deadline.js';
import { createServiceClient } from './client.js';
import { bindService, startGrpcServer, type RunningServer } from './server.js';

const ECHO = `/${echov1.EchoServiceDefinition.fullName}/Echo`;

/** A call as grpc-js makes it: with a `deadline`, it travels in the `grpc-timeout` header. */
function echoThroughGrpcJs(
  address: string,
  options: { deadline?: Date; metadata?: Record<string, string> } = {},
): Promise<string> {
  const client = new Client(address, credentials.createInsecure());
  const metadata = new GrpcMetadata();
  for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
  return new Promise<string>((resolve, reject) => {
    client.makeUnaryRequest(
      ECHO,
      (request: echov1.EchoRequest) => Buffer.from(echov1.EchoRequest.encode(request).finish()),
      (bytes: Buffer) => echov1.EchoResponse.decode(bytes),
      { payload: Buffer.alloc(0), delayMs: 0 },
      metadata,
      options.deadline ? { deadline: options.deadline } : {},
      (error, response) =>
        error ? reject(error) : resolve(Buffer.from(response!.payload).toString()),
    );
  }).finally(() => client.close());
}

describe("service-kit: the caller's deadline, as a handler sees it", () => {
  let server: RunningServer;
  before(async () => {
    server = await startGrpcServer({
      name: 'deadline',
      listen: '127.0.0.1:0',
      maxMessageBytes: 1024 * 1024,
      unaryTimeoutMs: 5_000,
      drainTimeoutMs: 1_000,
      logger: createLogger('test', { level: 'silent' }),
      services: [
        // Answers with the deadline it was given, or "none".
        bindService(echov1.EchoServiceDefinition, {
          async echo(_request, context) {
            return { payload: Buffer.from(String(callDeadline(context) ?? 'none')) };
          },
        }),
      ],
    });
  });
  after(() => server.shutdown());

  it('is the deadline its caller sent, in ms since the epoch', async () => {
    const deadline = new Date(Date.now() + 60_000);
    const sentAt = Date.now();
    const seen = Number(await echoThroughGrpcJs(server.address, { deadline }));
    const answeredAt = Date.now();
    // The wire carries a timeout, not a time: the server's deadline is the caller's, moved
    // later by at most the time the request took to arrive (and grpc-js's rounding up to 1 ms).
    assert.ok(
      seen >= deadline.getTime() && seen <= deadline.getTime() + (answeredAt - sentAt) + 1,
      `expected ${deadline.getTime()} or up to ${answeredAt - sentAt + 1} ms later, got ${seen}`,
    );
  });

  it('is undefined when the caller sent none', async () => {
    assert.equal(await echoThroughGrpcJs(server.address), 'none');
  });

  it('is undefined for a mesh client (createServiceClient), whose deadline stays on its side', async () => {
    const { client, close } = createServiceClient(echov1.EchoServiceDefinition, server.address, {
      deadlineMs: 60_000,
    });
    try {
      const response = await client.echo({ payload: Buffer.alloc(0), delayMs: 0 });
      assert.equal(Buffer.from(response.payload).toString(), 'none');
    } finally {
      close();
    }
  });

  it('ignores a deadline a client wrote into the metadata itself', async () => {
    const spoofed = { [CALL_DEADLINE_METADATA_KEY]: '1' };
    assert.equal(await echoThroughGrpcJs(server.address, { metadata: spoofed }), 'none');
    const deadline = new Date(Date.now() + 60_000);
    const seen = Number(await echoThroughGrpcJs(server.address, { deadline, metadata: spoofed }));
    assert.ok(seen >= deadline.getTime(), `expected the call's deadline, got ${seen}`);
  });

  it('leaves what is left of it, 0 once it passed, undefined without one', () => {
    const at = (deadline: number) => ({
      metadata: Metadata({ [CALL_DEADLINE_METADATA_KEY]: String(deadline) }),
    });
    assert.equal(callRemainingMs(at(10_250), 10_000), 250);
    assert.equal(callRemainingMs(at(10_000), 10_250), 0);
    assert.equal(callRemainingMs({ metadata: Metadata() }, 10_000), undefined);
  });
});
