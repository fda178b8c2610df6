import assert from 'node:assert/strict';
import { packedRankerDefinition, rankerv1, type featuresv1 } from '@feedmesh/contracts';
import {
  heuristicModel,
  InMemoryModelRegistry,
  modelRegistryFor,
  type LogisticModelDocument,
  type ModelRegistry,
  type TreeEnsembleModelDocument,
} from '@feedmesh/models';
import {
  createRuntime,
  createServiceClient,
  loadConfig,
  type ClientHandle,
  type Logger,
  type RunningServer,
  type Runtime,
} from '@feedmesh/service-kit';
import { createLogger, startTelemetry, type InMemoryTelemetry } from '@feedmesh/telemetry';
import type { Redis } from 'ioredis';
import { deleteKeys, testRedisUrl, uniquePrefix, waitFor } from '@feedmesh/testing';
import { ClientError, Status } from 'nice-grpc-common';
import { rankerConfigShape, startRanker } from './index.js';
import { ABSENT_FEATURES_MESSAGE } from './ranker-service.js';
import { DEFAULT_FALLBACK_MESSAGE } from './model-loader.js';

const { Objective } = rankerv1;
const silent = createLogger('ranker-test', { level: 'silent' });

/** A one-objective model whose like probability rises with `post.quality`. */
function qualityModel(slope: number): LogisticModelDocument {
  return {
    format: 'feedmesh.model/v1',
    family: 'logistic',
    features: [{ name: 'post.quality', default: 0, transform: 'identity' }],
    normalization: { mean: [0], scale: [1] },
    objectives: [{ objective: 'like', intercept: 0, coefficients: [slope] }],
    defaultWeights: { like: 1 },
  };
}

/** One tree on `post.quality`: below 0 gives margin -2, else +2 (missing goes right). */
function qualityTrees(): TreeEnsembleModelDocument {
  return {
    format: 'feedmesh.model/v1',
    family: 'gbdt',
    features: [{ name: 'post.quality', default: null, transform: 'identity' }],
    objectives: [
      {
        objective: 'like',
        baseMargin: 0,
        trees: [
          {
            feature: [0, -1, -1],
            threshold: [0, 0, 0],
            left: [1, -1, -1],
            right: [2, -1, -1],
            missingLeft: [0, 0, 0],
            value: [0, -2, 2],
          },
        ],
      },
    ],
    defaultWeights: { like: 1 },
  };
}

function candidates(names: string[], rows: number[][]): featuresv1.FeatureMatrix {
  return { names, rows: rows.length, values: rows.flat(), missing: Buffer.alloc(0) };
}

function rankRequest(overrides: Partial<rankerv1.RankRequest> = {}): rankerv1.RankRequest {
  return {
    model: '',
    modelVersion: '',
    user: undefined,
    candidates: candidates(['post.quality'], [[1], [-1]]),
    weights: [],
    ...overrides,
  };
}

interface Harness {
  server: RunningServer;
  handle: ClientHandle<typeof rankerv1.RankerServiceDefinition>;
  client: ClientHandle<typeof rankerv1.RankerServiceDefinition>['client'];
  registry: ModelRegistry;
  runtime: Runtime;
  close(): Promise<void>;
}

async function startHarness(
  options: { registry?: ModelRegistry; env?: Record<string, string>; logger?: Logger } = {},
): Promise<Harness> {
  const config = loadConfig(rankerConfigShape, {
    RANKER_RELOAD_INTERVAL_MS: '50',
    ...options.env,
  });
  const runtime = createRuntime(config, silent);
  const registry = options.registry ?? modelRegistryFor(runtime);
  const server = await startRanker({
    config,
    runtime,
    logger: options.logger ?? silent,
    registry,
  });
  const handle = createServiceClient(rankerv1.RankerServiceDefinition, server.address, {
    deadlineMs: 5_000,
  });
  return {
    server,
    handle,
    client: handle.client,
    registry,
    runtime,
    async close() {
      handle.close();
      await server.shutdown();
      await runtime.close();
    },
  };
}

async function statusOf(call: Promise<unknown>): Promise<ClientError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof ClientError, `expected a ClientError, got ${String(error)}`);
  return error;
}

