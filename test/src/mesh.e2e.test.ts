import assert from 'node:assert/strict';
import { commonv1, featuresv1, gatewayv1, type eventsv1 } from '@feedmesh/contracts';
import {
  ClientError,
  createServiceClient,
  Status,
  type ServiceClient,
} from '@feedmesh/service-kit';
import { startOtlpJsonReceiver, type OtlpJsonReceiver } from '@feedmesh/telemetry';
import { deleteKeys, testRedis, testRedisUrl, uniquePrefix, waitFor } from '@feedmesh/testing';
import { runTrainerProcess, ServiceProcess, type ServiceName } from './support/mesh-processes.js';
import { smallWorld } from './support/small-world.js';
import { everyStageBudget } from '@feedmesh/feed-gateway';

type Gateway = ServiceClient<typeof gatewayv1.FeedGatewayServiceDefinition>;

const DASHBOARD = commonv1.Surface.SURFACE_DASHBOARD;
const HIDE = commonv1.EngagementKind.ENGAGEMENT_KIND_HIDE;
const LIKE = commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE;

describe('the mesh end to end: every service its own process, on real Redis', function () {
  this.timeout(120_000);

  const prefix = uniquePrefix('e2e');
  const downstream: ServiceName[] = [
    'feature-store',
    'candidate-generation',
    'ranker',
    'search',
    'notification',
  ];
  const services = new Map<ServiceName, ServiceProcess>();
  let receiver: OtlpJsonReceiver;
  let gateway: Gateway;
  let closeGateway: () => void;
  let commonEnv: Record<string, string>;
  let eventCount = 0;

  const publish = async (...payloads: eventsv1.Event['payload'][]) => {
    await gateway.publishEvents({
      events: payloads.map((payload) => ({
        eventId: `t-${eventCount++}-${Date.now()}`,
        atMs: 0,
        payload,
      })),
    });
  };
  const feed = (userId: string, overrides: Partial<gatewayv1.GetFeedRequest> = {}) =>
    gateway.getFeed({
      userId,
      surface: DASHBOARD,
      tag: '',
      pageSize: 20,
      cursor: '',
      ...overrides,
    });

  before(async function () {
    receiver = await startOtlpJsonReceiver();
    commonEnv = {
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: prefix,
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      // info: the harness learns each address from the 'listening' line.
      LOG_LEVEL: 'info',
    };
    const envFor = (name: ServiceName) =>
      // Digest likes for 200 ms, not the production minute, so the inbox test is quick.
      name === 'notification' ? { ...commonEnv, NOTIFICATION_DIGEST_WINDOW_MS: '200' } : commonEnv;
    const starting = await Promise.allSettled(
      downstream.map((name) => ServiceProcess.start(name, envFor(name))),
    );
    for (const result of starting) {
      if (result.status === 'fulfilled') services.set(result.value.name, result.value);
    }
    // `after` stops whatever did start, so a failed start leaves no process behind.
    const failed = starting.find((result) => result.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const address = (name: ServiceName) => services.get(name)!.address;
    const gatewayProcess = await ServiceProcess.start('feed-gateway', {
      ...commonEnv,
      FEATURE_STORE_ADDR: address('feature-store'),
      CANDIDATE_GENERATION_ADDR: address('candidate-generation'),
      RANKER_ADDR: address('ranker'),
      SEARCH_ADDR: address('search'),
      NOTIFICATION_ADDR: address('notification'),
      FEED_DEADLINE_MS: '2000',
      // Keep the test focused on behaviour: generous budgets on a busy 2-core machine.
      ...everyStageBudget(1000),
    });
    services.set('feed-gateway', gatewayProcess);
    const handle = createServiceClient(
      gatewayv1.FeedGatewayServiceDefinition,
      gatewayProcess.address,
      { deadlineMs: 10_000 },
    );
    gateway = handle.client;
    closeGateway = handle.close;

    const world = smallWorld(Date.now());
    for (let i = 0; i < world.length; i += 200)
      await gateway.publishEvents({ events: world.slice(i, i + 200) });
    // The world is in once every service has consumed it: the last post is searchable and
    // the follow of alice-art shows in reader's feed.
    await waitFor(
      'the world to be consumed',
      async () => {
        const hits = await gateway.search({
          userId: '',
          query: 'charcoal',
          tags: [],
          blogId: '',
          order: 0,
          pageSize: 10,
          cursor: '',
        });
        const dashboard = await feed('reader');
        return hits.totalHits >= 8 && dashboard.items.some((i) => i.blogId === 'alice-art');
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );

    const trained = await runTrainerProcess({
      ...commonEnv,
      FEATURE_STORE_ADDR: address('feature-store'),
      // The small world's engagements are all from its last hours: with the default day-long
      // attribution window every one would still be waiting for its labels.
      TRAINER_ATTRIBUTION_WINDOW_MS: String(60 * 60 * 1000),
    });
    assert.equal(trained.code, 0, `the trainer failed:\n${trained.output}`);
    if (process.env.E2E_VERBOSE) console.log(trained.output);
  });

  after(async function () {
    closeGateway?.();
    await Promise.all([...services.values()].map((service) => service.stop()));
    await receiver?.close();
    const redis = testRedis(prefix);
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('ranks the feed with the model the trainer published', async () => {
    // Every feed serves its page for good (previously-served filter): ask as a new user each
    // time, so each attempt has candidates for the ranker to score.
    let last: gatewayv1.GetFeedResponse | undefined;
    let attempt = 0;
    const response = await waitFor(
      'a trained model in use',
      async () => {
        last = await feed(`model-check-${attempt++}`, {
          surface: commonv1.Surface.SURFACE_FOR_YOU,
        });
        return last.model.startsWith('feed@') ? last : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250 },
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}; last model ${JSON.stringify(last?.model)}, degraded ${JSON.stringify(last?.degraded)}`,
      );
    });
    assert.ok(response.items.length > 0);
    assert.deepEqual(response.degraded, []);
  });

  it("brings a followed blog's new post to its follower's feed", async () => {
    await publish({
      $case: 'postCreated',
      value: {
        postId: 'alice-new',
        blogId: 'alice-art',
        text: 'A brand new ink drawing',
        tags: ['art'],
        mediaKind: 1,
        reblogOf: '',
      },
    });
    const item = await waitFor(
      "alice-new in reader's dashboard",
      async () => (await feed('reader')).items.find((i) => i.postId === 'alice-new'),
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    assert.ok(item.sources.includes('following'), `sources: ${item.sources.join(',')}`);
    assert.notEqual(item.reason, '');
  });

  it('never brings back a post the user hid', async () => {
    await publish({
      $case: 'engagement',
      value: { userId: 'reader', postId: 'alice-new', kind: HIDE },
    });
    await waitFor(
      "alice-new gone from reader's dashboard",
      async () => !(await feed('reader')).items.some((i) => i.postId === 'alice-new'),
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    for (let i = 0; i < 3; i++) {
      const response = await feed('reader', { pageSize: 100 });
      assert.ok(!response.items.some((item) => item.postId === 'alice-new'));
    }
  });

  it('serves page 2 with no post of page 1', async () => {
    const first = await feed('fan-3', { pageSize: 10, surface: commonv1.Surface.SURFACE_FOR_YOU });
    assert.equal(first.items.length, 10);
    assert.notEqual(first.nextCursor, '');
    const second = await feed('fan-3', {
      pageSize: 10,
      surface: commonv1.Surface.SURFACE_FOR_YOU,
      cursor: first.nextCursor,
    });
    assert.ok(second.items.length > 0);
    const firstIds = new Set(first.items.map((i) => i.postId));
    assert.deepEqual(
      second.items.filter((i) => firstIds.has(i.postId)),
      [],
    );
  });

  it('never serves in a later session the original of a reblog served before', async () => {
    // bob-cooks posts rb-x; alice-art reblogs it as rb-r. rb-reader follows alice-art alone, so
    // its dashboard serves rb-r; the gateway logs that impression naming rb-x, and the feature
    // store counts rb-x served too. Then rb-reader follows bob-cooks, whose rb-x the following
    // source now proposes: rb-control, who never saw rb-r, is served it; rb-reader is not.
    await publish(
      {
        $case: 'postCreated',
        value: {
          postId: 'rb-x',
          blogId: 'bob-cooks',
          text: 'Braised leeks with mustard',
          tags: ['food'],
          mediaKind: 1,
          reblogOf: '',
        },
      },
      {
        $case: 'postCreated',
        value: {
          postId: 'rb-r',
          blogId: 'alice-art',
          text: '',
          tags: ['food'],
          mediaKind: 1,
          reblogOf: 'rb-x',
        },
      },
      { $case: 'follow', value: { userId: 'rb-reader', blogId: 'alice-art' } },
    );
    const servedToReader: string[] = [];
    const readerFeed = async () => {
      const items = (await feed('rb-reader', { pageSize: 100 })).items.map((i) => i.postId);
      servedToReader.push(...items);
      return items;
    };
    await waitFor(
      "rb-r in rb-reader's dashboard",
      async () => (await readerFeed()).includes('rb-r'),
      {
        timeoutMs: 10_000,
        intervalMs: 100,
      },
    );
    const features = createServiceClient(
      featuresv1.FeatureStoreServiceDefinition,
      services.get('feature-store')!.address,
      { deadlineMs: 5_000 },
    );
    try {
      const user = (userId: string) =>
        features.client.getUserFeatures({ userId, maxListSize: 1_000 });
      await waitFor(
        'rb-x counted served to rb-reader',
        async () => (await user('rb-reader')).servedPostIds.includes('rb-x'),
        { timeoutMs: 10_000, intervalMs: 100 },
      );
      await publish(
        { $case: 'follow', value: { userId: 'rb-reader', blogId: 'bob-cooks' } },
        { $case: 'follow', value: { userId: 'rb-control', blogId: 'bob-cooks' } },
      );
      await waitFor(
        "rb-x in rb-control's dashboard",
        async () =>
          (await feed('rb-control', { pageSize: 100 })).items.some((i) => i.postId === 'rb-x'),
        { timeoutMs: 10_000, intervalMs: 100 },
      );
      await waitFor(
        'rb-reader following bob-cooks',
        async () => (await user('rb-reader')).followedBlogIds.includes('bob-cooks'),
        { timeoutMs: 10_000, intervalMs: 100 },
      );
      for (let session = 0; session < 3; session++) await readerFeed();
      assert.ok(
        !servedToReader.includes('rb-x'),
        `served to rb-reader: ${servedToReader.join(',')}`,
      );
    } finally {
      features.close();
    }
  });

  it('gives a user never seen before a cold-start feed of popular and fresh posts', async () => {
    const response = await feed('someone-new', { surface: commonv1.Surface.SURFACE_FOR_YOU });
    assert.ok(response.items.length > 0);
    const sources = new Set(response.items.flatMap((i) => i.sources));
    assert.ok(sources.has('popular') || sources.has('fresh'), [...sources].join(','));
  });

  it('traces a feed through the gateway and every service it called', async () => {
    const response = await feed('trace-check', { surface: commonv1.Surface.SURFACE_FOR_YOU });
    assert.ok(response.items.length > 0 && response.model !== '', 'the feed used the ranker');
    const traceOf = (all: ReturnType<OtlpJsonReceiver['spans']>) =>
      all.find(
        (s) =>
          s.name === 'feed.pipeline' && s.attributes['feedmesh.request_id'] === response.requestId,
      )?.traceId;
    await receiver
      .waitForSpans((all) => traceOf(all) !== undefined, 10_000)
      .catch((error: Error) => {
        const pipeline = receiver.spans().filter((s) => s.name === 'feed.pipeline');
        throw new Error(
          `${error.message.slice(0, 200)}; pipeline spans: ${JSON.stringify(pipeline.map((s) => s.attributes)).slice(0, 1500)}`,
        );
      });
    const traceId = traceOf(receiver.spans())!;
    // The downstream processes export on their own schedule: wait for their spans too.
    const spans = await receiver.waitForSpans((all) => {
      const services = new Set(all.filter((s) => s.traceId === traceId).map((s) => s.serviceName));
      return ['feed-gateway', 'feature-store', 'candidate-generation', 'ranker'].every((name) =>
        services.has(name),
      );
    }, 10_000);
    const inTrace = spans.filter((s) => s.traceId === traceId);
    const names = new Set(inTrace.map((s) => s.name));
    for (const rpc of [
      'feedmesh.gateway.v1.FeedGatewayService/GetFeed',
      'feedmesh.features.v1.FeatureStoreService/GetUserFeatures',
      'feedmesh.candidates.v1.CandidateGenerationService/Generate',
      'feedmesh.features.v1.FeatureStoreService/GetFeatures',
      'feedmesh.ranker.v1.RankerService/Rank',
    ]) {
      assert.ok(names.has(rpc), `${rpc} missing from the trace`);
    }
    // One trace: every span but the root has its parent in the same trace.
    const ids = new Set(inTrace.map((s) => s.spanId));
    const orphans = inTrace.filter((s) => s.parentSpanId && !ids.has(s.parentSpanId));
    assert.ok(orphans.length <= 1, `orphans: ${orphans.map((s) => s.name).join(', ')}`);
  });

  it('finds a new post in search within 2 s of its PostCreated', async () => {
    const started = Date.now();
    await publish({
      $case: 'postCreated',
      value: {
        postId: 'quokka-1',
        blogId: 'bob-cooks',
        text: 'Zanzibar quokkas eat lemons',
        tags: ['food'],
        mediaKind: 1,
        reblogOf: '',
      },
    });
    const hit = await waitFor(
      'the new post in search',
      async () => {
        const r = await gateway.search({
          userId: '',
          query: 'quokkas',
          tags: [],
          blogId: '',
          order: 0,
          pageSize: 10,
          cursor: '',
        });
        return r.hits.find((h) => h.postId === 'quokka-1');
      },
      { timeoutMs: 2_000, intervalMs: 50 },
    );
    assert.ok(hit.score > 0);
    assert.ok(Date.now() - started <= 2_500);
  });

  it("delivers a like on a user's post to that user's inbox", async () => {
    await publish({ $case: 'engagement', value: { userId: 'bob', postId: 'alice-1', kind: LIKE } });
    const notification = await waitFor(
      "the like in alice's inbox",
      async () => {
        const inbox = await gateway.listNotifications({
          userId: 'alice',
          pageSize: 20,
          cursor: '',
          unreadOnly: false,
        });
        return inbox.notifications.find((n) => n.postIds.includes('alice-1'));
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    assert.ok(notification.actorIds.includes('bob'));
    assert.match(notification.title, /liked/);
  });

  it('rejects bad input at every gateway RPC with INVALID_ARGUMENT naming the field', async () => {
    const expectInvalid = async (call: Promise<unknown>, field: RegExp) => {
      const error = await call.then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof ClientError, String(error));
      assert.equal(error.code, Status.INVALID_ARGUMENT);
      assert.match(error.details, field);
    };
    await expectInvalid(feed(''), /^user_id/);
    await expectInvalid(feed('reader', { pageSize: 0 }), /^page_size/);
    await expectInvalid(feed('reader', { cursor: 'not-a-cursor' }), /^cursor/);
    await expectInvalid(
      gateway.search({
        userId: '',
        query: '',
        tags: [],
        blogId: '',
        order: 0,
        pageSize: 10,
        cursor: '',
      }),
      /^query/,
    );
    await expectInvalid(
      gateway.listNotifications({ userId: 'alice', pageSize: 101, cursor: '', unreadOnly: false }),
      /^page_size/,
    );
    await expectInvalid(
      gateway.markNotificationsRead({ userId: 'alice', notificationIds: ['bad id'], all: false }),
      /^notification_ids\[0\]/,
    );
    await expectInvalid(
      gateway.publishEvents({
        events: [
          {
            eventId: 'x'.repeat(65),
            atMs: 0,
            payload: { $case: 'sessionStarted', value: { userId: 'u' } },
          },
        ],
      }),
      /^events\[0\]\.event_id/,
    );
    const stream = gateway.subscribeNotifications({ userId: '', afterNotificationId: '' });
    await expectInvalid(
      (async () => {
        for await (const _ of stream) break;
      })(),
      /^user_id/,
    );
  });

  it('still answers with the ranker stopped, naming it in degraded', async () => {
    const code = await services.get('ranker')!.stop();
    assert.equal(code, 0, 'the ranker drains and exits 0 on SIGTERM');
    const response = await feed('reader');
    assert.ok(response.items.length > 0);
    assert.ok(
      response.degraded.some((d) => d.component === 'ranker'),
      JSON.stringify(response.degraded),
    );
    assert.equal(response.model, '');
  });
});
