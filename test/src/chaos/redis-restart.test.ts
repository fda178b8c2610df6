import assert from 'node:assert/strict';
import { candidatesv1, type eventsv1 } from '@feedmesh/contracts';
import { createServiceClient } from '@feedmesh/service-kit';
import { waitFor } from '@feedmesh/testing';
import { EventLogInspector } from '../support/event-log-inspector.js';
import { Mesh } from '../support/mesh.js';
import { PrivateRedis } from '../support/private-redis.js';
import { chaosEvents } from './chaos-events.js';
import { countedLikes, likesPerPost } from './like-counts.js';
import { RetryingPublisher } from './retrying-publisher.js';

/** Posts the ingestion likes, and a word only the posts it creates contain. */
const TARGETS = Array.from({ length: 10 }, (_, i) => `rr-target-${i}`);
const WORD = 'zorblaxian';
/**
 * A batch a consumer could not settle because Redis went away under it, or whose events its
 * handler reported unavailable, is read back by that consumer as soon as Redis answers. An
 * event its handler failed otherwise waits for the event log's claimIdleMs (60 s, which no
 * service overrides), scanned for twice per period: at most 90 s. The drain is given that plus
 * 60 s for a loaded machine.
 */
const DRAIN_TIMEOUT_MS = 150_000;
/** A count read back matches when within a quarter of one like (float32 and decay). */
const TOLERANCE = 0.25;

/** Bugs this suite found, reported and left to their owners: skipped unless asked for. */
/**
 * Producers publish through the gateway, retrying each batch until it is acknowledged, while
 * the mesh's Redis is crashed (SIGKILL: nothing saved on the way down) and started again on
 * its port and directory. Only acknowledged batches count: with `appendfsync always` they are
 * on disk, and the mesh owes every one of them to every consumer group.
 */