describe('ranker over gRPC', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ registry: new InMemoryModelRegistry() });
  });
  afterEach(() => h.close());

  it('ranks with the heuristic, and says so, while the default model has no version', async () => {
    const user = { names: ['user.sessions_7d'], values: [3], missing: Buffer.alloc(0) };
    const response = await h.client.rank(
      rankRequest({
        user,
        candidates: candidates(
          ['post.like_rate_7d', 'post.hide_rate_7d', 'user_blog.follows'],
          [
            [0.02, 0.1, 0],
            [0.3, 0, 1],
          ],
        ),
      }),
    );
    assert.equal(response.model, 'heuristic');
    assert.equal(response.modelVersion, 'builtin-1');
    assert.deepEqual(response.objectives, [
      Objective.OBJECTIVE_LIKE,
      Objective.OBJECTIVE_REBLOG,
      Objective.OBJECTIVE_REPLY,
      Objective.OBJECTIVE_FOLLOW,
      Objective.OBJECTIVE_HIDE,
    ]);
    assert.equal(response.probabilities.length, 2 * 5);
    assert.ok(response.probabilities.every((p) => p >= 0 && p <= 1));
    assert.equal(response.values.length, 2);
    // Liked by many, from a followed blog, never hidden: ranked above the hidden one.
    assert.ok(response.values[1]! > response.values[0]!);
  });

  it('answers a packed client (Float32Array in, typed arrays out) as it answers a generated one', async () => {
    const names = ['post.like_rate_7d', 'post.hide_rate_7d', 'user_blog.follows'];
    const rows = [
      [0.02, 0.1, 0],
      [0.3, 0, 1],
      [0.5, 0.25, 1],
    ];
    const weights = [{ objective: Objective.OBJECTIVE_HIDE, weight: -3 }];
    const generated = await h.client.rank(
      rankRequest({ candidates: candidates(names, rows), weights }),
    );
    const packed = createServiceClient(packedRankerDefinition, h.server.address, {
      deadlineMs: 5_000,
    });
    try {
      const response = await packed.client.rank({
        model: '',
        modelVersion: '',
        user: undefined,
        candidates: {
          names,
          rows: rows.length,
          values: Float32Array.from(rows.flat()),
          missing: new Uint8Array(0),
        },
        weights,
      });
      assert.ok(response.values instanceof Float64Array);
      assert.deepEqual(Array.from(response.values), generated.values);
      assert.deepEqual(Array.from(response.probabilities), generated.probabilities);
      assert.deepEqual(response.objectives, generated.objectives);
      assert.equal(response.model, generated.model);
    } finally {
      packed.close();
    }
  });

  it('answers NOT_FOUND naming model for an unknown explicitly named model', async () => {
    const error = await statusOf(h.client.rank(rankRequest({ model: 'experiment-7' })));
    assert.equal(error.code, Status.NOT_FOUND);
    assert.match(error.details, /^model "experiment-7" not found/);
  });

  it('ranks with the promoted version once loaded, and with a pinned older one', async () => {
    await h.registry.publish('feed', qualityModel(1), { trainedAtMs: 1, promote: true });
    await h.registry.publish('feed', qualityModel(-1), { trainedAtMs: 2, promote: true });
    const response = await waitFor('v2 to load', async () => {
      const r = await h.client.rank(rankRequest());
      return r.modelVersion === 'v2' ? r : undefined;
    });
    assert.equal(response.model, 'feed');
    assert.deepEqual(response.objectives, [Objective.OBJECTIVE_LIKE]);
    assert.ok(Math.abs(response.probabilities[0]! - 1 / (1 + Math.exp(1))) < 1e-6);
    assert.ok(response.values[0]! < response.values[1]!);

    const pinned = await h.client.rank(rankRequest({ model: 'feed', modelVersion: 'v1' }));
    assert.equal(pinned.modelVersion, 'v1');
    assert.ok(pinned.values[0]! > pinned.values[1]!);
  });

  it('answers NOT_FOUND naming model_version for a version the registry lacks', async () => {
    await h.registry.publish('feed', qualityModel(1), { trainedAtMs: 1, promote: true });
    const error = await statusOf(h.client.rank(rankRequest({ modelVersion: 'v42' })));
    assert.equal(error.code, Status.NOT_FOUND);
    assert.match(error.details, /^model_version "feed@v42" not found/);
    const builtIn = await statusOf(
      h.client.rank(rankRequest({ model: 'heuristic', modelVersion: 'v1' })),
    );
    assert.equal(builtIn.code, Status.NOT_FOUND);
  });

  it('weighs objectives by the request weights', async () => {
    const base = await h.client.rank(rankRequest({ model: 'heuristic' }));
    const likeOnly = await h.client.rank(
      rankRequest({
        model: 'heuristic',
        weights: [
          { objective: Objective.OBJECTIVE_LIKE, weight: 1 },
          { objective: Objective.OBJECTIVE_REBLOG, weight: 0 },
          { objective: Objective.OBJECTIVE_REPLY, weight: 0 },
          { objective: Objective.OBJECTIVE_FOLLOW, weight: 0 },
          { objective: Objective.OBJECTIVE_HIDE, weight: 0 },
        ],
      }),
    );
    assert.deepEqual(likeOnly.probabilities, base.probabilities);
    assert.ok(Math.abs(likeOnly.values[0]! - likeOnly.probabilities[0]!) < 1e-6);
    assert.notDeepEqual(likeOnly.values, base.values);
  });

  it('scores 5,000 candidates, the most a request may carry', async () => {
    const rows = Array.from({ length: 5_000 }, (_, i) => [i / 5_000]);
    const response = await h.client.rank(
      rankRequest({ model: 'heuristic', candidates: candidates(['post.like_rate_7d'], rows) }),
    );
    assert.equal(response.values.length, 5_000);
    assert.ok(response.values[4_999]! > response.values[0]!);
  });

  it('lists the built-in model and every stored version with its flags', async () => {
    await h.registry.publish('feed', qualityModel(1), {
      trainedAtMs: 111,
      metrics: { auc_like: 0.75 },
      promote: true,
    });
    await h.registry.publish('feed', qualityModel(2), { trainedAtMs: 222 });
    await waitFor(
      'v1 to load',
      async () => (await h.client.rank(rankRequest())).modelVersion === 'v1',
    );
    const { models } = await h.client.listModels({});
    const byKey = new Map(models.map((m) => [`${m.name}@${m.version}`, m]));
    assert.deepEqual([...byKey.keys()], ['heuristic@builtin-1', 'feed@v2', 'feed@v1']);
    const v1 = byKey.get('feed@v1')!;
    assert.equal(v1.current, true);
    assert.equal(v1.loaded, true);
    assert.equal(v1.family, 'logistic');
    assert.equal(v1.trainedAtMs, 111);
    assert.deepEqual(v1.featureNames, ['post.quality']);
    assert.deepEqual(v1.objectives, [Objective.OBJECTIVE_LIKE]);
    assert.deepEqual(v1.metrics, { auc_like: 0.75 });
    const v2 = byKey.get('feed@v2')!;
    assert.equal(v2.current, false);
    assert.equal(v2.loaded, false);
    const builtIn = byKey.get('heuristic@builtin-1')!;
    assert.equal(builtIn.current, true);
    assert.equal(builtIn.loaded, true);
    assert.equal(builtIn.featureNames.length, heuristicModel().features.length);
  });

  describe('rejects bad input with INVALID_ARGUMENT naming the field', () => {
    const oneRow = candidates(['post.quality'], [[1]]);
    const cases: [string, string, Partial<rankerv1.RankRequest>][] = [
      ['model', 'with a space', { model: 'has spaces' }],
      ['model', '65 characters', { model: 'x'.repeat(65) }],
      ['model_version', 'with a slash', { modelVersion: 'v1/../' }],
      ['candidates.rows', 'over 5,000', { candidates: { ...oneRow, rows: 5_001, values: [] } }],
      [
        'candidates.values',
        'more than rows * names',
        { candidates: { ...oneRow, values: [1, 2] } },
      ],
      ['candidates.values', 'fewer than rows * names', { candidates: { ...oneRow, rows: 2 } }],
      ['candidates.names[1]', 'a duplicate', { candidates: candidates(['a', 'a'], [[1, 2]]) }],
      ['candidates.names[0]', 'empty', { candidates: candidates([''], [[1]]) }],
      [
        'candidates.names[1]',
        'with a NUL, which would alias another column layout',
        { candidates: candidates(['post.quality', 'a\u0000b'], [[1, 2]]) },
      ],
      [
        'user.names[0]',
        'with a control character',
        { user: { names: ['user.a\u0001'], values: [1], missing: Buffer.alloc(0) } },
      ],
      [
        'candidates.missing',
        'longer than the values',
        { candidates: { ...oneRow, missing: Buffer.alloc(2) } },
      ],
      [
        'user.values',
        'fewer than names',
        { user: { names: ['user.a', 'user.b'], values: [1], missing: Buffer.alloc(0) } },
      ],
      [
        'user.names[1]',
        'a duplicate',
        { user: { names: ['u', 'u'], values: [1, 1], missing: Buffer.alloc(0) } },
      ],
      [
        'weights[0].objective',
        'unspecified',
        { weights: [{ objective: Objective.OBJECTIVE_UNSPECIFIED, weight: 1 }] },
      ],
      [
        'weights[0].objective',
        'unknown',
        { weights: [{ objective: 99 as rankerv1.Objective, weight: 1 }] },
      ],
      [
        'weights[1].objective',
        'named twice',
        {
          weights: [
            { objective: Objective.OBJECTIVE_LIKE, weight: 1 },
            { objective: Objective.OBJECTIVE_LIKE, weight: 2 },
          ],
        },
      ],
      [
        'weights[0].weight',
        'NaN',
        { weights: [{ objective: Objective.OBJECTIVE_HIDE, weight: NaN }] },
      ],
      [
        'weights[0].weight',
        'infinite',
        { weights: [{ objective: Objective.OBJECTIVE_HIDE, weight: -Infinity }] },
      ],
    ];
    for (const [field, what, overrides] of cases) {
      it(`${field}: ${what}`, async () => {
        const error = await statusOf(h.client.rank(rankRequest(overrides)));
        assert.equal(error.code, Status.INVALID_ARGUMENT);
        assert.ok(
          error.details.startsWith(`${field}: `),
          `expected details to name ${field}, got "${error.details}"`,
        );
      });
    }

    it('scores a column layout the same after a request whose joined names alias it', async () => {
      const registry = new InMemoryModelRegistry();
      await registry.publish('feed', qualityModel(2), { trainedAtMs: 1, promote: true });
      const other = await startHarness({ registry });
      try {
        // ['x\0post.quality'] joins to the same text as ['x', 'post.quality'].
        await other.client
          .rank(rankRequest({ candidates: candidates(['x\u0000post.quality'], [[1]]) }))
          .catch(() => undefined);
        const legit = rankRequest({ candidates: candidates(['x', 'post.quality'], [[0, 1]]) });
        const [value] = (await other.client.rank(legit)).values;
        assert.ok(Math.abs(value! - 1 / (1 + Math.exp(-2))) < 1e-6, `got ${value}`);
      } finally {
        await other.close();
      }
    });

    it('accepts a request with no candidates and answers with no rows', async () => {
      const response = await h.client.rank(rankRequest({ candidates: undefined }));
      assert.equal(response.values.length, 0);
      assert.equal(response.probabilities.length, 0);
    });
  });
});

