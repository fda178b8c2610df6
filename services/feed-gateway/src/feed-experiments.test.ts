import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commonv1, gatewayv1, rankerv1, type eventsv1 } from '@feedmesh/contracts';
import { ConfigError } from '@feedmesh/errors';
import { InMemoryEventLog } from '@feedmesh/events';
import { assign, parseExperimentsConfig } from '@feedmesh/experiments';
import {
  createServiceClient,
  loadConfig,
  type RunningServer,
  type Runtime,
} from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { waitFor } from '@feedmesh/testing';
import { feedGatewayConfigShape, startFeedGateway, everyStageBudget } from './index.js';
import { candidate, FakeMesh } from './test-support/fake-mesh.js';

const EXPERIMENT = `
layers:
  - id: feed
    experiments:
      - key: newcomers
        variants:
          - { name: control, weight: 0.5 }
          - name: treatment
            weight: 0.5
            overrides:
              model: feed-v2
              objectiveWeights: { like: 1, hide: -5 }
              sourceBudgets: { fresh: { maxCandidates: 80 } }
              mixer: { newCreatorShare: 0.5 }
`;

/** The first user id of the form u<n> the config puts in `variant`. */
function userIn(variant: string): string {
  const config = parseExperimentsConfig(EXPERIMENT);
  for (let n = 0; n < 1_000; n++) {
    if (assign(`u${n}`, config)[0]?.variant === variant) return `u${n}`;
  }
  throw new Error(`no user in ${variant}`);
}

