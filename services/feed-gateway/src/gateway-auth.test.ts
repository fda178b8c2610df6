import assert from 'node:assert/strict';
import { commonv1, gatewayv1 } from '@feedmesh/contracts';
import { ConfigError } from '@feedmesh/errors';
import { InMemoryEventLog } from '@feedmesh/events';
import {
  ClientError,
  createServiceClient,
  loadConfig,
  Status,
  type RunningServer,
} from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { feedGatewayConfigShape, startFeedGateway, everyStageBudget } from './index.js';
import { candidate, FakeMesh } from './test-support/fake-mesh.js';

describe('feed-gateway with GATEWAY_AUTH_TOKENS', () => {
  const TOKEN = 'internal-caller-token-0001';
  let mesh: FakeMesh;
  let log: InMemoryEventLog;
  let server: RunningServer;

  before(async () => {
    mesh = await new FakeMesh().start();
    mesh.candidates = [candidate('p1', 'b1', [['popular', 1]])];
    log = new InMemoryEventLog();
    const config = loadConfig(feedGatewayConfigShape, {
      FEATURE_STORE_ADDR: mesh.address,
      CANDIDATE_GENERATION_ADDR: mesh.address,
      RANKER_ADDR: mesh.address,
      SEARCH_ADDR: mesh.address,
      NOTIFICATION_ADDR: mesh.address,
      GATEWAY_AUTH_TOKENS: `${TOKEN}, another-token-of-enough-length`,
      // Not a test of the budgets: at the defaults (60-120 ms) the first feed of a cold
      // gateway on a loaded machine now and then missed them and came back empty, degraded.
      FEED_DEADLINE_MS: '2000',
      ...everyStageBudget(1000),
      CURSOR_SECRET: 'a-test-secret-of-some-length',
    });
    server = await startFeedGateway({
      config,
      runtime: {
        redis: undefined,
        eventLog: log,
        prefix: 't',
        consumerName: 't',
        close: async () => {},
      },
      logger: createLogger('gateway', { level: 'silent' }),
    });
  });

  after(async () => {
    await server.shutdown();
    await mesh.stop();
    await log.close();
  });

  const getFeed = (bearerToken: string | undefined) => {
    const { client, close } = createServiceClient(
      gatewayv1.FeedGatewayServiceDefinition,
      server.address,
      {
        deadlineMs: 5_000,
        bearerToken,
      },
    );
    return client
      .getFeed({
        userId: 'u1',
        surface: commonv1.Surface.SURFACE_DASHBOARD,
        tag: '',
        pageSize: 5,
        cursor: '',
      })
      .finally(close);
  };

  it('serves a caller presenting one of the tokens', async () => {
    const response = await getFeed(TOKEN);
    assert.deepEqual(
      response.items.map((i) => i.postId),
      ['p1'],
    );
  });

  it('answers UNAUTHENTICATED to a caller without a token, before doing any work', async () => {
    const requestsBefore = mesh.generateRequests.length;
    const error = await getFeed(undefined).catch((e: unknown) => e);
    assert.ok(error instanceof ClientError);
    assert.equal(error.code, Status.UNAUTHENTICATED);
    assert.equal(mesh.generateRequests.length, requestsBefore);
  });

  it('refuses a token shorter than 16 characters at start, naming the variable', () => {
    assert.throws(
      () => loadConfig(feedGatewayConfigShape, { GATEWAY_AUTH_TOKENS: 'short' }),
      (error: unknown) => error instanceof ConfigError && error.variable === 'GATEWAY_AUTH_TOKENS',
    );
  });
});
