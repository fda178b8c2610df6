import assert from 'node:assert/strict';
import { candidatesv1, commonv1, eventsv1, gatewayv1 } from '@feedmesh/contracts';
import { InMemoryEventLog } from '@feedmesh/events';
import {
  ClientError,
  createServiceClient,
  loadConfig,
  Status,
  type RunningServer,
  type Runtime,
  type ServiceClient,
} from '@feedmesh/service-kit';
import { createLogger, startTelemetry, type InMemoryTelemetry } from '@feedmesh/telemetry';
import { waitFor } from '@feedmesh/testing';
import { feedGatewayConfigShape, startFeedGateway, everyStageBudget } from './index.js';
import { candidate, FakeMesh } from './test-support/fake-mesh.js';
import { callWithWireDeadline } from './test-support/wire-deadline-call.js';

type Gateway = ServiceClient<typeof gatewayv1.FeedGatewayServiceDefinition>;

const DASHBOARD = commonv1.Surface.SURFACE_DASHBOARD;

async function events(log: InMemoryEventLog): Promise<eventsv1.Event[]> {
  const all: eventsv1.Event[] = [];
  for await (const event of log.history()) all.push(event);
  return all;
}

async function statusOf(call: Promise<unknown>): Promise<{ code: Status; details: string }> {
  const error = await call.then(
    () => assert.fail('expected the call to fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ClientError, `expected a ClientError, got ${String(error)}`);
  return { code: error.code, details: error.details };
}

describe('feed-gateway', () => {
  let mesh: FakeMesh;
  let log: InMemoryEventLog;
  let server: RunningServer;
  let gateway: Gateway;
  let closeClient: () => void;
  /** The gateway's log lines at warn and above, parsed. */
  let logged: Array<Record<string, unknown>>;

  /** The gateway over the fake mesh, with `env` over the tests' settings. */
  async function startGateway(env: Record<string, string> = {}): Promise<void> {
    const runtime: Runtime = {
      redis: undefined,
      eventLog: log,
      prefix: 'test',
      consumerName: 't',
      close: async () => {},
    };
    const address = mesh.address;
    const config = loadConfig(feedGatewayConfigShape, {
      FEATURE_STORE_ADDR: address,
      CANDIDATE_GENERATION_ADDR: address,
      RANKER_ADDR: address,
      SEARCH_ADDR: address,
      NOTIFICATION_ADDR: address,
      FEED_DEADLINE_MS: '2000',
      // No test here is about a stage's budget: the defaults (60-120 ms) were missed now and
      // then on a loaded machine, and a page came back empty, degraded.
      ...everyStageBudget(1000),
      CURSOR_SECRET: 'a-test-secret-of-some-length',
      ...env,
    });
    server = await startFeedGateway({
      config,
      runtime,
      logger: createLogger('gateway', {
        level: 'warn',
        destination: { write: (line: string) => logged.push(JSON.parse(line)) },
      }),
    });
    const handle = createServiceClient(gatewayv1.FeedGatewayServiceDefinition, server.address, {
      deadlineMs: 5_000,
    });
    gateway = handle.client;
    closeClient = handle.close;
  }

  /** Replaces the running gateway with one configured with `env`. */
  async function restartGateway(env: Record<string, string>): Promise<void> {
    closeClient();
    await server.shutdown();
    await startGateway(env);
  }

  beforeEach(async () => {
    logged = [];
    mesh = await new FakeMesh().start();
    log = new InMemoryEventLog();
    await startGateway();
  });

  afterEach(async () => {
    closeClient();
    await server.shutdown();
    await mesh.stop();
    await log.close();
  });

  describe('PublishEvents', () => {
    const like = (id: string, postId: string): eventsv1.Event => ({
      eventId: id,
      atMs: 0,
      payload: {
        $case: 'engagement',
        value: { userId: 'u1', postId, kind: commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE },
      },
    });

    // One valid event of each kind the table below breaks one field of.
    const post = (value: Partial<eventsv1.PostCreated> = {}) =>
      eventsv1.Event.fromPartial({
        eventId: 'x1',
        payload: {
          $case: 'postCreated',
          value: {
            postId: 'p9',
            blogId: 'b1',
            text: 'charcoal study',
            tags: ['art', 'charcoal'],
            mediaKind: commonv1.MediaKind.MEDIA_KIND_PHOTO,
            ...value,
          },
        },
      });
    const blog = (value: Partial<eventsv1.BlogCreated> = {}) =>
      eventsv1.Event.fromPartial({
        eventId: 'x1',
        payload: {
          $case: 'blogCreated',
          value: { blogId: 'b1', ownerUserId: 'u1', name: 'alice-art', title: 'Alice', ...value },
        },
      });
    const served = (value: Partial<eventsv1.Impression> = {}) =>
      eventsv1.Event.fromPartial({
        eventId: 'x1',
        payload: {
          $case: 'impression',
          value: {
            userId: 'u1',
            postId: 'p1',
            requestId: 'r1',
            position: 3,
            surface: DASHBOARD,
            experiments: [{ experiment: 'newcomers', variant: 'treatment' }],
            source: 'following',
            model: 'feed@v3',
            score: 0.5,
            featureSchema: 'fs-0123456789abcdef',
            featureValues: [1, 0.25],
            ...value,
          },
        },
      });
    const sent = (value: Partial<eventsv1.NotificationSent> = {}) =>
      eventsv1.Event.fromPartial({
        eventId: 'x1',
        payload: {
          $case: 'notificationSent',
          value: {
            userId: 'u1',
            notificationId: 'n1',
            type: 'ACTIVITY',
            experiments: [{ experiment: 'newcomers', variant: 'control' }],
            ...value,
          },
        },
      });
    const experiments = (count: number) =>
      Array.from({ length: count }, (_, i) => ({ experiment: `layer-${i}`, variant: 'control' }));

    it('appends a valid batch before answering, stamping at_ms when it is 0', async () => {
      const response = await gateway.publishEvents({
        events: [like('e1', 'p1'), like('e2', 'p2')],
      });
      assert.equal(response.accepted, 2);
      const logged = await events(log);
      assert.deepEqual(logged.map((e) => e.eventId).sort(), ['e1', 'e2']);
      assert.ok(logged.every((e) => e.atMs > 0));
    });

    it('rejects a mixed batch whole, naming the index and field of the first bad event', async () => {
      const { code, details } = await statusOf(
        gateway.publishEvents({
          events: [like('e1', 'p1'), like('e2', ''), like('e3', 'bad id!')],
        }),
      );
      assert.equal(code, Status.INVALID_ARGUMENT);
      assert.match(details, /^events\[1\]\.engagement\.post_id: is required$/);
      assert.deepEqual(await events(log), []);
    });

    it('rejects an empty batch, a batch over 1,000, an event without a payload and an unknown kind', async () => {
      assert.match(
        (await statusOf(gateway.publishEvents({ events: [] }))).details,
        /^events: must not be empty/,
      );
      const many = Array.from({ length: 1_001 }, (_, i) => like(`e${i}`, 'p1'));
      assert.match(
        (await statusOf(gateway.publishEvents({ events: many }))).details,
        /^events: must have at most 1000/,
      );
      const bare = { eventId: 'e1', atMs: 0, payload: undefined };
      assert.match(
        (await statusOf(gateway.publishEvents({ events: [bare] }))).details,
        /^events\[0\]\.payload:/,
      );
      const odd = like('e1', 'p1');
      (odd.payload as { value: { kind: number } }).value.kind = 42;
      assert.match(
        (await statusOf(gateway.publishEvents({ events: [odd] }))).details,
        /^events\[0\]\.engagement\.kind: unknown value 42/,
      );
    });

    it('refuses a batch naming one event_id twice (consumers would drop the second), naming the later one', async () => {
      const { code, details } = await statusOf(
        gateway.publishEvents({ events: [like('e1', 'p1'), like('e2', 'p2'), like('e1', 'p3')] }),
      );
      assert.equal(code, Status.INVALID_ARGUMENT);
      assert.match(details, /^events\[2\]\.event_id: .*events\[0\]/);
      assert.deepEqual(await events(log), []);
    });

    it('rejects an event stamped more than 5 minutes in the future', async () => {
      const future = { ...like('e1', 'p1'), atMs: Date.now() + 3_600_000 };
      assert.match(
        (await statusOf(gateway.publishEvents({ events: [future] }))).details,
        /^events\[0\]\.at_ms:/,
      );
    });

    it('refuses, naming the field, what a consumer would crash on, drop or store wrongly', async () => {
      const refused: Array<[what: string, event: eventsv1.Event, details: string]> = [
        [
          'a time in seconds',
          { ...like('x1', 'p1'), atMs: 1_700_000_000 },
          'at_ms: must be milliseconds since the epoch, from 100000000000 (1973-03-03) on, got 1700000000',
        ],
        [
          'a negative time',
          { ...like('x1', 'p1'), atMs: -5 },
          'at_ms: must be milliseconds since the epoch, from 100000000000 (1973-03-03) on, got -5',
        ],
        ['a blog name of spaces', blog({ name: '   ' }), 'blog_created.name: must not be blank'],
        [
          'a blog name of invisible characters',
          blog({ name: '\u200b\u2060\ufeff\u3164' }),
          'blog_created.name: must not be blank',
        ],
        [
          'a tag of invisible characters',
          post({ tags: ['art', '\u200b\u2060'] }),
          'post_created.tags[1]: must not be blank',
        ],
        [
          'a tag over 64 characters as consumers spell it',
          post({ tags: ['\ufb03'.repeat(30)] }),
          'post_created.tags[0]: must be at most 64 characters once normalized (NFKC, as consumers match tags), got 90',
        ],
        [
          'a reblog of itself',
          post({ postId: 'p9', reblogOf: 'p9' }),
          'post_created.reblog_of: must not be the post itself',
        ],
        [
          'an impression of a reblog of itself',
          served({ postId: 'p1', reblogOf: 'p1' }),
          'impression.reblog_of: must not be the post itself',
        ],
        [
          'an impression of a reblog of something that is not an id',
          served({ reblogOf: 'bad id!' }),
          'impression.reblog_of: may contain only letters, digits and _ . : -',
        ],
        [
          'an experiment without its id',
          served({ experiments: [{ experiment: '', variant: 'control' }] }),
          'impression.experiments[0].experiment: is required',
        ],
        [
          'a variant that is not a name',
          served({ experiments: [{ experiment: 'newcomers', variant: 'treat ment' }] }),
          'impression.experiments[0].variant: may contain only letters, digits and _ . : -',
        ],
        [
          'a notification sent under an empty variant',
          sent({ experiments: [{ experiment: 'newcomers', variant: '' }] }),
          'notification_sent.experiments[0].variant: is required',
        ],
        [
          'one experiment in two variants',
          served({
            experiments: [
              { experiment: 'newcomers', variant: 'control' },
              { experiment: 'newcomers', variant: 'treatment' },
            ],
          }),
          'impression.experiments[1].experiment: repeats experiments[0] (newcomers): a user is in one variant of an experiment',
        ],
        [
          'more experiments than a config has layers',
          served({ experiments: experiments(51) }),
          'impression.experiments: must have at most 50 items, got 51',
        ],
        [
          'an impression without its source',
          served({ source: '' }),
          'impression.source: is required',
        ],
        [
          'a source that is not a name',
          served({ source: 'popular!' }),
          'impression.source: may contain only letters, digits and _ . : -',
        ],
        [
          'a model that is not name@version',
          served({ model: 'feed@' }),
          'impression.model: must be empty or name@version, each 1-64 characters of [A-Za-z0-9_.:-], got "feed@"',
        ],
        [
          'a score that is not a number',
          served({ score: NaN }),
          'impression.score: must be a finite number, got NaN',
        ],
        [
          'an infinite score',
          served({ score: -Infinity }),
          'impression.score: must be a finite number, got -Infinity',
        ],
        [
          'feature values without their schema',
          served({ featureSchema: '' }),
          'impression.feature_schema: is required with feature_values',
        ],
        [
          'a feature schema that is not an id',
          served({ featureSchema: 'fs 1' }),
          'impression.feature_schema: may contain only letters, digits and _ . : -',
        ],
        [
          'a feature value that is not a number',
          served({ featureValues: [1, NaN] }),
          'impression.feature_values[1]: must be a finite number, got NaN',
        ],
        [
          'an infinite feature value',
          served({ featureValues: [-Infinity, 1] }),
          'impression.feature_values[0]: must be a finite number, got -Infinity',
        ],
        [
          'more missing bits than feature values',
          served({ featureValues: [1, 2], featureMissing: Buffer.from([1, 0]) }),
          'impression.feature_missing: must be at most 1 bytes for 2 feature values, got 2',
        ],
        ['a notification of no type', sent({ type: '' }), 'notification_sent.type: is required'],
        [
          'a notification of an unknown type',
          sent({ type: 'Activity' }),
          'notification_sent.type: must be one of ACTIVITY, NEW_POST, TRENDING, REACTIVATION, got "Activity"',
        ],
      ];
      const answers: Array<[string, string]> = [];
      for (const [what, event] of refused) {
        const answer = await gateway.publishEvents({ events: [like('e0', 'p0'), event] }).then(
          () => 'accepted',
          (error: unknown) =>
            error instanceof ClientError
              ? `${Status[error.code]} ${error.details}`
              : `failed: ${String(error)}`,
        );
        answers.push([what, answer]);
      }
      assert.deepEqual(
        answers,
        refused.map(([what, , details]) => [what, `INVALID_ARGUMENT events[1].${details}`]),
      );
      assert.deepEqual(await events(log), []);
    });

    it('accepts what the contract allows at its edges', async () => {
      const allowed: Array<[what: string, event: eventsv1.Event]> = [
        ['the earliest time taken', { ...like('x', 'p1'), atMs: 100_000_000_000 }],
        [
          'a tag with an invisible character inside, one tag in two spellings, an emoji',
          post({ tags: ['ca\u200bts', 'cats', 'Cats', '\u{1f338}', 'a'.repeat(64)] }),
        ],
        [
          'an original post without text, tags or media kind',
          post({ text: '', tags: [], mediaKind: commonv1.MediaKind.MEDIA_KIND_UNSPECIFIED }),
        ],
        ['a reblog', post({ postId: 'p9', reblogOf: 'p1' })],
        ['a blog name of several words, no title', blog({ name: ' Alice draws ', title: '' })],
        [
          'an impression scored without the ranker, features or experiments',
          served({
            surface: commonv1.Surface.SURFACE_UNSPECIFIED,
            experiments: [],
            model: '',
            score: -2.5,
            featureSchema: '',
            featureValues: [],
          }),
        ],
        ['an impression of a reblog', served({ reblogOf: 'p0', model: 'heuristic@builtin-1' })],
        ['an impression scored by a model named without its version', served({ model: 'feed' })],
        [
          'an impression with a feature schema and no values, as one for no features',
          served({ featureValues: [], featureSchema: 'fs-0123456789abcdef' }),
        ],
        [
          'an impression under as many experiments as layers',
          served({ experiments: experiments(50) }),
        ],
        ...['ACTIVITY', 'NEW_POST', 'TRENDING', 'REACTIVATION'].map(
          (type): [string, eventsv1.Event] => [`a ${type} notification`, sent({ type })],
        ),
        ['a notification sent under no experiment', sent({ experiments: [] })],
      ];
      const response = await gateway.publishEvents({
        events: allowed.map(([, event], i) => ({ ...event, eventId: `ok-${i}` })),
      });
      assert.equal(response.accepted, allowed.length);
    });

    it('accepts the impressions it logs itself, so that an exported log can be published again', async () => {
      mesh.candidates = [
        candidate('p1', 'b1', [['popular', 1]]),
        candidate('p2', 'b2', [['following', 1]], { reblogOf: 'p0' }),
      ];
      mesh.rankerValues = new Map([
        ['p1', 0.5],
        ['p2', 0.25],
      ]);
      await gateway.getFeed({
        userId: 'u1',
        surface: DASHBOARD,
        tag: '',
        pageSize: 10,
        cursor: '',
      });
      const impressions = await waitFor('the impressions', async () => {
        const found = (await events(log)).filter((e) => e.payload?.$case === 'impression');
        return found.length === 2 ? found : undefined;
      });
      const response = await gateway.publishEvents({ events: impressions });
      assert.equal(response.accepted, 2);
    });
  });

  describe('GetFeed', () => {
    const feed = (overrides: Partial<gatewayv1.GetFeedRequest> = {}) =>
      gateway.getFeed({
        userId: 'u1',
        surface: DASHBOARD,
        tag: '',
        pageSize: 10,
        cursor: '',
        ...overrides,
      });
    const ids = (response: gatewayv1.GetFeedResponse) => response.items.map((i) => i.postId);
    /** A session's pages, following next_cursor until it is empty (at most `limit` pages). */
    const session = async (overrides: Partial<gatewayv1.GetFeedRequest>, limit = 20) => {
      const pages: gatewayv1.GetFeedResponse[] = [];
      let cursor = '';
      do {
        const page = await feed({ ...overrides, cursor });
        pages.push(page);
        cursor = page.nextCursor;
      } while (cursor !== '' && pages.length < limit);
      return pages;
    };

    it('orders by the ranker, says why, and reports the model', async () => {
      mesh.candidates = [
        candidate('p1', 'b1', [['following', 1]]),
        candidate('p2', 'b2', [
          ['popular', 5],
          ['tags', 1],
        ]),
      ];
      mesh.rankerValues = new Map([
        ['p1', 0.2],
        ['p2', 0.9],
      ]);
      const response = await feed();
      assert.deepEqual(
        response.items.map((i) => i.postId),
        ['p2', 'p1'],
      );
      assert.equal(response.items[0]!.source, 'popular');
      assert.deepEqual(response.items[0]!.sources, ['popular', 'tags']);
      assert.equal(response.items[0]!.reason, 'popular reason');
      assert.equal(response.model, 'feed@v1');
      assert.deepEqual(response.degraded, []);
      assert.match(response.requestId, /^req_/);
    });

    it('asks for candidates without display fields and describes only the served page', async () => {
      mesh.candidates = Array.from({ length: 30 }, (_, i) =>
        candidate(`p${i}`, `b${i}`, [['popular', 30 - i]], { tags: [`tag${i}`] }),
      );
      const response = await feed({ pageSize: 5 });
      assert.equal(
        mesh.generateRequests[0]!.view,
        candidatesv1.CandidateView.CANDIDATE_VIEW_RANKING,
      );
      const served = response.items.map((i) => i.postId);
      assert.deepEqual(
        mesh.describeRequests.map((r) => r.postIds),
        [served],
      );
      assert.equal(served.length, 5);
      for (const item of response.items) {
        assert.equal(item.summary, `post ${item.postId}`);
        assert.deepEqual(item.tags, [`tag${item.postId.slice(1)}`]);
      }
    });

    it('serves the page without summaries when DescribePosts fails, and says so', async () => {
      mesh.candidates = [candidate('p1', 'b1', [['popular', 1]])];
      mesh.describeDown = true;
      const response = await feed();
      assert.deepEqual(
        response.items.map((i) => [i.postId, i.summary]),
        [['p1', '']],
      );
      assert.deepEqual(
        response.degraded.map((d) => d.component),
        ['candidate-generation'],
      );
      assert.match(response.degraded[0]!.reason, /^post descriptions unavailable/);
    });

    it('does not serve a post DescribePosts leaves out as deleted, and gives its place to the next candidate', async () => {
      // With the feature store down, post.deleted is unknown: DescribePosts is the last word.
      mesh.candidates = Array.from({ length: 6 }, (_, i) =>
        candidate(`p${i}`, `b${i}`, [['popular', 6 - i]]),
      );
      mesh.deletedPosts = new Set(['p1']);
      mesh.down.add('feature-store');
      const first = await feed({ pageSize: 3 });
      assert.deepEqual(ids(first), ['p0', 'p2', 'p3']);
      assert.deepEqual(
        first.items.map((i) => [i.position, i.summary]),
        [
          [0, 'post p0'],
          [1, 'post p2'],
          [2, 'post p3'],
        ],
      );
      assert.deepEqual(
        first.degraded.map((d) => d.component),
        ['feature-store', 'feature-store'],
      );
      const second = await feed({ pageSize: 3, cursor: first.nextCursor });
      assert.deepEqual(ids(second), ['p4', 'p5']);
      assert.ok(mesh.generateRequests[1]!.excludePostIds.includes('p1'));
      const impressions = await waitFor('the impressions of both pages', async () => {
        const found = (await events(log)).filter((e) => e.payload?.$case === 'impression');
        return found.length >= 5 ? found : undefined;
      });
      assert.deepEqual(
        impressions.map((e) => (e.payload as { value: eventsv1.Impression }).value.postId).sort(),
        ['p0', 'p2', 'p3', 'p4', 'p5'],
      );
    });

    it('ends the feed when the last candidates left are deleted, not before', async () => {
      mesh.candidates = Array.from({ length: 3 }, (_, i) =>
        candidate(`p${i}`, `b${i}`, [['popular', 3 - i]]),
      );
      mesh.deletedPosts = new Set(['p2']);
      mesh.down.add('feature-store');
      const first = await feed({ pageSize: 2 });
      assert.deepEqual(ids(first), ['p0', 'p1']);
      assert.notEqual(first.nextCursor, '');
      const second = await feed({ pageSize: 2, cursor: first.nextCursor });
      assert.deepEqual(ids(second), []);
      assert.equal(second.nextCursor, '');
    });

    it('orders by source score when the ranker answers fewer values than candidates, and says so', async () => {
      mesh.candidates = [
        candidate('low', 'b1', [['popular', 1]]),
        candidate('high', 'b2', [['popular', 9]]),
      ];
      mesh.rankerValues = new Map([
        ['low', 0.9],
        ['high', 0.1],
      ]);
      mesh.rankerShort = true;
      const response = await feed();
      assert.deepEqual(ids(response), ['high', 'low']);
      assert.equal(response.model, '');
      assert.deepEqual(
        response.degraded.map((d) => d.component),
        ['ranker'],
      );
      assert.match(response.degraded[0]!.reason, /^ranker unavailable.*1 value.* 2 candidates/);
    });

    it('orders by source score when the feature store answers fewer rows than posts asked, and says so', async () => {
      mesh.candidates = [
        candidate('low', 'b1', [['popular', 1]]),
        candidate('high', 'b2', [['popular', 9]]),
      ];
      mesh.rankerValues = new Map([
        ['low', 0.9],
        ['high', 0.1],
      ]);
      mesh.featuresShort = true;
      const response = await feed();
      assert.deepEqual(ids(response), ['high', 'low']);
      assert.equal(response.model, '');
      assert.deepEqual(
        response.degraded.map((d) => d.component),
        ['feature-store'],
      );
      assert.match(response.degraded[0]!.reason, /^features unavailable.*1 row.* 2 posts/);
      assert.equal(mesh.rankRequests.length, 0);
    });

    it('drops a candidate whose ids are malformed instead of losing the features of the whole page', async () => {
      mesh.candidates = [
        candidate('p1', 'b1', [['popular', 1]]),
        candidate('bad id!', 'b2', [['popular', 5]]),
        candidate('p3', 'b3 ', [['popular', 5]]),
        candidate('p4', 'b4', [['popular', 5]], { reblogOf: 'x'.repeat(65) }),
        candidate('', 'b5', [['popular', 5]]),
        candidate('p2', 'b2', [['popular', 2]]),
      ];
      mesh.rankerValues = new Map([
        ['p1', 0.9],
        ['p2', 0.1],
      ]);
      const response = await feed();
      assert.deepEqual(ids(response), ['p1', 'p2']);
      assert.equal(response.model, 'feed@v1');
      assert.deepEqual(response.degraded, []);
      assert.deepEqual(
        response.items.map((i) => i.summary),
        ['post p1', 'post p2'],
      );
    });

    it('filters hidden posts, blocked and own blogs, what was served, duplicate reblogs and spam', async () => {
      mesh.candidates = [
        candidate('keep', 'b1', [['popular', 1]]),
        candidate('hidden', 'b1', [['popular', 1]]),
        candidate('reblog-of-hidden', 'b2', [['popular', 1]], { reblogOf: 'hidden' }),
        candidate('blocked', 'b-blocked', [['popular', 1]]),
        candidate('own', 'b-own', [['popular', 1]]),
        candidate('served', 'b3', [['popular', 1]]),
        candidate('root', 'b4', [
          ['popular', 1],
          ['tags', 1],
        ]),
        candidate('reblog-of-root', 'b5', [['popular', 1]], { reblogOf: 'root' }),
        candidate('deleted', 'b6', [['popular', 1]]),
        candidate('spam', 'b7', [['popular', 1]]),
      ];
      mesh.deletedPosts = new Set(['deleted']);
      mesh.spamPosts = new Set(['spam']);
      mesh.userFeatures = {
        hiddenPostIds: ['hidden'],
        blockedBlogIds: ['b-blocked'],
        ownBlogIds: ['b-own'],
        servedPostIds: ['served'],
      };
      const response = await feed();
      assert.deepEqual(response.items.map((i) => i.postId).sort(), ['keep', 'root']);
    });

    it('sends the ranker the feature rows of the posts left after deleted and spam, in order', async () => {
      mesh.candidates = ['p1', 'gone', 'p2', 'junk', 'p3'].map((id) =>
        candidate(id, `b-${id}`, [['popular', 1]]),
      );
      mesh.deletedPosts = new Set(['gone']);
      mesh.spamPosts = new Set(['junk']);
      mesh.unknownPosts = new Set(['p2']);
      mesh.rankerValues = new Map([
        ['p1', 0.1],
        ['gone', 9],
        ['p2', 0.3],
        ['junk', 9],
        ['p3', 0.2],
      ]);
      const response = await feed();
      assert.deepEqual(
        response.items.map((i) => i.postId),
        ['p2', 'p3', 'p1'],
      );
      const sent = mesh.rankRequests[0]!;
      assert.deepEqual(sent.user?.values, [1]);
      assert.equal(sent.candidates?.rows, 3);
      // Columns: post.deleted, post.value, blog.is_new_creator, post.spam_score.
      const row = (value: number) => [0, Math.fround(value), 0, 0];
      assert.deepEqual(sent.candidates?.values, [...row(0.1), ...row(0.3), ...row(0.2)]);
      // p2's post.value (second row, second column: value 5) is missing, in the kept rows too.
      assert.deepEqual([...(sent.candidates?.missing ?? [])], [0b100000, 0]);
      assert.equal(response.items[0]!.score, Math.fround(0.3));
    });

    it('passes the whole matrix on when no row is dropped, with its missing bitset', async () => {
      mesh.candidates = ['p1', 'p2'].map((id) => candidate(id, `b-${id}`, [['popular', 1]]));
      mesh.unknownPosts = new Set(['p1']);
      mesh.rankerValues = new Map([
        ['p1', 2],
        ['p2', 1],
      ]);
      await feed();
      const sent = mesh.rankRequests[0]!;
      assert.deepEqual(sent.candidates?.values, [0, 2, 0, 0, 0, 1, 0, 0]);
      assert.deepEqual([...(sent.candidates?.missing ?? [])], [0b10]);
    });

    it('serves page 2 with no post of page 1, and ends with an empty cursor', async () => {
      mesh.candidates = Array.from({ length: 15 }, (_, i) =>
        candidate(`p${i}`, `b${i}`, [['popular', 15 - i]]),
      );
      const first = await feed({ pageSize: 10 });
      assert.equal(first.items.length, 10);
      assert.notEqual(first.nextCursor, '');
      const second = await feed({ pageSize: 10, cursor: first.nextCursor });
      const firstIds = new Set(first.items.map((i) => i.postId));
      assert.equal(second.items.length, 5);
      assert.ok(second.items.every((i) => !firstIds.has(i.postId)));
      assert.equal(second.items[0]!.position, 10);
      assert.equal(second.nextCursor, '');
    });

    it('pages through every candidate not yet served, asking candidate-generation to skip what was', async () => {
      await restartGateway({ FEED_MAX_CANDIDATES: '10' });
      mesh.candidates = Array.from({ length: 23 }, (_, i) =>
        candidate(`p${i}`, `b${i}`, [['popular', 23 - i]]),
      );
      mesh.userFeatures = {
        servedPostIds: ['p0', 'p1'],
        engagedPostIds: ['p2'],
        hiddenPostIds: ['p3'],
      };
      const pages = await session({ pageSize: 5 });
      assert.deepEqual(
        pages.flatMap(ids).sort(),
        Array.from({ length: 19 }, (_, i) => `p${i + 4}`).sort(),
      );
      assert.deepEqual(
        pages.map((page) => page.items.length),
        [5, 5, 5, 4],
      );
      assert.equal(pages.at(-1)!.nextCursor, '');
      // Page 2 asked to skip page 1 and what the user was served, engaged with or hid.
      const skipped = new Set(mesh.generateRequests[1]!.excludePostIds);
      for (const postId of [...ids(pages[0]!), 'p0', 'p1', 'p2', 'p3']) {
        assert.ok(skipped.has(postId), postId);
      }
    });

    it('does not end the feed on a full page while candidate-generation may have more', async () => {
      await restartGateway({ FEED_MAX_CANDIDATES: '6' });
      mesh.candidates = [
        ...Array.from({ length: 4 }, (_, i) =>
          candidate(`blocked${i}`, 'b-blocked', [['popular', 9]]),
        ),
        ...Array.from({ length: 6 }, (_, i) => candidate(`p${i}`, `b${i}`, [['popular', 6 - i]])),
      ];
      mesh.userFeatures = { blockedBlogIds: ['b-blocked'] };
      // Each answer is the 4 blocked posts and 2 others: all 6 asked for, so the feed goes on.
      const pages = await session({ pageSize: 2 });
      assert.deepEqual(pages.flatMap(ids).sort(), ['p0', 'p1', 'p2', 'p3', 'p4', 'p5']);
      assert.equal(pages.at(-1)!.nextCursor, '');
    });

    it('asks candidate-generation to skip at most 5,000 posts, and for as many more candidates as it left out', async () => {
      mesh.candidates = [candidate('p1', 'b1', [['popular', 1]])];
      mesh.userFeatures = {
        servedPostIds: Array.from({ length: 3_000 }, (_, i) => `s${i}`),
        engagedPostIds: Array.from({ length: 2_500 }, (_, i) => `e${i}`),
      };
      await feed();
      const request = mesh.generateRequests[0]!;
      assert.equal(request.excludePostIds.length, 5_000);
      // FEED_MAX_CANDIDATES (1,000) and the 500 served posts that did not fit.
      assert.equal(request.maxCandidates, 1_500);
    });

    it('never serves a post on a later page as a reblog of it, or as the original of a reblog served', async () => {
      const x = candidate('X', 'bx', [['popular', 3]]);
      const y = candidate('Y', 'by', [['popular', 1]]);
      mesh.rankerValues = new Map([
        ['X', 3],
        ['R', 2],
        ['Y', 1],
      ]);
      // The original is served first: its reblog comes up on page 2.
      mesh.candidates = [x, candidate('R', 'br', [['popular', 2]], { reblogOf: 'X' }), y];
      assert.deepEqual((await session({ userId: 'u1', pageSize: 1 })).flatMap(ids), ['X', 'Y']);
      // The reblog, proposed by more sources, is served first: the original comes up on page 2.
      mesh.candidates = [
        x,
        candidate(
          'R',
          'br',
          [
            ['popular', 2],
            ['following', 2],
          ],
          { reblogOf: 'X' },
        ),
        y,
      ];
      assert.deepEqual((await session({ userId: 'u2', pageSize: 1 })).flatMap(ids), ['R', 'Y']);
    });

    it('does not serve a reblog of a post the user was served before', async () => {
      mesh.candidates = [
        candidate('X', 'bx', [['popular', 3]]),
        candidate('R', 'br', [['popular', 2]], { reblogOf: 'X' }),
        candidate('Y', 'by', [['popular', 1]]),
      ];
      mesh.userFeatures = { servedPostIds: ['X'] };
      assert.deepEqual(ids(await feed()), ['Y']);
    });

    describe('across sessions (what the feature store records of the impressions)', () => {
      const x = candidate('X', 'bx', [['popular', 3]]);
      const r2 = candidate('R2', 'br2', [['popular', 1.5]], { reblogOf: 'X' });
      const y = candidate('Y', 'by', [['popular', 1]]);
      /** R reblogs X; proposed by two sources, it wins X's root over X and R2. */
      const preferredReblog = candidate(
        'R',
        'br',
        [
          ['popular', 2],
          ['following', 2],
        ],
        { reblogOf: 'X' },
      );
      beforeEach(() => {
        mesh.rankerValues = new Map([
          ['X', 3],
          ['R', 2],
          ['R2', 1.5],
          ['Y', 1],
        ]);
      });

      /** The impressions logged for the responses, once all are in the log. */
      const impressionsOf = (responses: readonly gatewayv1.GetFeedResponse[]) =>
        waitFor('the impressions', async () => {
          const requests = new Set(responses.map((r) => r.requestId));
          const expected = responses.reduce((n, r) => n + r.items.length, 0);
          const found = (await events(log)).flatMap((e) =>
            e.payload?.$case === 'impression' && requests.has(e.payload.value.requestId)
              ? [e.payload.value]
              : [],
          );
          return found.length === expected ? found : undefined;
        });

      /**
       * The served list the feature store keeps of these impressions: each post and the
       * original a reblog's impression names (services/feature-store, "Originals of reblogs").
       */
      const servedListOf = (impressions: readonly eventsv1.Impression[]) =>
        impressions.flatMap((i) => (i.reblogOf ? [i.postId, i.reblogOf] : [i.postId]));

      it('logs with the impression of a reblog the original it reblogs, and none with an original', async () => {
        mesh.candidates = [preferredReblog, y];
        const impressions = await impressionsOf([await feed()]);
        assert.deepEqual(
          impressions.map((i) => [i.postId, i.reblogOf ?? '']),
          [
            ['R', 'X'],
            ['Y', ''],
          ],
        );
      });

      it('serves in a later session neither the original nor another reblog of a reblog served before', async () => {
        mesh.candidates = [x, preferredReblog, r2, y];
        const first = await session({ pageSize: 1 }, 1);
        assert.deepEqual(first.flatMap(ids), ['R']);
        mesh.userFeatures = { servedPostIds: servedListOf(await impressionsOf(first)) };
        assert.deepEqual((await session({ pageSize: 1 })).flatMap(ids), ['Y']);
        // The sources were asked to skip the original too.
        assert.ok(mesh.generateRequests.at(-1)!.excludePostIds.includes('X'));
      });

      it('serves in a later session no reblog of an original served before', async () => {
        mesh.candidates = [x, candidate('R', 'br', [['popular', 2]], { reblogOf: 'X' }), r2, y];
        const first = await session({ pageSize: 1 }, 1);
        assert.deepEqual(first.flatMap(ids), ['X']);
        mesh.userFeatures = { servedPostIds: servedListOf(await impressionsOf(first)) };
        assert.deepEqual((await session({ pageSize: 1 })).flatMap(ids), ['Y']);
      });

      it('serves in a later session neither the original nor another reblog of a reblog liked before', async () => {
        mesh.candidates = [x, preferredReblog, r2, y];
        // The feature store lists a liked reblog's original beside it in the engaged list.
        mesh.userFeatures = { engagedPostIds: ['R', 'X'] };
        assert.deepEqual(ids(await feed()), ['Y']);
      });
    });

    it('on a tag page leaves out only what its own earlier pages served, not what other surfaces did', async () => {
      mesh.candidates = ['seen', 'new'].map((id) =>
        candidate(id, `b-${id}`, [['tags', 1]], { tags: ['music'] }),
      );
      mesh.userFeatures = { servedPostIds: ['seen'] };
      const tagPage = await feed({ surface: commonv1.Surface.SURFACE_TAG, tag: 'music' });
      assert.deepEqual(ids(tagPage).sort(), ['new', 'seen']);
      assert.ok(!mesh.generateRequests.at(-1)!.excludePostIds.includes('seen'));
      // The dashboard still leaves out what the reader was served before.
      assert.deepEqual(ids(await feed()), ['new']);
    });

    it('names a tag page as candidate-generation does: "Music" and "music" are one page', async () => {
      mesh.candidates = Array.from({ length: 5 }, (_, i) =>
        candidate(`m${i}`, `b${i}`, [['tags', 1]], { tags: ['music'] }),
      );
      const TAG = commonv1.Surface.SURFACE_TAG;
      const first = await feed({ surface: TAG, tag: 'Music', pageSize: 2 });
      assert.equal(mesh.generateRequests.at(-1)!.tag, 'music');
      const second = await feed({
        surface: TAG,
        tag: 'music',
        pageSize: 2,
        cursor: first.nextCursor,
      });
      assert.equal(second.items.length, 2, 'the cursor of "Music" reads on "music"');
      assert.deepEqual(
        ids(second).filter((id) => ids(first).includes(id)),
        [],
        'page 2 repeats nothing of page 1',
      );
    });

    it('serves the original when the reblog preferred over it is deleted or spam', async () => {
      mesh.candidates = [
        candidate('X', 'bx', [['popular', 1]]),
        candidate(
          'R',
          'br',
          [
            ['popular', 1],
            ['following', 1],
          ],
          { reblogOf: 'X' },
        ),
        candidate('Y', 'by', [['popular', 1]]),
      ];
      mesh.deletedPosts = new Set(['R']);
      assert.deepEqual(ids(await feed({ userId: 'u1' })).sort(), ['X', 'Y']);
      mesh.deletedPosts = new Set();
      mesh.spamPosts = new Set(['R']);
      assert.deepEqual(ids(await feed({ userId: 'u2' })).sort(), ['X', 'Y']);
    });

    it('still answers with the ranker down, ordered by source score, and says so in degraded', async () => {
      mesh.candidates = [
        candidate('low', 'b1', [['popular', 1]]),
        candidate('high', 'b2', [['popular', 9]]),
      ];
      mesh.down.add('ranker');
      const response = await feed();
      assert.deepEqual(
        response.items.map((i) => i.postId),
        ['high', 'low'],
      );
      assert.deepEqual(
        response.degraded.map((d) => d.component),
        ['ranker'],
      );
      assert.equal(response.model, '');
    });

    it('serves the cached popular list when candidate-generation is down', async () => {
      mesh.candidates = [
        candidate('pop', 'b1', [['popular', 3]]),
        candidate('mine', 'b2', [['following', 3]]),
      ];
      await feed();
      mesh.down.add('candidate-generation');
      const response = await feed({ userId: 'u2' });
      assert.deepEqual(
        response.items.map((i) => i.postId),
        ['pop'],
      );
      // Generate failed, and so did describing the page.
      assert.deepEqual(
        response.degraded.map((d) => d.component),
        ['candidate-generation', 'candidate-generation'],
      );
      assert.match(response.degraded[0]!.reason, /^candidate generation unavailable/);
      assert.match(response.degraded[1]!.reason, /^post descriptions unavailable/);
    });

    it("serves a tag page only that tag's cached popular posts when candidate-generation is down", async () => {
      const TAG = commonv1.Surface.SURFACE_TAG;
      mesh.candidates = ['k1', 'k2'].map((id) =>
        candidate(id, `b-${id}`, [['popular', 1]], { tags: ['knitting'] }),
      );
      await feed({ surface: TAG, tag: 'knitting' });
      mesh.down.add('candidate-generation');
      const photography = await feed({ userId: 'u3', surface: TAG, tag: 'photography' });
      assert.deepEqual(ids(photography), []);
      assert.deepEqual(
        photography.degraded.map((d) => d.component),
        ['candidate-generation'],
      );
      assert.deepEqual(ids(await feed({ userId: 'u3' })), []);
      const knitting = await feed({ userId: 'u4', surface: TAG, tag: 'knitting' });
      assert.deepEqual(ids(knitting).sort(), ['k1', 'k2']);
    });

    it('keeps handing out a cursor while candidate-generation is down, and resumes when it is back', async () => {
      mesh.candidates = [
        ...['pop1', 'pop2', 'pop3'].map((id) => candidate(id, `b-${id}`, [['popular', 1]])),
        candidate('mine', 'b-mine', [['following', 1]]),
      ];
      mesh.rankerValues = new Map([
        ['pop1', 3],
        ['pop2', 2],
        ['pop3', 1],
        ['mine', 0.5],
      ]);
      await feed(); // the gateway remembers the dashboard's popular posts
      mesh.down.add('candidate-generation');
      const first = await feed({ userId: 'u2', pageSize: 2 });
      assert.deepEqual(ids(first), ['pop1', 'pop2']);
      const second = await feed({ userId: 'u2', pageSize: 2, cursor: first.nextCursor });
      assert.deepEqual(ids(second), ['pop3']);
      assert.notEqual(second.nextCursor, '');
      const third = await feed({ userId: 'u2', pageSize: 2, cursor: second.nextCursor });
      assert.deepEqual(ids(third), []);
      assert.notEqual(third.nextCursor, '');
      mesh.down.delete('candidate-generation');
      const fourth = await feed({ userId: 'u2', pageSize: 2, cursor: third.nextCursor });
      assert.deepEqual(ids(fourth), ['mine']);
      assert.equal(fourth.items[0]!.position, 3);
      assert.equal(fourth.nextCursor, '');
    });

    it('gives an unknown user a feed when the feature store is down, and says so', async () => {
      mesh.candidates = [candidate('pop', 'b1', [['popular', 3]])];
      mesh.down.add('feature-store');
      const response = await feed({ userId: 'stranger' });
      assert.deepEqual(
        response.items.map((i) => i.postId),
        ['pop'],
      );
      assert.deepEqual(
        response.degraded.map((d) => d.component),
        ['feature-store', 'feature-store'],
      );
    });

    it('names each failing stage in degraded with its reason, two stages of one service included', async () => {
      mesh.candidates = [candidate('pop', 'b1', [['popular', 3]])];
      mesh.down.add('feature-store');
      const response = await feed();
      assert.deepEqual(
        response.degraded.map((d) => [d.component, d.reason.replace(/ \(.*$/, '')]),
        [
          ['feature-store', 'user context unavailable; not personalized'],
          ['feature-store', 'features unavailable; ordered by source score and recency'],
        ],
      );
    });

    it('logs no impression of a page whose caller gave up before it was ready', async () => {
      mesh.candidates = [candidate('p1', 'b1', [['popular', 1]])];
      mesh.rankerHangs = true;
      const controller = new AbortController();
      const call = gateway.getFeed(
        { userId: 'u1', surface: DASHBOARD, tag: '', pageSize: 10, cursor: '' },
        { signal: controller.signal },
      );
      await waitFor('the ranker to be asked', () => mesh.rankRequests.length > 0);
      controller.abort();
      await assert.rejects(call);
      // The pipeline goes on to the page's description, which fails at once: the caller is gone.
      await waitFor('the page to be described after the caller left', () =>
        logged.find(
          (line) =>
            line['msg'] === 'feed stage failed open' &&
            line['component'] === 'candidate-generation',
        ),
      );
      await new Promise((resolve) => setImmediate(resolve));
      const impressions = (await events(log)).filter((e) => e.payload?.$case === 'impression');
      assert.deepEqual(impressions, []);
    });

    it("answers OK within a caller's deadline shorter than FEED_DEADLINE_MS, without the ranker that hangs, and says so", async () => {
      // Budgets far beyond the caller's 1.5 s: planned on FEED_DEADLINE_MS alone, the ranking
      // stage would wait for the ranker past the caller's deadline. The margin is wide: on a
      // loaded machine the page is finished a few ms after the ranker is given up on.
      await restartGateway({
        FEED_DEADLINE_MS: '5000',
        ...everyStageBudget(5000),
        GATEWAY_RESPONSE_MARGIN_MS: '250',
      });
      mesh.candidates = [
        candidate('low', 'b1', [['popular', 1]]),
        candidate('high', 'b2', [['popular', 9]]),
      ];
      mesh.rankerHangs = true;
      const { code, details, response } = await callWithWireDeadline(
        server.address,
        gatewayv1.FeedGatewayServiceDefinition,
        gatewayv1.FeedGatewayServiceDefinition.methods.getFeed,
        { userId: 'u1', surface: DASHBOARD, tag: '', pageSize: 10, cursor: '' },
        1_500,
      );
      assert.equal(code, Status.OK, `expected OK, got ${Status[code]}: ${details}`);
      assert.deepEqual(ids(response!), ['high', 'low']);
      assert.equal(response!.model, '');
      assert.ok(
        response!.degraded.some((d) => d.component === 'ranker'),
        `expected the ranker in degraded, got ${JSON.stringify(response!.degraded)}`,
      );
    });

    it('logs each stage that failed open with the request id the response carries', async () => {
      mesh.candidates = [candidate('pop', 'b1', [['popular', 3]])];
      mesh.down.add('ranker');
      const response = await feed();
      const lines = logged.filter((line) => line['msg'] === 'feed stage failed open');
      assert.deepEqual(
        lines.map((line) => [line['requestId'], line['userId'], line['component']]),
        [[response.requestId, 'u1', 'ranker']],
      );
    });

    describe('metrics', () => {
      let telemetry: InMemoryTelemetry;

      before(() => {
        telemetry = startTelemetry({ serviceName: 'feed-gateway-test', inMemory: true });
      });

      after(() => telemetry.shutdown());

      /** The counter's value by its component attribute ('' for none). */
      async function counter(name: string): Promise<Record<string, number>> {
        const metric = (await telemetry.collectMetrics()).find(
          (candidate) => candidate.descriptor.name === name,
        );
        const points = (metric?.dataPoints ?? []) as Array<{
          attributes: Record<string, unknown>;
          value: number;
        }>;
        return Object.fromEntries(
          points.map((point) => [
            String(point.attributes['feedmesh.component'] ?? ''),
            point.value,
          ]),
        );
      }

      it('counts the stages that failed open, by component, though the call succeeded', async () => {
        const before = await counter('feedmesh.feed.degraded');
        mesh.candidates = [candidate('pop', 'b1', [['popular', 3]])];
        mesh.down.add('feature-store');
        await feed();
        const after = await counter('feedmesh.feed.degraded');
        assert.equal((after['feature-store'] ?? 0) - (before['feature-store'] ?? 0), 2);
      });

      it('counts the impressions the event log did not take, and logs them with the request id', async () => {
        const before = await counter('feedmesh.feed.impressions_lost');
        mesh.candidates = [
          candidate('p1', 'b1', [['popular', 3]]),
          candidate('p2', 'b2', [['popular', 2]]),
        ];
        await log.close();
        const response = await feed();
        assert.equal(response.items.length, 2);
        await waitFor('the lost impressions counted', async () => {
          const after = await counter('feedmesh.feed.impressions_lost');
          return (after[''] ?? 0) - (before[''] ?? 0) === 2 ? true : undefined;
        });
        const line = logged.find((l) => l['msg'] === 'impressions not logged');
        assert.equal(line?.['requestId'], response.requestId);
      });
    });

    it('logs an impression per served item with the features the ranker saw, and which were missing', async () => {
      mesh.candidates = [candidate('p1', 'b1', [['popular', 1]])];
      mesh.unknownPosts = new Set(['p1']);
      mesh.rankerValues = new Map([['p1', 0.5]]);
      const response = await feed();
      const impressions = await waitFor('the impression', async () => {
        const found = (await events(log)).filter((e) => e.payload?.$case === 'impression');
        return found.length > 0 ? found : undefined;
      });
      const impression = impressions[0]!.payload as {
        $case: 'impression';
        value: eventsv1.Impression;
      };
      assert.equal(impression.value.requestId, response.requestId);
      assert.equal(impression.value.postId, 'p1');
      assert.equal(impression.value.model, 'feed@v1');
      assert.equal(impression.value.featureSchema, 'test');
      assert.deepEqual(impression.value.featureValues, [1, 0, 0.5, 0, 0]);
      // User feature first: post.value is value 2.
      assert.deepEqual([...impression.value.featureMissing], [0b100]);
    });

    it('spreads one blog over the page', async () => {
      mesh.candidates = [
        candidate('a1', 'A', [['popular', 1]]),
        candidate('a2', 'A', [['popular', 1]]),
        candidate('b1', 'B', [['popular', 1]]),
      ];
      mesh.rankerValues = new Map([
        ['a1', 1],
        ['a2', 0.9],
        ['b1', 0.6],
      ]);
      const response = await feed();
      assert.deepEqual(
        response.items.map((i) => i.postId),
        ['a1', 'b1', 'a2'],
      );
    });

    it("gives a new creator's post a slot on the page though it ranks below it", async () => {
      mesh.candidates = [
        ...Array.from({ length: 12 }, (_, i) => candidate(`old${i}`, `b${i}`, [['popular', 1]])),
        candidate('newcomer', 'nb', [['popular', 1]]),
      ];
      mesh.rankerValues = new Map([
        ...Array.from({ length: 12 }, (_, i) => [`old${i}`, 1 - i / 100] as [string, number]),
        ['newcomer', 0.01],
      ]);
      mesh.newCreatorPosts = new Set(['newcomer']);
      // FEED_NEW_CREATOR_SHARE defaults to 0.1: one slot of a 10-item page.
      const page = (await feed({ pageSize: 10 })).items.map((i) => i.postId);
      assert.equal(page.length, 10);
      assert.ok(page.includes('newcomer'), page.join(' '));
      assert.deepEqual(
        page.slice(0, 9),
        Array.from({ length: 9 }, (_, i) => `old${i}`),
      );
    });

    it('rejects bad requests with INVALID_ARGUMENT naming the field', async () => {
      const cases: Array<[Partial<gatewayv1.GetFeedRequest>, RegExp]> = [
        [{ userId: '' }, /^user_id: is required/],
        [{ userId: 'u'.repeat(65) }, /^user_id: must be at most 64/],
        [{ pageSize: 0 }, /^page_size: must be between 1 and 100/],
        [{ pageSize: 101 }, /^page_size: must be between 1 and 100/],
        [{ surface: 77 as commonv1.Surface }, /^surface: unknown value 77/],
        [{ surface: commonv1.Surface.SURFACE_TAG }, /^tag: is required/],
        [{ surface: commonv1.Surface.SURFACE_TAG, tag: '   ' }, /^tag: must not be blank/],
        [{ surface: commonv1.Surface.SURFACE_TAG, tag: '#art' }, /^tag: must be given without/],
        [{ surface: commonv1.Surface.SURFACE_TAG, tag: '\u200b\u200b' }, /^tag: must not be blank/],
        [{ cursor: 'forged.cursor' }, /^cursor: was not issued/],
      ];
      for (const [request, message] of cases) {
        const { code, details } = await statusOf(feed(request));
        assert.equal(code, Status.INVALID_ARGUMENT, JSON.stringify(request));
        assert.match(details, message);
      }
    });

    it("refuses another user's cursor", async () => {
      mesh.candidates = Array.from({ length: 5 }, (_, i) =>
        candidate(`p${i}`, `b${i}`, [['popular', 1]]),
      );
      const first = await feed({ pageSize: 2 });
      const { details } = await statusOf(
        feed({ userId: 'u2', pageSize: 2, cursor: first.nextCursor }),
      );
      assert.match(details, /^cursor: was issued for another user/);
    });
  });

  describe('notifications', () => {
    it('rejects bad ids, page sizes and batches with INVALID_ARGUMENT naming the field', async () => {
      const list = (overrides: Partial<gatewayv1.ListNotificationsRequest>) =>
        gateway.listNotifications({
          userId: 'u1',
          pageSize: 10,
          cursor: '',
          unreadOnly: false,
          ...overrides,
        });
      assert.match((await statusOf(list({ userId: '' }))).details, /^user_id: is required/);
      assert.match(
        (await statusOf(list({ userId: 'x'.repeat(65) }))).details,
        /^user_id: must be at most 64/,
      );
      assert.match((await statusOf(list({ pageSize: 0 }))).details, /^page_size:/);
      assert.match((await statusOf(list({ pageSize: 101 }))).details, /^page_size:/);
      const mark = (ids: string[]) =>
        gateway.markNotificationsRead({ userId: 'u1', notificationIds: ids, all: false });
      assert.match(
        (await statusOf(mark(['n1', '']))).details,
        /^notification_ids\[1\]: is required/,
      );
      assert.match(
        (await statusOf(mark(Array.from({ length: 1_001 }, (_, i) => `n${i}`)))).details,
        /^notification_ids: must have at most 1000/,
      );
      const subscribe = async (request: gatewayv1.SubscribeNotificationsRequest) => {
        for await (const _ of gateway.subscribeNotifications(request)) break;
      };
      assert.match(
        (await statusOf(subscribe({ userId: 'u1', afterNotificationId: 'bad id' }))).details,
        /^after_notification_id:/,
      );
    });

    it('passes a valid call through to the notification service', async () => {
      const response = await gateway.listNotifications({
        userId: 'u1',
        pageSize: 10,
        cursor: '',
        unreadOnly: false,
      });
      assert.equal(response.unreadCount, 0);
    });
  });

  describe('Search', () => {
    const hit = (postId: string, score: number) => ({
      postId,
      blogId: 'b1',
      score,
      tags: [],
      createdAtMs: 0,
      highlights: [],
    });
    const search = (overrides: Partial<gatewayv1.SearchRequest> = {}) =>
      gateway.search({
        userId: '',
        query: 'cats',
        tags: [],
        blogId: '',
        order: 0,
        pageSize: 10,
        cursor: '',
        ...overrides,
      });

    it('keeps text order without a user', async () => {
      mesh.searchHits = [hit('t1', 3), hit('t2', 2)];
      const response = await search();
      assert.equal(response.ranking, gatewayv1.SearchRanking.SEARCH_RANKING_TEXT);
      assert.deepEqual(
        response.hits.map((h) => h.postId),
        ['t1', 't2'],
      );
    });

    it('re-ranks for a user, blending text relevance with the ranker', async () => {
      mesh.searchHits = [hit('t1', 3), hit('t2', 2.9)];
      mesh.rankerValues = new Map([
        ['t1', 0],
        ['t2', 1],
      ]);
      const response = await search({ userId: 'u1' });
      assert.equal(response.ranking, gatewayv1.SearchRanking.SEARCH_RANKING_PERSONALIZED);
      assert.deepEqual(
        response.hits.map((h) => h.postId),
        ['t2', 't1'],
      );
    });

    it('falls back to text order when the ranker answers fewer values than hits, and says so', async () => {
      mesh.searchHits = [hit('t1', 3), hit('t2', 2.9)];
      mesh.rankerValues = new Map([
        ['t1', 0],
        ['t2', 1],
      ]);
      mesh.rankerShort = true;
      const response = await search({ userId: 'u1' });
      assert.deepEqual(
        response.hits.map((h) => h.postId),
        ['t1', 't2'],
      );
      assert.equal(response.ranking, gatewayv1.SearchRanking.SEARCH_RANKING_TEXT);
      assert.deepEqual(
        response.degraded.map((d) => d.component),
        ['ranker'],
      );
    });

    it('falls back to text order when the ranker is down, and says so', async () => {
      mesh.searchHits = [hit('t1', 3), hit('t2', 2.9)];
      mesh.down.add('ranker');
      const response = await search({ userId: 'u1' });
      assert.equal(response.ranking, gatewayv1.SearchRanking.SEARCH_RANKING_TEXT);
      assert.deepEqual(
        response.degraded.map((d) => d.component),
        ['ranker'],
      );
    });

    it("answers OK within a caller's deadline shorter than SEARCH_DEADLINE_MS, in text order without the ranker that hangs", async () => {
      await restartGateway({ SEARCH_DEADLINE_MS: '5000', GATEWAY_RESPONSE_MARGIN_MS: '250' });
      mesh.searchHits = [hit('t1', 3), hit('t2', 2.9)];
      mesh.rankerHangs = true;
      const { code, details, response } = await callWithWireDeadline(
        server.address,
        gatewayv1.FeedGatewayServiceDefinition,
        gatewayv1.FeedGatewayServiceDefinition.methods.search,
        gatewayv1.SearchRequest.fromPartial({ userId: 'u1', query: 'cats', pageSize: 10 }),
        1_500,
      );
      assert.equal(code, Status.OK, `expected OK, got ${Status[code]}: ${details}`);
      assert.equal(response!.ranking, gatewayv1.SearchRanking.SEARCH_RANKING_TEXT);
      assert.deepEqual(
        response!.hits.map((h) => h.postId),
        ['t1', 't2'],
      );
      assert.deepEqual(
        response!.degraded.map((d) => d.component),
        ['ranker'],
      );
    });

    it('rejects an unknown order, too many tags and a bad blog id', async () => {
      assert.match(
        (await statusOf(search({ order: 9 as never }))).details,
        /^order: unknown value 9/,
      );
      assert.match(
        (await statusOf(search({ tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }))).details,
        /^tags: must have at most 10/,
      );
      assert.match((await statusOf(search({ blogId: 'no spaces' }))).details, /^blog_id:/);
    });

    it('rejects an empty query, an over-long one and a page size of 0', async () => {
      assert.match((await statusOf(search({ query: '  ' }))).details, /^query: is required/);
      assert.match(
        (await statusOf(search({ query: 'q'.repeat(513) }))).details,
        /^query: must be at most 512/,
      );
      assert.match((await statusOf(search({ pageSize: 0 }))).details, /^page_size:/);
    });
  });
});