describe('feed-gateway experiments (EXPERIMENTS_FILE)', () => {
  let dir: string;
  let file: string;
  let mesh: FakeMesh;
  let log: InMemoryEventLog;
  let server: RunningServer | undefined;

  const runtime = (): Runtime => ({
    redis: undefined,
    eventLog: log,
    prefix: 'test',
    consumerName: 't',
    close: async () => {},
  });
  const start = () =>
    startFeedGateway({
      config: loadConfig(feedGatewayConfigShape, {
        FEATURE_STORE_ADDR: mesh.address,
        CANDIDATE_GENERATION_ADDR: mesh.address,
        RANKER_ADDR: mesh.address,
        SEARCH_ADDR: mesh.address,
        NOTIFICATION_ADDR: mesh.address,
        FEED_DEADLINE_MS: '2000',
        // No test here is about a stage's budget: at the defaults (60-120 ms) a loaded machine
        // now and then timed the ranking out, and the fallback order put 'newcomer' on the
        // control user's page.
        ...everyStageBudget(1000),
        CURSOR_SECRET: 'a-test-secret-of-some-length',
        EXPERIMENTS_FILE: file,
      }),
      runtime: runtime(),
      logger: createLogger('gateway', { level: 'silent' }),
    });
  const feed = async (userId: string) => {
    const { client, close } = createServiceClient(
      gatewayv1.FeedGatewayServiceDefinition,
      server!.address,
      { deadlineMs: 5_000 },
    );
    try {
      return await client.getFeed({
        userId,
        surface: commonv1.Surface.SURFACE_DASHBOARD,
        tag: '',
        pageSize: 4,
        cursor: '',
      });
    } finally {
      close();
    }
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'feedmesh-experiments-'));
    file = join(dir, 'experiments.yaml');
    await writeFile(file, EXPERIMENT);
    mesh = await new FakeMesh().start();
    mesh.candidates = [
      ...['a', 'b', 'c', 'd', 'e', 'f'].map((id) => candidate(id, `blog-${id}`, [['popular', 1]])),
      candidate('newcomer', 'blog-new', [['fresh', 1]]),
    ];
    mesh.rankerValues = new Map([
      ...['a', 'b', 'c', 'd', 'e', 'f'].map((id, i) => [id, 1 - i / 10] as [string, number]),
      ['newcomer', 0.01],
    ]);
    log = new InMemoryEventLog();
  });

  afterEach(async () => {
    await server?.shutdown();
    server = undefined;
    await mesh.stop();
    await log.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("runs the treatment's model, weights, source budgets and mixer for its users only", async () => {
    server = await start();
    const treated = await feed(userIn('treatment'));
    const [rank] = mesh.rankRequests.splice(0);
    const [generate] = mesh.generateRequests.splice(0);
    assert.equal(rank?.model, 'feed-v2');
    assert.deepEqual(
      rank?.weights.map((w) => [w.objective, w.weight]),
      [
        [rankerv1.Objective.OBJECTIVE_LIKE, 1],
        [rankerv1.Objective.OBJECTIVE_HIDE, -5],
      ],
    );
    assert.deepEqual(generate?.sourceBudgets, [
      { source: 'fresh', maxCandidates: 80, timeoutMs: 0 },
    ]);
    assert.deepEqual(treated.experiments, [{ experiment: 'newcomers', variant: 'treatment' }]);
    // newCreatorShare 0.5 of a 4-item page: two slots, though only one new creator exists.
    assert.ok(treated.items.some((item) => item.postId === 'newcomer'));

    const control = await feed(userIn('control'));
    assert.equal(mesh.rankRequests[0]?.model, 'feed');
    assert.deepEqual(mesh.generateRequests[0]?.sourceBudgets, []);
    assert.deepEqual(control.experiments, [{ experiment: 'newcomers', variant: 'control' }]);
    assert.deepEqual(
      control.items.map((item) => item.postId),
      ['a', 'b', 'c', 'd'],
      'the default new-creator share (0.1) of a 4-item page rounds to no slot',
    );
  });

  it('logs the exposure with every impression it serves', async () => {
    server = await start();
    const user = userIn('treatment');
    const response = await feed(user);
    let impressions: eventsv1.Impression[] = [];
    await waitFor('the impressions are logged', async () => {
      impressions = [];
      for await (const event of log.history()) {
        if (event.payload?.$case === 'impression') impressions.push(event.payload.value);
      }
      return impressions.length === response.items.length;
    });
    for (const impression of impressions) {
      assert.deepEqual(impression.experiments, [{ experiment: 'newcomers', variant: 'treatment' }]);
    }
  });

  it('picks up an edit of the file without a restart, and keeps the last good config on a bad one', async () => {
    server = await start();
    const user = userIn('treatment');
    // Written beside and renamed over, as editors and ConfigMap volumes do.
    const replace = async (text: string) => {
      await writeFile(join(dir, 'next.yaml'), text);
      await rename(join(dir, 'next.yaml'), file);
    };

    await replace('layers: [{ id: feed, experiments: [] }]\n');
    await waitFor(
      'the experiment has ended',
      async () => (await feed(user)).experiments.length === 0,
    );

    await replace(EXPERIMENT);
    await waitFor(
      'the experiment is back',
      async () => (await feed(user)).experiments.length === 1,
    );

    await replace(EXPERIMENT.replace('newCreatorShare: 0.5', 'newCreatorShares: 0.5'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual((await feed(user)).experiments, [
      { experiment: 'newcomers', variant: 'treatment' },
    ]);
  });

  it('refuses to start on a mixer override it does not know, naming where it is', async () => {
    await writeFile(file, EXPERIMENT.replace('newCreatorShare: 0.5', 'newCreatorShares: 0.5'));
    const error = await start().then(
      () => assert.fail('expected the start to fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConfigError, String(error));
    assert.match(error.message, /layers\[0\]\.experiments\[0\]\.variants\[1\]\.overrides\.mixer/);
  });

  it('refuses to start on an invalid experiment config, naming the field', async () => {
    await writeFile(
      file,
      EXPERIMENT.replace(
        'weight: 0.5\n            overrides',
        'weight: 1.5\n            overrides',
      ),
    );
    const error = await start().then(
      () => assert.fail('expected the start to fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConfigError, String(error));
    assert.match(String((error as ConfigError).message), /weight|variants\[1\]/);
  });
});