describe('ranker hot reload', () => {
  it('swaps to a promoted version while Rank calls run, failing none', async () => {
    const h = await startHarness({ registry: new InMemoryModelRegistry() });
    try {
      await h.registry.publish('feed', qualityModel(1), { trainedAtMs: 1, promote: true });
      await waitFor('v1', async () => (await h.client.rank(rankRequest())).modelVersion === 'v1');

      const seen: string[] = [];
      const failures: unknown[] = [];
      let stop = false;
      const loop = (async () => {
        // Bounded: the swap happens within a few reload intervals.
        for (let i = 0; i < 20_000 && !stop; i += 1) {
          try {
            const r = await h.client.rank(rankRequest());
            seen.push(r.modelVersion);
            if (r.modelVersion === 'v2') {
              // The new model's answer, never a mix: like prob for quality 1 is sigmoid(-3).
              assert.ok(Math.abs(r.probabilities[0]! - 1 / (1 + Math.exp(3))) < 1e-6);
            }
          } catch (error) {
            failures.push(error);
          }
        }
      })();
      await waitFor('some calls on v1', () => seen.length >= 20);
      await h.registry.publish('feed', qualityModel(-3), { trainedAtMs: 2, promote: true });
      await waitFor('calls on v2', () => seen.filter((v) => v === 'v2').length >= 20, {
        timeoutMs: 10_000,
      });
      stop = true;
      await loop;

      assert.deepEqual(failures, []);
      const firstV2 = seen.indexOf('v2');
      assert.ok(firstV2 > 0);
      assert.ok(seen.slice(0, firstV2).every((v) => v === 'v1'));
      assert.ok(
        seen.slice(firstV2).every((v) => v === 'v2'),
        'a call after the swap was answered by the old version',
      );
    } finally {
      await h.close();
    }
  });

  it('swaps a logistic model for a tree model under concurrent load, losing no request', async () => {
    const h = await startHarness({ registry: new InMemoryModelRegistry() });
    const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
    // What each version answers for quality 1 and -1: any other answer is a lost or mixed call.
    const expected: Record<string, [number, number]> = {
      v1: [sigmoid(1), sigmoid(-1)],
      v2: [sigmoid(2), sigmoid(-2)],
    };
    try {
      await h.registry.publish('feed', qualityModel(1), { trainedAtMs: 1, promote: true });
      await waitFor('v1', async () => (await h.client.rank(rankRequest())).modelVersion === 'v1');

      const answered: string[] = [];
      const failures: unknown[] = [];
      let stop = false;
      const worker = async () => {
        for (let i = 0; i < 5_000 && !stop; i += 1) {
          try {
            const r = await h.client.rank(rankRequest());
            const [high, low] = expected[r.modelVersion] ?? [Number.NaN, Number.NaN];
            if (
              Math.abs(r.probabilities[0]! - high) > 1e-6 ||
              Math.abs(r.probabilities[1]! - low) > 1e-6
            ) {
              failures.push(new Error(`${r.modelVersion} answered ${r.probabilities.join(',')}`));
            }
            answered.push(r.modelVersion);
          } catch (error) {
            failures.push(error);
          }
        }
      };
      const workers = Array.from({ length: 16 }, () => worker());
      await waitFor('calls on v1', () => answered.length >= 100);
      const published = await h.registry.publish('feed', qualityTrees(), {
        trainedAtMs: 2,
        promote: true,
      });
      assert.equal(published.family, 'gbdt');
      await waitFor('calls on v2', () => answered.filter((v) => v === 'v2').length >= 200, {
        timeoutMs: 20_000,
      });
      stop = true;
      await Promise.all(workers);

      assert.deepEqual(failures, []);
      assert.ok(answered.includes('v1') && answered.includes('v2'));
      const listed = await h.client.listModels({});
      assert.ok(listed.models.some((m) => m.version === 'v2' && m.family === 'gbdt'));
    } finally {
      await h.close();
    }
  });

  it('keeps serving what it has while the registry cannot be read', async () => {
    const registry = new InMemoryModelRegistry();
    let down = false;
    const flaky: ModelRegistry = {
      publish: (...args) => registry.publish(...args),
      promote: (...args) => registry.promote(...args),
      current: (...args) => registry.current(...args),
      list: (...args) => registry.list(...args),
      get: (...args) => registry.get(...args),
      history: (...args) => registry.history(...args),
      currentVersions: () =>
        down ? Promise.reject(new Error('connection refused')) : registry.currentVersions(),
    };
    await registry.publish('feed', qualityModel(1), { trainedAtMs: 1, promote: true });
    const h = await startHarness({ registry: flaky });
    try {
      assert.equal((await h.client.rank(rankRequest())).modelVersion, 'v1');
      down = true;
      await registry.publish('feed', qualityModel(2), { trainedAtMs: 2, promote: true });
      for (let i = 0; i < 10; i += 1) {
        assert.equal((await h.client.rank(rankRequest())).modelVersion, 'v1');
      }
      down = false;
      await waitFor(
        'v2 after recovery',
        async () => (await h.client.rank(rankRequest())).modelVersion === 'v2',
      );
    } finally {
      await h.close();
    }
  });
});

