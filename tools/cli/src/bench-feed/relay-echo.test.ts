import assert from 'node:assert/strict';
import { echov1 } from '@feedmesh/contracts';
import {
  bindService,
  createServiceClient,
  startGrpcServer,
  type RunningServer,
} from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { startEchoProcess, type EchoProcess } from './echo-process.js';
import { FEED_DOWNSTREAM_CALLS } from './relay-echo.js';

describe('the hollow mesh (relay echo process)', function () {
  this.timeout(30_000);
  let downstream: RunningServer;
  const received: number[] = [];
  let relay: EchoProcess | undefined;

  before(async () => {
    downstream = await startGrpcServer({
      name: 'counting-echo',
      listen: '127.0.0.1:0',
      maxMessageBytes: 1024 * 1024,
      unaryTimeoutMs: 10_000,
      drainTimeoutMs: 1_000,
      services: [
        bindService(echov1.EchoServiceDefinition, {
          async echo(request: echov1.EchoRequest) {
            received.push(request.payload.length);
            return { payload: request.payload };
          },
        }),
      ],
      logger: createLogger('relay-echo-test', { level: 'silent' }),
    });
  });
  after(async () => {
    await relay?.stop();
    await downstream.shutdown();
  });

  it("passes each call on FEED_DOWNSTREAM_CALLS times with the caller's payload, then answers", async () => {
    relay = await startEchoProcess({
      ...process.env,
      ECHO_RELAY_TO: downstream.address,
      ECHO_RELAY_CALLS: String(FEED_DOWNSTREAM_CALLS),
    });
    const handle = createServiceClient(echov1.EchoServiceDefinition, relay.address, {
      deadlineMs: 10_000,
    });
    try {
      const payload = Buffer.alloc(4_137, 0x61);
      for (let call = 0; call < 2; call++) {
        const response = await handle.client.echo({ payload, delayMs: 0 });
        assert.deepEqual(Buffer.from(response.payload), payload);
      }
    } finally {
      handle.close();
    }
    assert.equal(
      FEED_DOWNSTREAM_CALLS,
      5,
      'GetUserFeatures, Generate, GetFeatures, Rank, DescribePosts',
    );
    assert.deepEqual(received, Array(2 * FEED_DOWNSTREAM_CALLS).fill(4_137));
  });

  it('exits with 2 when ECHO_RELAY_CALLS is not a whole number >= 1', async () => {
    await assert.rejects(
      startEchoProcess({
        ...process.env,
        ECHO_RELAY_TO: downstream.address,
        ECHO_RELAY_CALLS: '0',
        LOG_LEVEL: 'silent',
      }),
      /exited \(code 2\)/,
    );
  });
});
