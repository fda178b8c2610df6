import assert from 'node:assert/strict';
import type { eventsv1 } from '@feedmesh/contracts';
import { RedisStreamsEventLog, type Delivery } from '@feedmesh/events';
import { testRedis, uniquePrefix, waitFor } from '@feedmesh/testing';
import { FeatureMaterializer, type FeatureMaterializerOptions } from './event-materializer.js';
import type { BatchUnit, FeatureStore } from './feature-store.js';
import { InMemoryFeatureStore } from './in-memory-feature-store.js';
import { RedisFeatureStore } from './redis-feature-store.js';
import {
  engaged,
  followed,
  Kind,
  postCreated,
  sampleWorld,
  T0,
  HOUR,
  unfollowed,
} from './test-fixtures/events.js';
import {
  applyInBatches,
  applyOneByOne,
  LIMITS,
  replayTwice,
  SAMPLE_NOW,
  SAMPLE_POSTS,
  SAMPLE_USERS,
  sampleSnapshot,
} from './test-fixtures/replay.js';
import { assertSameSnapshot, snapshotOf, type Snapshot } from './test-fixtures/snapshot.js';

const MARKER_TTL_MS = 60_000;

/** Markers as the log names them, under the test's prefix (one Redis, any key will do). */
function markersUnder(prefix: string): FeatureMaterializerOptions {
  return {
    markerOf: (event) => ({ key: `${prefix}:done:${event.eventId}`, ttlMs: MARKER_TTL_MS }),
  };
}