describe('ranker on Redis', () => {
  it('serves what was published to the deployment registry in Redis', async () => {
    const prefix = uniquePrefix('ranker');
    const h = await startHarness({ env: { REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix } });
    try {
      // A separate handle on the same Redis prefix, as the trainer would open.
      const trainerSide = modelRegistryFor(h.runtime);
      await trainerSide.publish('feed', qualityModel(2), { trainedAtMs: 5, promote: true });
      const response = await waitFor('the Redis model', async () => {
        const r = await h.client.rank(rankRequest());
        return r.model === 'feed' ? r : undefined;
      });
      assert.equal(response.modelVersion, 'v1');
      const { models } = await h.client.listModels({});
      assert.ok(models.some((m) => m.name === 'feed' && m.version === 'v1' && m.current));
    } finally {
      if (h.runtime.redis) await deleteKeys(h.runtime.redis as never, prefix);
      await h.close();
    }
  });
});

/** A logger that keeps its JSON lines, for tests that check what operators read. */
function recordingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger('ranker-test', {
    level: 'info',
    destination: { write: (line: string) => lines.push(JSON.parse(line)) },
  });
  return { logger, lines };
}

/** A counter's data points recorded so far, each as its attributes and value. */
async function counterPoints(
  telemetry: InMemoryTelemetry,
  name: string,
): Promise<Array<{ attributes: Record<string, unknown>; value: number }>> {
  const metric = (await telemetry.collectMetrics()).find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []) as Array<{
    attributes: Record<string, unknown>;
    value: number;
  }>;
}

