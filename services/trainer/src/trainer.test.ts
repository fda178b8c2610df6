import assert from 'node:assert/strict';
import type { eventsv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import { InMemoryEventLog } from '@feedmesh/events';
import {
  auc,
  DanglingCurrentVersionError,
  InMemoryModelRegistry,
  RedisModelRegistry,
  Scorer,
  type ModelRegistry,
} from '@feedmesh/models';
import { loadConfig, type Runtime } from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { testRedis, uniquePrefix } from '@feedmesh/testing';
import { runTrainer, trainerConfigShape } from './index.js';
import {
  syntheticWorld,
  WorldFeatureSource,
  DAY,
  T0,
  type World,
} from './synthetic-world.fixture.js';

const silent = createLogger('trainer-test', { level: 'silent' });

async function runtimeWith(events: readonly eventsv1.Event[]): Promise<Runtime> {
  const eventLog = new InMemoryEventLog({ partitions: 4 });
  // Appended in shuffled chunks by partition, as a real log interleaves them.
  await eventLog.append(events);
  return {
    redis: undefined,
    eventLog,
    prefix: 'test',
    consumerName: 'trainer-test',
    close: () => eventLog.close(),
  };
}

function configWith(env: Record<string, string> = {}) {
  return loadConfig(trainerConfigShape, { TRAINER_SEED: '11', ...env });
}

/**
 * An independent check with the ranker's own inference: the published model scored on
 * posts users liked in the last days (which it never trained on) against posts they were
 * never seen to like.
 */
async function heldOutLikeAuc(
  world: World,
  registry: ModelRegistry,
  version: string,
): Promise<number> {
  const stored = await registry.get('feed', version);
  assert.ok(stored);
  const scorer = new Scorer(stored.model);
  const source = new WorldFeatureSource(world.events);
  const recent = world.endMs - 3 * DAY;
  const liked = new Map<string, Set<string>>();
  for (const e of world.events) {
    if (e.payload?.$case === 'engagement' && e.payload.value.kind === 1) {
      const set = liked.get(e.payload.value.userId) ?? new Set<string>();
      set.add(e.payload.value.postId);
      liked.set(e.payload.value.userId, set);
    }
  }
  const labels: number[] = [];
  const scores: number[] = [];
  for (const e of world.events) {
    if (e.atMs < recent || e.payload?.$case !== 'engagement' || e.payload.value.kind !== 1)
      continue;
    const { userId, postId } = e.payload.value;
    const negative = `p${(Number(postId.slice(1)) * 7 + 13) % 240}`;
    const posts = liked.get(userId)?.has(negative) ? [postId] : [postId, negative];
    const rows = await source.getFeatures(userId, posts);
    const scored = scorer.score(rows);
    posts.forEach((_, i) => {
      labels.push(i === 0 ? 1 : 0);
      scores.push(scored.probabilities[i * scorer.objectives.length]!);
    });
  }
  return auc(labels, scores);
}

describe('trainer', () => {
  it('learns from engagements with sampled negatives, and promotes the first version', async () => {
    const world = syntheticWorld();
    const runtime = await runtimeWith(world.events);
    const registry = new InMemoryModelRegistry();
    const source = new WorldFeatureSource(world.events, { maxPostsPerCall: 50 });
    try {
      const report = await runTrainer({
        config: configWith(),
        runtime,
        logger: silent,
        registry,
        featureSource: source,
        clock: () => world.endMs,
      });
      assert.equal(report.source, 'engagements');
      assert.equal(report.version, 'v1');
      assert.equal(report.promoted, true);
      assert.equal(report.reason, 'no current version');
      assert.ok(report.positives.like > 100, `likes ${report.positives.like}`);
      assert.ok(report.positives.reblog > 0);
      assert.ok(report.positives.hide > 0);
      // Four sampled negatives per positive (a few fewer if sampling ran out of candidates).
      const positives = report.examples.total - report.sampledNegatives;
      assert.ok(positives >= report.positives.like);
      assert.ok(report.sampledNegatives > positives * 3.9, `${report.sampledNegatives} negatives`);
      assert.ok(report.sampledNegatives <= positives * 4);
      // The last day's engagements are still in their attribution window: left for later.
      assert.ok(report.immatureEngagements > 0, `immature ${report.immatureEngagements}`);
      // A day before the held-out slice is embargoed: its labels could come from inside it.
      assert.ok(report.examples.embargoed > 0, `embargoed ${report.examples.embargoed}`);
      assert.equal(
        report.examples.train + report.examples.heldOut + report.examples.embargoed,
        report.examples.total,
      );
      assert.ok(report.examples.heldOut >= report.examples.total * 0.15);
      assert.ok(
        report.heldOutMetrics.candidate.auc_like! > 0.7,
        `auc ${report.heldOutMetrics.candidate.auc_like}`,
      );
      assert.ok(report.caveats.some((c) => c.includes('as of training time')));
      assert.ok(source.calls > 60, 'posts are fetched in batches of at most 50');

      const current = await registry.current('feed');
      assert.equal(current?.version, 'v1');
      assert.equal(current?.trainedAtMs, world.endMs);
      assert.equal(current?.metrics.auc_like, report.heldOutMetrics.candidate.auc_like);
      assert.ok(current?.featureNames.includes('user_tag.affinity'));
      assert.ok((await heldOutLikeAuc(world, registry, 'v1')) > 0.7);
    } finally {
      await runtime.close();
    }
  });

  it('publishes but does not promote a version that is worse on the held-out metric', async () => {
    const world = syntheticWorld();
    const runtime = await runtimeWith(world.events);
    const registry = new InMemoryModelRegistry();
    const featureSource = new WorldFeatureSource(world.events);
    try {
      const first = await runTrainer({
        config: configWith(),
        runtime,
        logger: silent,
        registry,
        featureSource,
      });
      assert.equal(first.promoted, true);
      const worse = await runTrainer({
        config: configWith({ TRAINER_FEATURES: 'post.noise' }),
        runtime,
        logger: silent,
        registry,
        featureSource,
      });
      assert.equal(worse.version, 'v2');
      assert.equal(worse.promoted, false);
      assert.equal(worse.currentVersion, 'v1');
      assert.deepEqual(worse.featureNames, ['post.noise']);
      assert.ok(worse.heldOutMetrics.candidate.auc_like! < worse.heldOutMetrics.current!.auc_like!);
      assert.match(worse.reason, /^auc_like 0\.\d+ <= current 0\.\d+$/);
      assert.equal((await registry.current('feed'))?.version, 'v1');
      const v2 = (await registry.list('feed')).find((v) => v.version === 'v2');
      assert.equal(v2?.notes.promotion, worse.reason);
      assert.equal(v2?.notes.compared_with, 'feed@v1');

      // The same data and seed again: as good as the current one, not better, so not promoted.
      const again = await runTrainer({
        config: configWith(),
        runtime,
        logger: silent,
        registry,
        featureSource,
      });
      assert.equal(again.promoted, false);
      assert.equal(again.heldOutMetrics.candidate.auc_like, again.heldOutMetrics.current?.auc_like);
    } finally {
      await runtime.close();
    }
  });

  it('promotes on a lower-is-better metric only a version that lowers it', async () => {
    const world = syntheticWorld({ users: 40, posts: 160 });
    const runtime = await runtimeWith(world.events);
    const registry = new InMemoryModelRegistry();
    const featureSource = new WorldFeatureSource(world.events);
    const run = (env: Record<string, string> = {}) =>
      runTrainer({
        config: configWith(env),
        runtime,
        logger: silent,
        registry,
        featureSource,
        promotionMetric: 'logloss_like',
      });
    try {
      const noise = await run({ TRAINER_FEATURES: 'post.noise' });
      assert.equal(noise.promoted, true);
      assert.equal(noise.promotionMetric, 'logloss_like');

      const better = await run();
      const mine = better.heldOutMetrics.candidate.logloss_like!;
      const theirs = better.heldOutMetrics.current!.logloss_like!;
      assert.ok(mine < theirs, `logloss ${mine} vs current ${theirs}`);
      assert.equal(better.promoted, true, better.reason);
      assert.match(better.reason, /^logloss_like \d\.\d+ < current \d\.\d+$/);
      assert.equal((await registry.current('feed'))?.version, 'v2');

      const worse = await run({ TRAINER_FEATURES: 'post.noise' });
      assert.ok(
        worse.heldOutMetrics.candidate.logloss_like! > worse.heldOutMetrics.current!.logloss_like!,
      );
      assert.equal(worse.promoted, false, worse.reason);
      assert.match(worse.reason, /^logloss_like \d\.\d+ >= current \d\.\d+$/);
      assert.equal((await registry.current('feed'))?.version, 'v2');
    } finally {
      await runtime.close();
    }
  });

  it('does not replace the current version on a held-out slice without a positive of the promotion objective', async () => {
    // No one replies in this world: logloss_reply on the held-out slice only rewards the
    // model that predicts replies least, here the one trained on more rows.
    const world = syntheticWorld({ users: 40, posts: 160 });
    const firstWeek = world.events.filter((e) => e.atMs < T0 + 7 * DAY);
    const earlier = await runtimeWith(firstWeek);
    const runtime = await runtimeWith(world.events);
    const registry = new InMemoryModelRegistry();
    const run = (on: Runtime, events: readonly eventsv1.Event[]) =>
      runTrainer({
        config: configWith(),
        runtime: on,
        logger: silent,
        registry,
        featureSource: new WorldFeatureSource(events),
        promotionMetric: 'logloss_reply',
      });
    try {
      assert.equal((await run(earlier, firstWeek)).promoted, true);
      const report = await run(runtime, world.events);
      assert.equal(report.heldOutPositives.reply, 0);
      assert.ok(
        report.heldOutMetrics.candidate.logloss_reply! <
          report.heldOutMetrics.current!.logloss_reply!,
      );
      assert.equal(report.promoted, false, report.reason);
      assert.match(report.reason, /0 reply positives and \d+ negatives/);
      assert.equal((await registry.current('feed'))?.version, 'v1');
    } finally {
      await earlier.close();
      await runtime.close();
    }
  });

  it('does not replace the current version on fewer held-out positives than TRAINER_PROMOTION_MIN_POSITIVES', async () => {
    const world = syntheticWorld({ users: 40, posts: 160 });
    const runtime = await runtimeWith(world.events);
    const registry = new InMemoryModelRegistry();
    const featureSource = new WorldFeatureSource(world.events);
    try {
      const noise = await runTrainer({
        config: configWith({ TRAINER_FEATURES: 'post.noise' }),
        runtime,
        logger: silent,
        registry,
        featureSource,
      });
      assert.equal(noise.promoted, true);
      const better = await runTrainer({
        config: configWith({ TRAINER_PROMOTION_MIN_POSITIVES: '100000' }),
        runtime,
        logger: silent,
        registry,
        featureSource,
      });
      assert.ok(
        better.heldOutMetrics.candidate.auc_like! > better.heldOutMetrics.current!.auc_like!,
      );
      assert.equal(better.promoted, false, better.reason);
      assert.match(better.reason, /fewer than TRAINER_PROMOTION_MIN_POSITIVES \(100000\)/);
      assert.equal((await registry.current('feed'))?.version, 'v1');
      assert.throws(
        () => configWith({ TRAINER_PROMOTION_MIN_POSITIVES: '0' }),
        /TRAINER_PROMOTION_MIN_POSITIVES/,
      );
    } finally {
      await runtime.close();
    }
  });

  it('tolerates engagements stamped up to TRAINER_CLOCK_SKEW_MS before their impression, 5 minutes unless set, and refuses a skew out of 0-3,600,000 ms', () => {
    assert.equal(configWith().TRAINER_CLOCK_SKEW_MS, 300_000);
    assert.equal(configWith({ TRAINER_CLOCK_SKEW_MS: '0' }).TRAINER_CLOCK_SKEW_MS, 0);
    for (const bad of ['-1', '3600001', '1.5', 'soon']) {
      assert.throws(() => configWith({ TRAINER_CLOCK_SKEW_MS: bad }), /TRAINER_CLOCK_SKEW_MS/);
    }
  });

  it('does not promote over a current version whose model document is gone, and names it', async () => {
    const world = syntheticWorld({ users: 40, posts: 160 });
    const runtime = await runtimeWith(world.events);
    const prefix = uniquePrefix('trainer-models');
    const redis = testRedis(prefix);
    const registry = new RedisModelRegistry({ redis, keyPrefix: prefix });
    const featureSource = new WorldFeatureSource(world.events);
    const run = () =>
      runTrainer({ config: configWith(), runtime, logger: silent, registry, featureSource });
    try {
      assert.equal((await run()).promoted, true);
      // The pointer still names v1, but its parameters are lost (evicted, deleted by hand).
      await redis.del(`${prefix}:{models}:model:feed:v1`);
      const report = await run();
      assert.equal(report.version, 'v2', 'the new version is still published');
      assert.equal(report.promoted, false, report.reason);
      assert.equal(report.currentVersion, 'v1');
      assert.equal(report.heldOutMetrics.current, undefined);
      assert.match(report.reason, /feed@v1.*model document.*not promoted/);
      const v2 = (await registry.list('feed')).find((v) => v.version === 'v2');
      assert.equal(v2?.notes.promotion, report.reason);
      await assert.rejects(registry.current('feed'), DanglingCurrentVersionError);
    } finally {
      await redis.cleanup();
      await runtime.close();
    }
  });

  it('does not promote when the current version it read can no longer be loaded to compare with', async () => {
    const world = syntheticWorld({ users: 40, posts: 160 });
    const runtime = await runtimeWith(world.events);
    const registry = new InMemoryModelRegistry();
    const featureSource = new WorldFeatureSource(world.events);
    // current() names v1, and v1 is gone by the time it is loaded.
    const losing: ModelRegistry = {
      publish: (...args) => registry.publish(...args),
      promote: (...args) => registry.promote(...args),
      current: (...args) => registry.current(...args),
      currentVersions: () => registry.currentVersions(),
      list: (...args) => registry.list(...args),
      get: async (name, version) => (version === 'v1' ? undefined : registry.get(name, version)),
      history: (...args) => registry.history(...args),
    };
    try {
      await runTrainer({ config: configWith(), runtime, logger: silent, registry, featureSource });
      const report = await runTrainer({
        config: configWith(),
        runtime,
        logger: silent,
        registry: losing,
        featureSource,
      });
      assert.equal(report.promoted, false, report.reason);
      assert.notEqual(report.reason, 'no current version');
      assert.match(report.reason, /feed@v1/);
      assert.equal((await registry.current('feed'))?.version, 'v1');
    } finally {
      await runtime.close();
    }
  });

  it('does not promote over a version another run promoted after this one read the current one', async () => {
    const world = syntheticWorld({ users: 40, posts: 160 });
    const runtime = await runtimeWith(world.events);
    const registry = new InMemoryModelRegistry();
    const featureSource = new WorldFeatureSource(world.events);
    // Another trainer run promotes its own version (v3) while this one publishes v2.
    const racing: ModelRegistry = {
      publish: async (...args) => {
        const published = await registry.publish(...args);
        const rival = await registry.get('feed', 'v1');
        await registry.publish('feed', rival!.model, { trainedAtMs: 3, promote: true });
        return published;
      },
      promote: (...args) => registry.promote(...args),
      current: (...args) => registry.current(...args),
      currentVersions: () => registry.currentVersions(),
      list: (...args) => registry.list(...args),
      get: (...args) => registry.get(...args),
      history: (...args) => registry.history(...args),
    };
    try {
      const noise = await runTrainer({
        config: configWith({ TRAINER_FEATURES: 'post.noise' }),
        runtime,
        logger: silent,
        registry,
        featureSource,
      });
      assert.equal(noise.promoted, true);
      const better = await runTrainer({
        config: configWith(),
        runtime,
        logger: silent,
        registry: racing,
        featureSource,
      });
      assert.equal(better.version, 'v2');
      assert.ok(
        better.heldOutMetrics.candidate.auc_like! > better.heldOutMetrics.current!.auc_like!,
      );
      assert.equal(better.promoted, false, better.reason);
      assert.match(better.reason, /^auc_like .* current .*moved from v1 to v3.*not promoted/);
      assert.equal((await registry.current('feed'))?.version, 'v3');
    } finally {
      await runtime.close();
    }
  });

  it('refuses, naming the option, a promotion metric the held-out evaluation does not compute', async () => {
    const world = syntheticWorld({ users: 20, posts: 60 });
    const runtime = await runtimeWith(world.events);
    const registry = new InMemoryModelRegistry();
    try {
      for (const metric of ['accuracy_like', 'auc_share', 'auc', 'logloss', 'AUC_like', '']) {
        await assert.rejects(
          runTrainer({
            config: configWith(),
            runtime,
            logger: silent,
            registry,
            featureSource: new WorldFeatureSource(world.events),
            promotionMetric: metric,
          }),
          (error: unknown) =>
            error instanceof InvalidArgumentError &&
            error.field === 'promotionMetric' &&
            error.message.includes(JSON.stringify(metric)),
          `accepted ${JSON.stringify(metric)}`,
        );
      }
      assert.deepEqual(await registry.list(), [], 'nothing published');
    } finally {
      await runtime.close();
    }
  });

  it('trains gradient-boosted trees when configured, and promotes them only over a worse current model', async () => {
    const world = syntheticWorld();
    const runtime = await runtimeWith(world.events);
    const registry = new InMemoryModelRegistry();
    const featureSource = new WorldFeatureSource(world.events);
    try {
      const noise = await runTrainer({
        config: configWith({ TRAINER_FEATURES: 'post.noise' }),
        runtime,
        logger: silent,
        registry,
        featureSource,
      });
      assert.equal(noise.promoted, true);
      const trees = await runTrainer({
        config: configWith({ TRAINER_MODEL_FAMILY: 'gbdt', TRAINER_GBDT_TREES: '40' }),
        runtime,
        logger: silent,
        registry,
        featureSource,
      });
      assert.equal(trees.version, 'v2');
      assert.equal(trees.promoted, true, trees.reason);
      assert.ok(trees.heldOutMetrics.candidate.auc_like! > 0.7);
      const current = await registry.current('feed');
      assert.equal(current?.version, 'v2');
      assert.equal(current?.family, 'gbdt');
      assert.equal(
        (await registry.list('feed')).find((v) => v.version === 'v2')?.notes.family,
        'gbdt',
      );
      assert.ok((await heldOutLikeAuc(world, registry, 'v2')) > 0.7);

      // Trees on noise alone are worse than the current trees on the held-out slice.
      const worse = await runTrainer({
        config: configWith({
          TRAINER_MODEL_FAMILY: 'gbdt',
          TRAINER_GBDT_TREES: '40',
          TRAINER_FEATURES: 'post.noise',
        }),
        runtime,
        logger: silent,
        registry,
        featureSource,
      });
      assert.equal(worse.promoted, false);
      assert.equal((await registry.current('feed'))?.version, 'v2');
    } finally {
      await runtime.close();
    }
  });

  it('gives the same model for the same log and seed', async () => {
    const world = syntheticWorld({ users: 30, posts: 120 });
    const runtime = await runtimeWith(world.events);
    const featureSource = new WorldFeatureSource(world.events);
    try {
      const a = new InMemoryModelRegistry();
      const b = new InMemoryModelRegistry();
      await runTrainer({
        config: configWith(),
        runtime,
        logger: silent,
        registry: a,
        featureSource,
      });
      await runTrainer({
        config: configWith(),
        runtime,
        logger: silent,
        registry: b,
        featureSource,
      });
      assert.deepEqual((await a.get('feed', 'v1'))?.model, (await b.get('feed', 'v1'))?.model);
    } finally {
      await runtime.close();
    }
  });

  it('learns from served impressions and what followed when impressions are logged', async () => {
    const world = syntheticWorld({ impressions: true });
    const runtime = await runtimeWith(world.events);
    const registry = new InMemoryModelRegistry();
    try {
      const report = await runTrainer({
        config: configWith({ TRAINER_ATTRIBUTION_WINDOW_MS: String(6 * 3_600_000) }),
        runtime,
        logger: silent,
        registry,
        featureSource: new WorldFeatureSource(world.events),
      });
      assert.equal(report.source, 'impressions');
      assert.equal(report.promoted, true);
      assert.equal(report.sampledNegatives, 0);
      // The last sessions' window has not closed by the newest event: left for the next run.
      assert.ok(report.immatureImpressions > 0);
      assert.equal(report.immatureEngagements, 0);
      assert.ok(report.examples.embargoed > 0);
      assert.ok(report.positives.like > 100);
      assert.ok(
        report.heldOutMetrics.candidate.auc_like! > 0.7,
        `auc ${report.heldOutMetrics.candidate.auc_like}`,
      );
      assert.ok((await heldOutLikeAuc(world, registry, 'v1')) > 0.7);
    } finally {
      await runtime.close();
    }
  });

  it("trains on the values logged with each impression when they are in the store's schema", async () => {
    const world = syntheticWorld({ impressions: true, featureSchema: 'fs-now' });
    const runtime = await runtimeWith(world.events);
    const source = new WorldFeatureSource(world.events, { schema: 'fs-now' });
    try {
      const report = await runTrainer({
        config: configWith({ TRAINER_ATTRIBUTION_WINDOW_MS: String(6 * 3_600_000) }),
        runtime,
        logger: silent,
        registry: new InMemoryModelRegistry(),
        featureSource: source,
      });
      assert.equal(report.source, 'impressions');
      assert.deepEqual(report.featureProvenance, {
        logged: report.examples.total,
        pointInTime: 0,
        current: 0,
      });
      // One call, to learn the store's schema and its names; no refetching.
      assert.equal(source.calls, 1);
      assert.ok(!report.caveats.some((c) => c.includes('as of training time')));
      // Text length is logged as served and predicts likes in this world.
      assert.ok(report.heldOutMetrics.candidate.auc_like! > 0.6);
    } finally {
      await runtime.close();
    }
  });

  it('refetches, and says it leaks, when the logged schema is not the one the store serves', async () => {
    const world = syntheticWorld({ impressions: true, featureSchema: 'fs-old', users: 30 });
    const runtime = await runtimeWith(world.events);
    const source = new WorldFeatureSource(world.events, { schema: 'fs-new' });
    try {
      const report = await runTrainer({
        config: configWith({ TRAINER_ATTRIBUTION_WINDOW_MS: String(6 * 3_600_000) }),
        runtime,
        logger: silent,
        registry: new InMemoryModelRegistry(),
        featureSource: source,
      });
      assert.deepEqual(report.featureProvenance, {
        logged: 0,
        pointInTime: 0,
        current: report.examples.total,
      });
      assert.ok(report.caveats.some((c) => c.includes('as of training time')));
    } finally {
      await runtime.close();
    }
  });

  it("rebuilds features as of each example's time when the source can, instead of today's", async () => {
    const world = syntheticWorld({ impressions: true, users: 30 });
    const runtime = await runtimeWith(world.events);
    const source = new WorldFeatureSource(world.events, { pointInTime: true });
    try {
      const report = await runTrainer({
        config: configWith({ TRAINER_ATTRIBUTION_WINDOW_MS: String(6 * 3_600_000) }),
        runtime,
        logger: silent,
        registry: new InMemoryModelRegistry(),
        featureSource: source,
      });
      assert.deepEqual(report.featureProvenance, {
        logged: 0,
        pointInTime: report.examples.total,
        current: 0,
      });
      assert.equal(source.calls, source.asOf.length, 'every fetch was a point-in-time one');
      const impressionTimes = new Set(
        world.events.filter((e) => e.payload?.$case === 'impression').map((e) => e.atMs),
      );
      assert.ok(source.asOf.every((atMs) => impressionTimes.has(atMs)));
      assert.ok(!report.caveats.some((c) => c.includes('as of training time')));
    } finally {
      await runtime.close();
    }
  });

  it('trains nothing and says why when the log holds nothing to learn from', async () => {
    const runtime = await runtimeWith([
      {
        eventId: 'only',
        atMs: T0,
        payload: { $case: 'sessionStarted', value: { userId: 'u1' } },
      },
    ]);
    const registry = new InMemoryModelRegistry();
    try {
      const report = await runTrainer({
        config: configWith(),
        runtime,
        logger: silent,
        registry,
        featureSource: new WorldFeatureSource([]),
      });
      assert.equal(report.source, 'none');
      assert.equal(report.version, undefined);
      assert.equal(report.promoted, false);
      assert.equal(report.events, 1);
      assert.match(report.reason, /nothing|no engagement/);
      assert.deepEqual(await registry.list(), []);
    } finally {
      await runtime.close();
    }
  });

  it('trains nothing when every like is in the held-out slice, none left to learn from', async () => {
    const events: eventsv1.Event[] = [];
    const add = (atMs: number, payload: eventsv1.Event['payload']) =>
      events.push({ eventId: `e${events.length}`, atMs, payload });
    for (let i = 0; i < 100; i += 1) {
      add(T0, {
        $case: 'postCreated',
        value: { postId: `p${i}`, blogId: 'b', text: '', tags: [], mediaKind: 0, reblogOf: '' },
      });
    }
    // Hides in the first days, then likes only in the last one: the held-out fifth.
    const engage = (userId: string, postId: string, kind: number, atMs: number) =>
      add(atMs, { $case: 'engagement', value: { userId, postId, kind } });
    for (let i = 0; i < 40; i += 1) engage(`u${i % 8}`, `p${i}`, 6, T0 + DAY + i * 3_600_000);
    for (let i = 40; i < 50; i += 1) engage(`u${i % 8}`, `p${i}`, 1, T0 + 9 * DAY + i * 60_000);
    add(T0 + 11 * DAY, { $case: 'sessionStarted', value: { userId: 'u0' } });
    const runtime = await runtimeWith(events);
    const registry = new InMemoryModelRegistry();
    try {
      const report = await runTrainer({
        config: configWith(),
        runtime,
        logger: silent,
        registry,
        featureSource: new WorldFeatureSource(events),
      });
      assert.equal(report.examples.heldOut, 50);
      assert.equal(report.version, undefined, report.reason);
      assert.equal(report.promoted, false);
      assert.match(report.reason, /no like among the training examples/);
      assert.deepEqual(await registry.list(), []);
    } finally {
      await runtime.close();
    }
  });

  it('fails the run naming a feature to train on that the source does not serve', async () => {
    const world = syntheticWorld({ users: 20, posts: 60 });
    const runtime = await runtimeWith(world.events);
    try {
      await assert.rejects(
        runTrainer({
          config: configWith({ TRAINER_FEATURES: 'post.likes_by_others,post.nope' }),
          runtime,
          logger: silent,
          registry: new InMemoryModelRegistry(),
          featureSource: new WorldFeatureSource(world.events),
        }),
        /post\.nope/,
      );
    } finally {
      await runtime.close();
    }
  });
});