describe('chaos: Redis crashed and restarted during ingestion', function () {
  this.timeout(400_000);

  let redis: PrivateRedis | undefined;
  let mesh: Mesh | undefined;
  let inspector: EventLogInspector | undefined;
  const prefix = 'chaos-redis';
  const likedAtMs = Date.now() - 1_000;
  let acknowledged: eventsv1.Event[] = [];
  let drained: Awaited<ReturnType<EventLogInspector['waitUntilDrained']>>;
  let summary = '';

  before(async function () {
    redis = await PrivateRedis.start();
    mesh = await Mesh.start({
      redisUrl: redis.url(),
      prefix,
      serviceEnv: {
        // Trending recomputed on every call, so it shows the counts as they are.
        'candidate-generation': { CANDIDATES_TRENDING_CACHE_MS: '0' },
        // The activity digest flushes quickly, so notification's own writes are exercised too.
        notification: { NOTIFICATION_DIGEST_WINDOW_MS: '200' },
      },
    });
    inspector = new EventLogInspector(redis.url(), prefix);
    const m = mesh;
    const r = redis;

    const setup = [
      chaosEvents.blogCreated('rr-blog', likedAtMs),
      ...TARGETS.map((postId) =>
        chaosEvents.postCreated(postId, 'rr-blog', likedAtMs, 'a post to like'),
      ),
    ];
    await m.gateway.publishEvents({ events: setup });
    // Batch n: one new post with WORD, and 19 likes of the targets by users never seen before.
    const publisher = new RetryingPublisher(m.gateway, {
      producers: 2,
      pauseMs: 20,
      deadlineMs: 3_000,
      batch: (n) => [
        chaosEvents.postCreated(`rr-post-${n}`, 'rr-blog', likedAtMs, `${WORD} number ${n}`),
        ...Array.from({ length: 19 }, (_, i) =>
          chaosEvents.like(
            `rr-${n}-like-${i}`,
            `rr-liker-${n}-${i}`,
            TARGETS[(n * 19 + i) % TARGETS.length]!,
            likedAtMs,
          ),
        ),
      ],
    }).start();
    await sleep(1_500);
    const crashedAt = Date.now();
    await r.crash();
    await sleep(1_500);
    await r.restart();
    const restartedAt = Date.now();
    await sleep(2_000);
    await publisher.stop();
    acknowledged = [...setup, ...publisher.acknowledged];
    drained = await inspector.waitUntilDrained(DRAIN_TIMEOUT_MS);
    summary =
      `redis down ${((restartedAt - crashedAt) / 1000).toFixed(1)} s during ingestion; ` +
      `${acknowledged.length} events acknowledged, failed attempts ${JSON.stringify(publisher.failedAttempts)}; ` +
      `log drained ${(drained.ms / 1000).toFixed(1)} s after the last acknowledgement (by group, s: ` +
      Object.entries(drained.drainedAfterMs)
        .map(([g, ms]) => `${g} ${(ms / 1000).toFixed(1)}`)
        .join(', ') +
      ')';
  });

  after(async function () {
    if (summary) console.log(summary);
    await inspector?.close();
    await mesh?.stop();
    await redis?.destroy();
  });

  it('keeps every service running through the outage', () => {
    assert.deepEqual(mesh!.notRunning(), []);
  });

  it('delivers every acknowledged event to every consumer group, dead-lettering none', async () => {
    const groups = Object.keys(drained.lags);
    for (const group of ['feature-store', 'candidate-generation', 'notification']) {
      assert.ok(groups.includes(group), `${group} reads the log: ${groups.join(', ')}`);
    }
    assert.ok(
      groups.some((g) => g.startsWith('search:')),
      `search reads the log: ${groups.join(', ')}`,
    );
    for (const [group, letters] of Object.entries(await inspector!.deadLetters())) {
      assert.deepEqual(
        letters.map((l) => `${l.eventId}: ${l.error}`),
        [],
        `${group} dead-lettered`,
      );
    }
  });

  it('indexes every acknowledged post in search exactly once', async () => {
    const created =
      acknowledged.filter((e) => e.payload?.$case === 'postCreated').length - TARGETS.length;
    const hits = await waitFor('search to answer', () =>
      mesh!.gateway.search({
        userId: '',
        query: WORD,
        tags: [],
        blogId: '',
        order: 0,
        pageSize: 1,
        cursor: '',
      }),
    );
    assert.equal(hits.totalHits, created);
  });

  it("counts every acknowledged like exactly once in candidate-generation's trends", async () => {
    const { client, close } = createServiceClient(
      candidatesv1.CandidateGenerationServiceDefinition,
      mesh!.address('candidate-generation'),
      { deadlineMs: 10_000 },
    );
    try {
      const trending = await client.trending({ limit: 100, windowS: 3_600 });
      const observed = new Map(trending.posts.map((p) => [p.postId, p.observed]));
      const expected = likesPerPost(acknowledged);
      assert.deepEqual(
        TARGETS.map((p) => `${p}: ${observed.get(p) ?? 'not trending'}`),
        TARGETS.map((p) => `${p}: ${expected.get(p)}`),
      );
    } finally {
      close();
    }
  });

  it('counts every acknowledged like at least once in the feature store', async () => {
    const expected = likesPerPost(acknowledged);
    const counted = await countedLikes(mesh!.address('feature-store'), TARGETS, likedAtMs);
    const extra = TARGETS.reduce((sum, p) => sum + counted.get(p)! - expected.get(p)!, 0);
    console.log(
      `feature store: ${extra.toFixed(2)} likes counted beyond the ${acknowledged.length} acknowledged events' likes`,
    );
    assert.deepEqual(
      TARGETS.filter((p) => counted.get(p)! < expected.get(p)! - TOLERANCE).map(
        (p) => `${p}: counted ${counted.get(p)!.toFixed(2)} of ${expected.get(p)}`,
      ),
      [],
    );
  });

  // Known bug (feature-store): a batch whose writes landed but whose acknowledgement did not
  // (Redis went down between them) is applied again in full; see consumer-crash.test.ts.
  it('counts every acknowledged like exactly once in the feature store', async () => {
    const expected = likesPerPost(acknowledged);
    const counted = await countedLikes(mesh!.address('feature-store'), TARGETS, likedAtMs);
    assert.deepEqual(
      TARGETS.map((p) => `${p}: ${Math.round(counted.get(p)!)}`),
      TARGETS.map((p) => `${p}: ${expected.get(p)}`),
    );
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
