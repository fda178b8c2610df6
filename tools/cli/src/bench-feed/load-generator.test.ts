import assert from 'node:assert/strict';
import { gatewayv1 } from '@feedmesh/contracts';
import { echoService, type RunningServer } from '@feedmesh/service-kit';
import { startTestGrpcServer } from '@feedmesh/testing';
import { startFakeGateway, type FakeGateway } from '../test-support/fake-gateway.js';
import { runLoadInWorker } from './load-generator.js';

describe('the load generator (a worker thread over real gRPC)', function () {
  this.timeout(30_000);
  let echo: RunningServer;
  let gateway: FakeGateway;

  before(async () => {
    echo = await startTestGrpcServer('echo', [echoService()]);
    gateway = await startFakeGateway();
  });

  after(async () => {
    await echo.shutdown();
    await gateway.stop();
  });

  it('calls echo in closed loop and reports every call', async () => {
    const run = await runLoadInWorker({
      target: { kind: 'echo', address: echo.address, payloadBytes: 4_000 },
      shape: { kind: 'closed', concurrency: 2 },
      durationMs: 300,
      deadlineMs: 5_000,
    });
    assert.ok(run.ok > 0);
    assert.equal(run.errors, 0);
    assert.equal(run.latenciesMs.length, run.ok);
  });

  it('asks for the dashboards of the users in turn and counts degraded feeds by stage', async () => {
    gateway.feedResponse = gatewayv1.GetFeedResponse.fromPartial({
      requestId: 'r1',
      degraded: [{ component: 'ranker', reason: 'down' }],
    });
    const run = await runLoadInWorker({
      target: { kind: 'feed', address: gateway.address, userIds: ['u1', 'u2'], pageSize: 20 },
      shape: { kind: 'closed', concurrency: 1 },
      // Room for two calls even on a loaded machine, where the worker's first call (its
      // channel's connection, cold code) alone took more than 300 ms.
      durationMs: 2_000,
      deadlineMs: 5_000,
    });
    assert.ok(run.ok >= 2);
    assert.equal(run.degradedBy['ranker'], run.ok);
    const asked = gateway.feedRequests.slice(0, 2);
    assert.deepEqual(
      asked.map((r) => [r.userId, r.pageSize]),
      [
        ['u1', 20],
        ['u2', 20],
      ],
    );
  });

  it('names the gRPC status of failed calls', async () => {
    const run = await runLoadInWorker({
      target: { kind: 'echo', address: '127.0.0.1:1', payloadBytes: 10 },
      shape: { kind: 'closed', concurrency: 1 },
      durationMs: 100,
      deadlineMs: 1_000,
    });
    assert.equal(run.ok, 0);
    assert.ok(run.errors > 0);
    assert.deepEqual(Object.keys(run.errorsByKind), ['UNAVAILABLE']);
  });
});