/** The value of the counter's point whose attributes include `match` (0 when none). */
async function counterValue(
  telemetry: InMemoryTelemetry,
  name: string,
  match: Record<string, unknown>,
): Promise<number> {
  const points = await counterPoints(telemetry, name);
  return points
    .filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v))
    .reduce((sum, p) => sum + p.value, 0);
}

describe('ranker model rollout, as operators see it', () => {
  let telemetry: InMemoryTelemetry;
  before(() => {
    telemetry = startTelemetry({ serviceName: 'ranker-test', inMemory: true });
  });
  after(() => telemetry.shutdown());

  /**
   * A ranker on the test Redis, with the trainer's view of the same registry; on `prefix`
   * when given (a registry seeded before the ranker starts), else on a fresh one.
   */
  async function redisHarness(prefix = uniquePrefix('ranker')) {
    const { logger, lines } = recordingLogger();
    const h = await startHarness({
      env: { REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix },
      logger,
    });
    const redis = h.runtime.redis as Redis;
    const documentKey = (name: string, version: string) =>
      `${h.runtime.prefix}:models:{models}:model:${name}:${version}`;
    return {
      h,
      lines,
      trainer: modelRegistryFor(h.runtime),
      /** Overwrites a stored model document, as a bad write or a bit flip would. */
      corrupt: (name: string, version: string) =>
        redis.set(documentKey(name, version), '{"format":"feedmesh.model/v1","family":'),
      dropDocument: (name: string, version: string) => redis.del(documentKey(name, version)),
      /** Returns once the ranker has read the registry `polls` more times (a marker model's versions). */
      async pollsPassed(polls: number) {
        const trainer = modelRegistryFor(h.runtime);
        for (let i = 0; i < polls; i += 1) {
          const { version } = await trainer.publish('poll-marker', qualityModel(1), {
            trainedAtMs: i,
            promote: true,
          });
          await waitFor(`poll-marker ${version}`, async () => {
            const r = await h.client
              .rank(rankRequest({ model: 'poll-marker' }))
              .catch(() => undefined);
            return r?.modelVersion === version;
          });
        }
      },
      async close() {
        await deleteKeys(redis, prefix);
        await h.close();
      },
    };
  }

  /**
   * Before the ranker starts, publishes and promotes one version of `name` per entry, in
   * order (`v1`, `v2`, ...), each stored corrupt or as a model whose like rises with quality.
   */
  async function seedPromotions(
    name: string,
    versions: ReadonlyArray<'good' | 'corrupt'>,
  ): Promise<{ prefix: string }> {
    const prefix = uniquePrefix('ranker');
    const config = loadConfig(rankerConfigShape, {
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: prefix,
    });
    const runtime = createRuntime(config, silent);
    try {
      const registry = modelRegistryFor(runtime);
      for (const [i, kind] of versions.entries()) {
        const { version } = await registry.publish(name, qualityModel(i + 1), {
          trainedAtMs: i + 1,
        });
        if (kind === 'corrupt') {
          await (runtime.redis as Redis).set(
            `${runtime.prefix}:models:{models}:model:${name}:${version}`,
            'not a model',
          );
        }
        await registry.promote(name, version);
      }
    } finally {
      await runtime.close();
    }
    return { prefix };
  }

  /** Stores a corrupt version of `name` before the ranker starts, and makes it current. */
  function seedCorruptCurrent(name: string): Promise<{ prefix: string }> {
    return seedPromotions(name, ['corrupt']);
  }

  it('keeps ranking with the working version when the promoted one is corrupt, and logs and counts the refusal once', async () => {
    const r = await redisHarness();
    try {
      await r.trainer.publish('feed', qualityModel(1), { trainedAtMs: 1, promote: true });
      await waitFor('v1', async () => (await r.h.client.rank(rankRequest())).modelVersion === 'v1');
      await r.trainer.publish('feed', qualityModel(-1), { trainedAtMs: 2 });
      await r.corrupt('feed', 'v2');
      await r.trainer.promote('feed', 'v2');

      await waitFor('the refusal counted', async () =>
        (await counterValue(telemetry, 'feedmesh.ranker.model_load_failures', {
          'feedmesh.model': 'feed',
          'feedmesh.model_version': 'v2',
          'feedmesh.reason': 'malformed',
        })) === 1
          ? true
          : undefined,
      );
      const previous = () =>
        counterValue(telemetry, 'feedmesh.ranker.fallbacks', {
          'feedmesh.model': 'feed',
          'feedmesh.reason': 'previous_version',
        });
      const fellBackBefore = await previous();
      const response = await r.h.client.rank(rankRequest());
      assert.equal(response.modelVersion, 'v1');
      assert.ok(response.values[0]! > response.values[1]!, 'v1 still scores');
      assert.equal(await previous(), fellBackBefore + 1, 'counted as a previous_version fallback');
      // Two more polls at least: the same refusal is neither logged nor counted again.
      await r.pollsPassed(2);
      const refusals = r.lines.filter(
        (line) => line['model'] === 'feed' && line['version'] === 'v2' && line['level'] === 'error',
      );
      assert.equal(refusals.length, 1, JSON.stringify(refusals));
      assert.equal(
        await counterValue(telemetry, 'feedmesh.ranker.model_load_failures', {
          'feedmesh.model': 'feed',
          'feedmesh.model_version': 'v2',
        }),
        1,
      );
    } finally {
      await r.close();
    }
  });

  it('logs and counts a current version whose model document is gone', async () => {
    const r = await redisHarness();
    try {
      await r.trainer.publish('feed', qualityModel(1), { trainedAtMs: 1, promote: true });
      await waitFor('v1', async () => (await r.h.client.rank(rankRequest())).modelVersion === 'v1');
      await r.trainer.publish('feed', qualityModel(-1), { trainedAtMs: 2 });
      await r.dropDocument('feed', 'v2');
      // Promotion checks the document, so the pointer is moved as a racing prune would leave it.
      await (r.h.runtime.redis as Redis).hset(
        `${r.h.runtime.prefix}:models:{models}:current`,
        'feed',
        'v2',
      );
      // Tried again at each poll (a pruned document may be a race), so counted each time.
      await waitFor('the missing document counted at three polls', async () =>
        (await counterValue(telemetry, 'feedmesh.ranker.model_load_failures', {
          'feedmesh.model': 'feed',
          'feedmesh.model_version': 'v2',
          'feedmesh.reason': 'missing',
        })) >= 3
          ? true
          : undefined,
      );
      assert.equal((await r.h.client.rank(rankRequest())).modelVersion, 'v1');
      const logged = r.lines.filter((line) => line['model'] === 'feed' && line['version'] === 'v2');
      assert.equal(logged.length, 1, JSON.stringify(logged));
      assert.equal(logged[0]!['level'], 'error');
    } finally {
      await r.close();
    }
  });

  it('ranks with the version promoted before when a fresh ranker cannot load the current one, then with the next good current', async () => {
    const { prefix } = await seedPromotions('feed', ['good', 'corrupt']);
    const fallbacks = () =>
      counterValue(telemetry, 'feedmesh.ranker.fallbacks', {
        'feedmesh.model': 'feed',
        'feedmesh.reason': 'previous_version',
      });
    const refusals = () =>
      counterValue(telemetry, 'feedmesh.ranker.model_load_failures', {
        'feedmesh.model': 'feed',
        'feedmesh.model_version': 'v2',
      });
    const refusedBefore = await refusals();
    const r = await redisHarness(prefix);
    const { h, lines } = r;
    try {
      telemetry.resetSpans();
      const fellBackBefore = await fallbacks();
      const response = await h.client.rank(rankRequest());
      assert.equal(response.model, 'feed');
      assert.equal(response.modelVersion, 'v1');
      assert.ok(response.values[0]! > response.values[1]!, 'v1 scores');
      assert.equal(await fallbacks(), fellBackBefore + 1);
      const span = await waitFor('the score span', () =>
        telemetry.finishedSpans().find((s) => s.name === 'ranker.score'),
      );
      assert.equal(span.attributes['feedmesh.model_version'], 'v1');
      assert.equal(span.attributes['feedmesh.model_fallback'], 'previous_version');
      assert.equal(
        lines.filter((line) => line['msg'] === DEFAULT_FALLBACK_MESSAGE).length,
        0,
        'the heuristic never ranked',
      );

      // The corrupt current is neither read, logged nor counted again at later polls.
      await r.pollsPassed(2);
      const logged = lines.filter((line) => line['model'] === 'feed' && line['version'] === 'v2');
      assert.equal(logged.length, 1, JSON.stringify(logged));
      assert.equal(logged[0]!['level'], 'error');
      assert.equal(logged[0]!['serving'], 'v1');
      assert.equal(logged[0]!['fallback'], 'previous_version');
      assert.equal(await refusals(), refusedBefore + 1);

      // A good version promoted replaces the fallback at the next poll.
      await r.trainer.publish('feed', qualityModel(-1), { trainedAtMs: 3, promote: true });
      await waitFor('v3', async () => (await h.client.rank(rankRequest())).modelVersion === 'v3');
      telemetry.resetSpans();
      const fellBackAfter = await fallbacks();
      const current = await h.client.rank(rankRequest());
      assert.equal(current.modelVersion, 'v3');
      assert.ok(current.values[0]! < current.values[1]!, 'v3 scores');
      assert.equal(await fallbacks(), fellBackAfter);
      const currentSpan = await waitFor('the score span', () =>
        telemetry.finishedSpans().find((s) => s.name === 'ranker.score'),
      );
      assert.equal(currentSpan.attributes['feedmesh.model_fallback'], undefined);
    } finally {
      await r.close();
    }
  });

  it('ranks a named model with its latest earlier version that loads, past another corrupt one, not FAILED_PRECONDITION', async () => {
    const { prefix } = await seedPromotions('experiment-7', ['good', 'corrupt', 'corrupt']);
    const refusals = (version: string) =>
      counterValue(telemetry, 'feedmesh.ranker.model_load_failures', {
        'feedmesh.model': 'experiment-7',
        'feedmesh.model_version': version,
        'feedmesh.reason': 'malformed',
      });
    const refusedBefore = [await refusals('v2'), await refusals('v3')];
    const r = await redisHarness(prefix);
    const { h } = r;
    try {
      const response = await h.client.rank(rankRequest({ model: 'experiment-7' }));
      assert.equal(response.model, 'experiment-7');
      assert.equal(response.modelVersion, 'v1');
      const { models } = await h.client.listModels({});
      const flags = models
        .filter((m) => m.name === 'experiment-7')
        .map((m) => `${m.version}:${m.current ? 'current' : ''}:${m.loaded ? 'loaded' : ''}`);
      assert.deepEqual(flags, ['v3:current:', 'v2::', 'v1::loaded']);
      // Both corrupt versions were read once, at the first poll, and never again.
      await r.pollsPassed(2);
      assert.deepEqual(
        [await refusals('v2'), await refusals('v3')],
        refusedBefore.map((n) => n + 1),
      );
    } finally {
      await r.close();
    }
  });

  it('answers FAILED_PRECONDITION naming model when a named model has only a corrupt current version', async () => {
    const { prefix } = await seedCorruptCurrent('experiment-7');
    const { logger } = recordingLogger();
    const h = await startHarness({
      env: { REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix },
      logger,
    });
    try {
      const error = await statusOf(h.client.rank(rankRequest({ model: 'experiment-7' })));
      assert.equal(error.code, Status.FAILED_PRECONDITION, error.details);
      assert.match(error.details, /^model "experiment-7": current version v1 cannot be loaded/);
      // Promoting a good version repairs it.
      const registry = modelRegistryFor(h.runtime);
      await registry.publish('experiment-7', qualityModel(1), { trainedAtMs: 2, promote: true });
      await waitFor(
        'v2 served',
        async () =>
          (await h.client.rank(rankRequest({ model: 'experiment-7' })).catch(() => undefined))
            ?.modelVersion === 'v2',
      );
    } finally {
      if (h.runtime.redis) await deleteKeys(h.runtime.redis as never, prefix);
      await h.close();
    }
  });

  it('ranks the default model with the heuristic when its only current version is corrupt, saying so in the log and the metrics', async () => {
    const { prefix } = await seedCorruptCurrent('feed');
    const { logger, lines } = recordingLogger();
    const h = await startHarness({
      env: { REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix },
      logger,
    });
    try {
      const before = await counterValue(telemetry, 'feedmesh.ranker.fallbacks', {
        'feedmesh.model': 'feed',
        'feedmesh.reason': 'current_version_unloadable',
      });
      const response = await h.client.rank(rankRequest());
      assert.equal(response.model, 'heuristic');
      assert.equal(
        await counterValue(telemetry, 'feedmesh.ranker.fallbacks', {
          'feedmesh.model': 'feed',
          'feedmesh.reason': 'current_version_unloadable',
        }),
        before + 1,
      );
      const warning = lines.find((line) => line['msg'] === DEFAULT_FALLBACK_MESSAGE);
      assert.equal(warning?.['level'], 'warn');
      assert.equal(warning?.['model'], 'feed');
      assert.equal(warning?.['reason'], 'current_version_unloadable');
    } finally {
      if (h.runtime.redis) await deleteKeys(h.runtime.redis as never, prefix);
      await h.close();
    }
  });

  it('says at start that the default model has no version yet and the heuristic ranks, and marks the fallback on the span', async () => {
    const { logger, lines } = recordingLogger();
    const h = await startHarness({ registry: new InMemoryModelRegistry(), logger });
    try {
      const warning = lines.find((line) => line['msg'] === DEFAULT_FALLBACK_MESSAGE);
      assert.equal(warning?.['level'], 'warn');
      assert.equal(warning?.['model'], 'feed');
      assert.equal(warning?.['reason'], 'no_current_version');

      telemetry.resetSpans();
      const before = await counterValue(telemetry, 'feedmesh.ranker.fallbacks', {
        'feedmesh.model': 'feed',
        'feedmesh.reason': 'no_current_version',
      });
      await h.client.rank(rankRequest());
      assert.equal(
        await counterValue(telemetry, 'feedmesh.ranker.fallbacks', {
          'feedmesh.model': 'feed',
          'feedmesh.reason': 'no_current_version',
        }),
        before + 1,
      );
      const span = await waitFor('the score span', () =>
        telemetry.finishedSpans().find((s) => s.name === 'ranker.score'),
      );
      assert.equal(span.attributes['feedmesh.model'], 'heuristic');
      assert.equal(span.attributes['feedmesh.model_requested'], 'feed');
      assert.equal(span.attributes['feedmesh.model_fallback'], 'no_current_version');

      // Once trained, the default model ranks, and the log says the heuristic stopped.
      await h.registry.publish('feed', qualityModel(1), { trainedAtMs: 1, promote: true });
      await waitFor('v1', async () => (await h.client.rank(rankRequest())).modelVersion === 'v1');
      assert.equal(lines.filter((line) => line['msg'] === DEFAULT_FALLBACK_MESSAGE).length, 1);
    } finally {
      await h.close();
    }
  });

  it('answers UNAVAILABLE, not NOT_FOUND, for a named model while the registry has not been read since start', async () => {
    const registry = new InMemoryModelRegistry();
    await registry.publish('experiment-7', qualityModel(1), { trainedAtMs: 1, promote: true });
    let down = true;
    const flaky: ModelRegistry = {
      publish: (...args) => registry.publish(...args),
      promote: (...args) => registry.promote(...args),
      current: (...args) => registry.current(...args),
      list: (...args) => registry.list(...args),
      get: (...args) => registry.get(...args),
      history: (...args) => registry.history(...args),
      currentVersions: () =>
        down ? Promise.reject(new Error('connection refused')) : registry.currentVersions(),
    };
    const { logger, lines } = recordingLogger();
    const h = await startHarness({ registry: flaky, logger });
    try {
      const error = await statusOf(h.client.rank(rankRequest({ model: 'experiment-7' })));
      assert.equal(error.code, Status.UNAVAILABLE, error.details);
      assert.equal((await h.client.rank(rankRequest())).model, 'heuristic');
      const warning = lines.find((line) => line['msg'] === DEFAULT_FALLBACK_MESSAGE);
      assert.equal(warning?.['reason'], 'registry_unreachable');
      down = false;
      await waitFor(
        'experiment-7 served',
        async () =>
          (await h.client.rank(rankRequest({ model: 'experiment-7' })).catch(() => undefined))
            ?.modelVersion === 'v1',
      );
    } finally {
      await h.close();
    }
  });

  it('logs once, and marks on the span, the model features a request lacks', async () => {
    const registry = new InMemoryModelRegistry();
    await registry.publish('feed', qualityModel(1), { trainedAtMs: 1, promote: true });
    const { logger, lines } = recordingLogger();
    const h = await startHarness({ registry, logger });
    try {
      telemetry.resetSpans();
      // Columns of another feature schema: post.quality is nowhere.
      const renamed = rankRequest({ candidates: candidates(['post.quality_v2'], [[1], [-1]]) });
      const first = await h.client.rank(renamed);
      await h.client.rank(renamed);
      assert.deepEqual(first.values[0], first.values[1], 'every row took the default');
      const spans = telemetry.finishedSpans().filter((s) => s.name === 'ranker.score');
      assert.equal(spans.length, 2);
      assert.ok(spans.every((s) => s.attributes['feedmesh.features_absent'] === 1));
      const warnings = lines.filter((line) => line['msg'] === ABSENT_FEATURES_MESSAGE);
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      assert.deepEqual(warnings[0]!['absent'], ['post.quality']);
      assert.equal(warnings[0]!['model'], 'feed');
      assert.equal(warnings[0]!['version'], 'v1');
      assert.equal(
        await counterValue(telemetry, 'feedmesh.ranker.requests_missing_features', {
          'feedmesh.model': 'feed',
          'feedmesh.model_version': 'v1',
        }),
        2,
      );

      // A request carrying every feature marks nothing.
      telemetry.resetSpans();
      await h.client.rank(rankRequest());
      const complete = telemetry.finishedSpans().find((s) => s.name === 'ranker.score');
      assert.equal(complete?.attributes['feedmesh.features_absent'], undefined);
    } finally {
      await h.close();
    }
  });
});