async function keysUnder(redis: ReturnType<typeof testRedis>, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 10_000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

/** How consumer `c1` of the group would have been handed `events`. */
function deliveredTo(events: readonly eventsv1.Event[]): Delivery[] {
  return events.map((_, i) => ({
    group: 'feature-store',
    consumer: 'c1',
    partition: 0,
    entryId: `0-${i}`,
    deliveries: 1,
  }));
}

/** What the in-memory store serves after `events`, one at a time in log order. */
async function expectedAfter(
  events: readonly eventsv1.Event[],
  posts: readonly string[] = SAMPLE_POSTS,
  users: readonly string[] = SAMPLE_USERS,
): Promise<Snapshot> {
  const store = new InMemoryFeatureStore(LIMITS);
  await applyOneByOne(store, events);
  return snapshotOf(store, users, posts, SAMPLE_NOW);
}

/**
 * The Redis store with its batch units' writes intercepted: `beforeWrite` runs just before
 * each unit writes (as another consumer would, between its prefetch and its write). A unit's
 * writes reach the store in the order they were made, each after the one before it settled.
 */
class InterceptedStore implements FeatureStore {
  unitWrites = 0;
  refused = 0;
  /** The events of each write, in the order written. */
  readonly parts: string[][] = [];
  private lastWrite: Promise<unknown> = Promise.resolve();

  constructor(
    readonly store: RedisFeatureStore,
    private readonly beforeWrite: (attempt: number) => Promise<void>,
  ) {}

  prefetch: FeatureStore['prefetch'] = (request) => this.store.prefetch(request);
  write: FeatureStore['write'] = (plan) => this.store.write(plan);
  readCandidates: FeatureStore['readCandidates'] = (userId, postIds) =>
    this.store.readCandidates(userId, postIds);
  readUser: FeatureStore['readUser'] = (userId, limit) => this.store.readUser(userId, limit);

  batchUnit(...args: Parameters<NonNullable<FeatureStore['batchUnit']>>): BatchUnit {
    const unit = this.store.batchUnit(...args)!;
    return {
      prefetch: (request) => unit.prefetch(request),
      write: (plan, part) => {
        const attempt = ++this.unitWrites;
        this.parts.push(part.markers.map((marker) => marker.eventId));
        const written = this.lastWrite
          .then(() => this.beforeWrite(attempt))
          .then(() => unit.write(plan, part));
        this.lastWrite = written.catch(() => undefined);
        return written.then((outcome) => {
          if (outcome.conflicts) this.refused += 1;
          return outcome;
        });
      },
      assumeParked: (parked) => unit.assumeParked(parked),
    };
  }
}

describe('RedisFeatureStore batch units: a batch lands whole with its markers (a single Redis)', () => {
  let expected: Snapshot;
  let prefix: string;
  let redis: ReturnType<typeof testRedis>;
  let store: RedisFeatureStore;

  before(async () => {
    expected = await sampleSnapshot();
  });

  beforeEach(() => {
    prefix = uniquePrefix('fs-unit');
    redis = testRedis(prefix);
    store = new RedisFeatureStore({ redis, prefix, ...LIMITS });
  });

  afterEach(() => redis.cleanup());

  it('builds the same state as in memory from shuffled batches, marking each event once and no entity', async () => {
    const events = sampleWorld().reverse();
    await applyInBatches(store, events, 4, markersUnder(prefix));
    assertSameSnapshot(await snapshotOf(store, SAMPLE_USERS, SAMPLE_POSTS, SAMPLE_NOW), expected);
    const markers = await keysUnder(redis, `${prefix}:done:*`);
    assert.equal(markers.length, events.length);
    const ttl = await redis.pttl(markers[0]!);
    assert.ok(ttl > 0 && ttl <= MARKER_TTL_MS, `marker ttl ${ttl}`);
    // No per-entity marker (`…:e:<event>`), and no veto left behind.
    assert.deepEqual(await keysUnder(redis, `${prefix}:fs:*:e:*`), []);
    assert.deepEqual(await keysUnder(redis, `${prefix}:fs:veto:*`), []);
  });

  it('builds the same state when each batch is written in parts of a few events, sent before the one before lands', async () => {
    const events = sampleWorld().reverse();
    await applyInBatches(store, events, 10, { ...markersUnder(prefix), unitPartEvents: 3 });
    assertSameSnapshot(await snapshotOf(store, SAMPLE_USERS, SAMPLE_POSTS, SAMPLE_NOW), expected);
    assert.equal((await keysUnder(redis, `${prefix}:done:*`)).length, events.length);
    // Each part's `landed` key is gone with the part after it; the last part leaves none.
    assert.deepEqual(await keysUnder(redis, `${prefix}:fs:landed:*`), []);
    assert.deepEqual(await keysUnder(redis, `${prefix}:fs:veto:*`), []);
  });

  it('keeps the parts before a refused one and plans the refused part and those after it again', async () => {
    const base = sampleWorld();
    await applyInBatches(store, base, 50, markersUnder(prefix));
    const follow = followed('c3', T0 + 8 * HOUR + 1, 'u2', 'b2');
    const batch = [
      engaged('c10', T0 + 16 * HOUR, 'u1', 'p1', Kind.ENGAGEMENT_KIND_LIKE),
      followed('c11', T0 + 16 * HOUR + 1, 'u2', 'b2'),
      engaged('c12', T0 + 16 * HOUR + 2, 'u3', 'p2', Kind.ENGAGEMENT_KIND_LIKE),
    ];
    const intercepted = new InterceptedStore(store, async (attempt) => {
      // Another consumer changes the relation the second part read, before that part writes.
      if (attempt === 2) {
        const other = new FeatureMaterializer(store, markersUnder(prefix));
        assert.deepEqual(await other.applyBatch([follow]), []);
      }
    });
    const materializer = new FeatureMaterializer(intercepted, {
      ...markersUnder(prefix),
      unitPartEvents: 1,
    });
    assert.deepEqual(await materializer.applyBatch(batch), []);
    // The second part was refused (its relation changed), the third with it (it lands only
    // after the second); the first stayed, and only the other two were planned again.
    assert.deepEqual(intercepted.parts, [['c10'], ['c11'], ['c12'], ['c11'], ['c12']]);
    assert.equal(intercepted.refused, 2);
    assertSameSnapshot(
      await snapshotOf(store, SAMPLE_USERS, SAMPLE_POSTS, SAMPLE_NOW),
      await expectedAfter([...base, follow, ...batch]),
    );
    assert.deepEqual(await keysUnder(redis, `${prefix}:fs:landed:*`), []);
  });

  describe('a consumer’s next batch, handed in while the last one is written', () => {
    const base = () => sampleWorld().filter((event) => !['e18', 'e19'].includes(event.eventId));
    const USERS = [...SAMPLE_USERS, 'u3'];
    const POSTS = [...SAMPLE_POSTS, 'p4'];
    // The first batch parks a reblog with p3, creates p4 and follows; the second creates p3
    // (joining the reblog), likes p4 and ends the follow: each depends on what the first leaves.
    const first = () => [
      followed('c1', T0 + 8 * HOUR + 1, 'u2', 'b2'),
      engaged('c2', T0 + 15 * HOUR, 'u1', 'p3', Kind.ENGAGEMENT_KIND_REBLOG),
      postCreated('c3', T0 + 15 * HOUR + 1, { postId: 'p4', blogId: 'b2', tags: ['dogs'] }),
    ];
    const second = () => [
      postCreated('c4', T0 + 14 * HOUR, { postId: 'p3', blogId: 'b1', tags: ['art'] }),
      engaged('c5', T0 + 16 * HOUR, 'u3', 'p4', Kind.ENGAGEMENT_KIND_LIKE),
      unfollowed('c6', T0 + 8 * HOUR + 2, 'u2', 'b2'),
    ];

    it('follows its writes, planning on what they leave, and is not refused', async () => {
      await applyInBatches(store, base(), 50, markersUnder(prefix));
      const intercepted = new InterceptedStore(store, async () => undefined);
      const materializer = new FeatureMaterializer(intercepted, {
        ...markersUnder(prefix),
        unitPartEvents: 1,
      });
      const [a, b] = [first(), second()];
      const applied = await Promise.all([
        materializer.applyBatch(a, deliveredTo(a)),
        materializer.applyBatch(b, deliveredTo(b)),
      ]);
      assert.deepEqual(applied, [[], []]);
      assert.deepEqual(intercepted.parts, [['c1'], ['c2'], ['c3'], ['c4'], ['c5'], ['c6']]);
      assert.equal(intercepted.refused, 0);
      assertSameSnapshot(
        await snapshotOf(store, USERS, POSTS, SAMPLE_NOW),
        await expectedAfter([...base(), ...a, ...b], POSTS, USERS),
      );
      assert.deepEqual(await keysUnder(redis, `${prefix}:fs:landed:*`), []);
    });

    it('is refused with the batch it follows, and planned again once that one is done', async () => {
      await applyInBatches(store, base(), 50, markersUnder(prefix));
      const [a, b] = [first(), second()];
      // Another consumer applies the second batch's PostCreated of p3 before the first batch's
      // part that parks with p3 is written: that part is refused, and every write after it.
      const intercepted = new InterceptedStore(store, async (attempt) => {
        if (attempt === 2) {
          const other = new FeatureMaterializer(store, markersUnder(prefix));
          assert.deepEqual(await other.applyBatch([b[0]!]), []);
        }
      });
      const materializer = new FeatureMaterializer(intercepted, {
        ...markersUnder(prefix),
        unitPartEvents: 1,
      });
      const applied = await Promise.all([
        materializer.applyBatch(a, deliveredTo(a)),
        materializer.applyBatch(b, deliveredTo(b)),
      ]);
      assert.deepEqual(applied, [[], []]);
      // c2 and c3, then the whole second batch, refused; the first batch's rest planned again,
      // then the second's without c4, which the other consumer applied.
      assert.deepEqual(intercepted.parts, [
        ['c1'],
        ['c2'],
        ['c3'],
        ['c4'],
        ['c5'],
        ['c6'],
        ['c2'],
        ['c3'],
        ['c5'],
        ['c6'],
      ]);
      assert.equal(intercepted.refused, 5);
      assertSameSnapshot(
        await snapshotOf(store, USERS, POSTS, SAMPLE_NOW),
        await expectedAfter([...base(), ...a, ...b], POSTS, USERS),
      );
    });
  });

  describe('a post created again by an earlier PostCreated (the earliest wins)', () => {
    // p1 was created by e03 at T0 + 2 s on b1; these are earlier, on other blogs and tags.
    const earlier = postCreated('r1', T0 + 1_000, { postId: 'p1', blogId: 'b2', tags: ['x'] });
    const between = postCreated('r2', T0 + 1_500, { postId: 'p1', blogId: 'b1', tags: ['y'] });
    const like = engaged('r3', T0 + 16 * HOUR, 'u3', 'p1', Kind.ENGAGEMENT_KIND_LIKE);
    const USERS = [...SAMPLE_USERS, 'u3'];

    it('refuses a replacement whose meta another consumer replaced meanwhile, then keeps the earliest', async () => {
      const base = sampleWorld();
      await applyInBatches(store, base, 50, markersUnder(prefix));
      const intercepted = new InterceptedStore(store, async (attempt) => {
        if (attempt === 1) {
          const other = new FeatureMaterializer(store, markersUnder(prefix));
          assert.deepEqual(await other.applyBatch([earlier]), []);
        }
      });
      const materializer = new FeatureMaterializer(intercepted, markersUnder(prefix));
      assert.deepEqual(await materializer.applyBatch([between, like]), []);
      // Planned to replace e03's meta, refused (r1's is stored), then planned again: r2 lost.
      assert.deepEqual(intercepted.parts, [
        ['r2', 'r3'],
        ['r2', 'r3'],
      ]);
      assert.equal(intercepted.refused, 1);
      assertSameSnapshot(
        await snapshotOf(store, USERS, SAMPLE_POSTS, SAMPLE_NOW),
        await expectedAfter([...base, earlier, between, like], SAMPLE_POSTS, USERS),
      );
    });

    it('is followed by the next batch, which plans on the meta it leaves', async () => {
      const base = sampleWorld();
      await applyInBatches(store, base, 50, markersUnder(prefix));
      const intercepted = new InterceptedStore(store, async () => undefined);
      const materializer = new FeatureMaterializer(intercepted, {
        ...markersUnder(prefix),
        unitPartEvents: 1,
      });
      const [a, b] = [[earlier], [like, between]];
      const applied = await Promise.all([
        materializer.applyBatch(a, deliveredTo(a)),
        materializer.applyBatch(b, deliveredTo(b)),
      ]);
      assert.deepEqual(applied, [[], []]);
      assert.equal(intercepted.refused, 0);
      assertSameSnapshot(
        await snapshotOf(store, USERS, SAMPLE_POSTS, SAMPLE_NOW),
        await expectedAfter([...base, ...a, ...b], SAMPLE_POSTS, USERS),
      );
    });
  });

  it('replays the log twice through Redis Streams with the log’s own markers, the second pass all duplicates', async () => {
    const log = new RedisStreamsEventLog({
      client: redis,
      prefix: `${prefix}:events`,
      partitions: 4,
    });
    try {
      await replayTwice(log, store, expected, 5, {
        markerOf: (event) => log.processedMarker('feature-store', event),
      });
      assert.deepEqual(await keysUnder(redis, `${prefix}:fs:*:e:*`), []);
    } finally {
      await log.close();
    }
  });

  it('replays the log twice with each batch handed in while the last is written, following its writes', async () => {
    const log = new RedisStreamsEventLog({
      client: redis,
      prefix: `${prefix}:events`,
      partitions: 4,
    });
    try {
      await replayTwice(
        log,
        store,
        expected,
        2,
        { markerOf: (event) => log.processedMarker('feature-store', event), unitPartEvents: 1 },
        true,
      );
      assert.deepEqual(await keysUnder(redis, `${prefix}:fs:*:e:*`), []);
    } finally {
      await log.close();
    }
  });

  it('leaves out an event another consumer applied between the consumer’s check and the write', async () => {
    const events = sampleWorld();
    // e05 (u1 likes p1) was applied elsewhere: its marker is set, its effect is not ours to add.
    await redis.set(`${prefix}:done:e05`, '1', 'PX', MARKER_TTL_MS);
    const materializer = new FeatureMaterializer(store, markersUnder(prefix));
    assert.deepEqual(await materializer.applyBatch(events), []);
    assertSameSnapshot(
      await snapshotOf(store, SAMPLE_USERS, SAMPLE_POSTS, SAMPLE_NOW),
      await expectedAfter(events.filter((event) => event.eventId !== 'e05')),
    );
    assert.deepEqual(await keysUnder(redis, `${prefix}:fs:veto:*`), []);
  });

  it('writes nothing of a batch whose claim failed, then plans it again without the applied event', async () => {
    const events = sampleWorld();
    // The other consumer marks e08 after this one's prefetch, before its write.
    const intercepted = new InterceptedStore(store, async (attempt) => {
      if (attempt === 1) await redis.set(`${prefix}:done:e08`, '1', 'PX', MARKER_TTL_MS);
    });
    let reported = 0;
    const materializer = new FeatureMaterializer(intercepted, {
      ...markersUnder(prefix),
      onRefused: () => (reported += 1),
    });
    assert.deepEqual(await materializer.applyBatch(events), []);
    assert.equal(intercepted.refused, 1);
    assert.equal(reported, 1);
    assert.equal(intercepted.unitWrites, 2);
    assertSameSnapshot(
      await snapshotOf(store, SAMPLE_USERS, SAMPLE_POSTS, SAMPLE_NOW),
      await expectedAfter(events.filter((event) => event.eventId !== 'e08')),
    );
  });

  it('is refused when a post it found without a meta is created before its write, and joins it on the next attempt', async () => {
    const base = sampleWorld();
    const creation = postCreated('c1', T0 + 14 * HOUR, {
      postId: 'p3',
      blogId: 'b1',
      tags: ['art'],
    });
    const reply = engaged('c2', T0 + 15 * HOUR, 'u2', 'p3', Kind.ENGAGEMENT_KIND_REPLY);
    const rest = base.filter((event) => !['e18', 'e19'].includes(event.eventId));
    await applyInBatches(store, rest, 50, markersUnder(prefix));
    // A second consumer applies the PostCreated (in its own unit, on its own connection)
    // after this one found p3 without a meta and before it writes the reply.
    const other = new FeatureMaterializer(store, markersUnder(prefix));
    const intercepted = new InterceptedStore(store, async (attempt) => {
      if (attempt === 1) assert.deepEqual(await other.applyBatch([creation]), []);
    });
    const materializer = new FeatureMaterializer(intercepted, markersUnder(prefix));
    assert.deepEqual(await materializer.applyBatch([reply]), []);
    assert.equal(intercepted.refused, 1);
    assertSameSnapshot(
      await snapshotOf(store, SAMPLE_USERS, SAMPLE_POSTS, SAMPLE_NOW),
      await expectedAfter([...rest, creation, reply]),
    );
  });

  it('is not refused when another consumer only engages with a post it found without a meta', async () => {
    const base = sampleWorld().filter((event) => !['e18', 'e19'].includes(event.eventId));
    await applyInBatches(store, base, 50, markersUnder(prefix));
    const theirs = engaged('c5', T0 + 15 * HOUR, 'u1', 'p3', Kind.ENGAGEMENT_KIND_LIKE);
    const ours = engaged('c6', T0 + 15 * HOUR + 1, 'u2', 'p3', Kind.ENGAGEMENT_KIND_REPLY);
    const creation = postCreated('c7', T0 + 14 * HOUR, {
      postId: 'p3',
      blogId: 'b1',
      tags: ['art'],
    });
    const other = new FeatureMaterializer(store, markersUnder(prefix));
    const intercepted = new InterceptedStore(store, async (attempt) => {
      if (attempt === 1) assert.deepEqual(await other.applyBatch([theirs]), []);
    });
    const materializer = new FeatureMaterializer(intercepted, markersUnder(prefix));
    assert.deepEqual(await materializer.applyBatch([ours]), []);
    assert.equal(intercepted.refused, 0);
    // Both wait with p3 and join it when it is created.
    assert.deepEqual(await other.applyBatch([creation]), []);
    assertSameSnapshot(
      await snapshotOf(store, SAMPLE_USERS, SAMPLE_POSTS, SAMPLE_NOW),
      await expectedAfter([...base, theirs, ours, creation]),
    );
  });

  it('is refused when a relation it read changes before its write, and counts the change made', async () => {
    const base = sampleWorld();
    const follow = followed('c3', T0 + 8 * HOUR + 1, 'u2', 'b2');
    const intercepted = new InterceptedStore(store, async (attempt) => {
      // Another consumer applies the same user's follow of b2 meanwhile (a reclaimed entry).
      if (attempt === 1) {
        const other = new FeatureMaterializer(store, markersUnder(prefix));
        assert.deepEqual(await other.applyBatch([follow]), []);
      }
    });
    const materializer = new FeatureMaterializer(intercepted, markersUnder(prefix));
    await applyInBatches(store, base, 50, markersUnder(prefix));
    const again = followed('c4', T0 + 8 * HOUR + 2, 'u2', 'b2');
    assert.deepEqual(await materializer.applyBatch([again]), []);
    assert.equal(intercepted.refused, 1);
    // b2 gained one follower, not two: the second follow found the first one's.
    assertSameSnapshot(
      await snapshotOf(store, SAMPLE_USERS, SAMPLE_POSTS, SAMPLE_NOW),
      await expectedAfter([...base, follow, again]),
    );
  });

  it('skips a batch that landed but was not acknowledged when it is delivered again', async () => {
    const log = new RedisStreamsEventLog({
      client: redis,
      prefix: `${prefix}:events`,
      partitions: 1,
    });
    const materializer = new FeatureMaterializer(store, {
      markerOf: (event) => log.processedMarker('feature-store', event),
    });
    let crashes = 0;
    const consumer = await log.consume({
      group: 'feature-store',
      consumer: 'c1',
      batchSize: 100,
      claimIdleMs: 50,
      pollIntervalMs: 10,
      batchHandler: async (events) => {
        const failures = await materializer.applyBatch(events);
        // The process "dies" after its write landed, before the log acknowledged the batch.
        if (crashes++ === 0) throw new Error('lost after the write');
        return failures;
      },
    });
    try {
      await log.append(sampleWorld());
      await waitFor(
        'the group to drain',
        async () => {
          const { undelivered, pending } = await log.lag('feature-store');
          return undelivered === 0 && pending === 0;
        },
        { timeoutMs: 15_000 },
      );
      // Delivered again, every event was found applied: the handler was not called again.
      assert.equal(crashes, 1);
      assert.equal(consumer.stats().duplicates, sampleWorld().length);
      assertSameSnapshot(await snapshotOf(store, SAMPLE_USERS, SAMPLE_POSTS, SAMPLE_NOW), expected);
    } finally {
      await consumer.stop();
      await log.close();
    }
  });
});
