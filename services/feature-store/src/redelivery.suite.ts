import assert from 'node:assert/strict';
import type { eventsv1 } from '@feedmesh/contracts';
import type { Delivery } from '@feedmesh/events';
import { FeatureMaterializer } from './event-materializer.js';
import type {
  CandidateStates,
  FeatureStore,
  Prefetched,
  PrefetchRequest,
  UserStates,
  WriteOutcome,
  WritePlan,
} from './feature-store.js';
import type { OpenStore, StoreFixture } from './feature-store.contract.js';
import {
  blogCreated,
  engaged,
  HOUR,
  Kind,
  postCreated,
  sampleWorld,
  T0,
} from './test-fixtures/events.js';
import {
  LIMITS,
  SAMPLE_NOW,
  SAMPLE_POSTS,
  SAMPLE_USERS,
  sampleSnapshot,
} from './test-fixtures/replay.js';
import { assertSameSnapshot, snapshotOf, type Snapshot } from './test-fixtures/snapshot.js';

/** Where the log says each event of a batch sits: `count`th delivery of each. */
function deliveries(events: readonly eventsv1.Event[], count: number): Delivery[] {
  return events.map((_, i) => ({
    group: 'feature-store',
    consumer: 'c1',
    partition: 0,
    entryId: `0-${i}`,
    deliveries: count,
  }));
}

function inBatches<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let from = 0; from < items.length; from += size) {
    batches.push(items.slice(from, from + size));
  }
  return batches;
}

/**
 * A store whose next write is cut short: only the parts named land (as when Redis or the
 * process goes down between the calls of one write), then it throws.
 */
class CutShortStore implements FeatureStore {
  cutting = false;

  constructor(
    private readonly store: FeatureStore,
    private readonly lands: readonly (keyof WritePlan)[],
  ) {}

  prefetch(request: PrefetchRequest): Promise<Prefetched> {
    return this.store.prefetch(request);
  }

  async write(plan: WritePlan): Promise<WriteOutcome> {
    if (!this.cutting) return this.store.write(plan);
    const part = <K extends keyof WritePlan>(key: K) => (this.lands.includes(key) ? plan[key] : []);
    await this.store.write({ posts: part('posts'), users: part('users'), blogs: part('blogs') });
    throw new Error('crashed between the calls of a write');
  }

  readCandidates(userId: string | undefined, postIds: readonly string[]): Promise<CandidateStates> {
    return this.store.readCandidates(userId, postIds);
  }

  readUser(userId: string, limit: number): Promise<UserStates> {
    return this.store.readUser(userId, limit);
  }
}

/**
 * A store another consumer races: `meanwhile` runs between the first write's prefetch and the
 * write itself; the write after it (the correction of what changed meanwhile) is lost to a crash.
 */
class RacedThenCutStore implements FeatureStore {
  private writes = 0;

  constructor(
    private readonly store: FeatureStore,
    private readonly meanwhile: () => Promise<void>,
  ) {}

  prefetch(request: PrefetchRequest): Promise<Prefetched> {
    return this.store.prefetch(request);
  }

  async write(plan: WritePlan): Promise<WriteOutcome> {
    this.writes += 1;
    if (this.writes === 1) await this.meanwhile();
    if (this.writes === 2) throw new Error('crashed before the correction');
    return this.store.write(plan);
  }

  readCandidates(userId: string | undefined, postIds: readonly string[]): Promise<CandidateStates> {
    return this.store.readCandidates(userId, postIds);
  }

  readUser(userId: string, limit: number): Promise<UserStates> {
    return this.store.readUser(userId, limit);
  }
}

/**
 * Exactly once in effect: the log delivers a batch again when its consumer wrote it (wholly
 * or partly) and did not acknowledge it (a crash, Redis going away), and may deliver an event
 * twice at once (a republish racing the original). Whatever the batches, the store serves
 * what one clean pass over the log gives.
 */
export function redeliverySuite(name: string, open: OpenStore): void {
  describe(`${name}: events delivered again count once`, () => {
    let expected: Snapshot;
    let fixture: StoreFixture;

    before(async () => {
      expected = await sampleSnapshot();
    });
    beforeEach(async () => {
      fixture = await open(LIMITS);
    });
    afterEach(() => fixture.dispose());

    const served = () => snapshotOf(fixture.store, SAMPLE_USERS, SAMPLE_POSTS, SAMPLE_NOW);

    it('counts a batch written but not acknowledged once when it is delivered again', async () => {
      const materializer = new FeatureMaterializer(fixture.store);
      for (const batch of inBatches(sampleWorld(), 5)) {
        assert.deepEqual(await materializer.applyBatch(batch, deliveries(batch, 1)), []);
        // The consumer died before acknowledging: the same entries come back.
        assert.deepEqual(await materializer.applyBatch(batch, deliveries(batch, 2)), []);
      }
      assertSameSnapshot(await served(), expected);
    });

    it('gives the same state when the whole log is delivered again, in other batches', async () => {
      const materializer = new FeatureMaterializer(fixture.store);
      for (const batch of inBatches(sampleWorld(), 7)) {
        await materializer.applyBatch(batch, deliveries(batch, 1));
      }
      for (const batch of inBatches(sampleWorld(), 3)) {
        await materializer.applyBatch(batch, deliveries(batch, 2));
      }
      assertSameSnapshot(await served(), expected);
    });

    it('counts an event once when a second first delivery of it races the first', async () => {
      const materializer = new FeatureMaterializer(fixture.store);
      for (const batch of inBatches(sampleWorld(), 5)) {
        await materializer.applyBatch(batch, deliveries(batch, 1));
        // Neither knows of the other: the store's markers turn the second away.
        await materializer.applyBatch(batch, deliveries(batch, 1));
      }
      assertSameSnapshot(await served(), expected);
    });

    describe('an engagement parked before its post existed, then delivered again', () => {
      // e18 (u2 replies to p3) comes before e19 (p3's PostCreated) in the log.
      const world = sampleWorld();
      const at = (id: string) => world.findIndex((event) => event.eventId === id);
      const before = world.slice(0, at('e18'));
      const [reply, creation] = [world[at('e18')]!, world[at('e19')]!];
      const after = world.slice(at('e19') + 1);

      it('joins it to the blog and tags once when it comes back with the post’s creation', async () => {
        const materializer = new FeatureMaterializer(fixture.store);
        for (const batch of inBatches(before, 5)) await materializer.applyBatch(batch);
        // Parked with p3, then not acknowledged: it comes back beside p3's PostCreated.
        assert.deepEqual(await materializer.applyBatch([reply], deliveries([reply], 1)), []);
        const again = [reply, creation];
        assert.deepEqual(
          await materializer.applyBatch(again, [
            ...deliveries([reply], 2),
            ...deliveries([creation], 1),
          ]),
          [],
        );
        await materializer.applyBatch(after);
        assertSameSnapshot(await served(), expected);
      });

      it('joins it once when it comes back after the post’s creation joined it', async () => {
        const materializer = new FeatureMaterializer(fixture.store);
        for (const batch of inBatches(before, 5)) await materializer.applyBatch(batch);
        assert.deepEqual(await materializer.applyBatch([reply], deliveries([reply], 1)), []);
        assert.deepEqual(await materializer.applyBatch([creation], deliveries([creation], 1)), []);
        assert.deepEqual(await materializer.applyBatch([reply], deliveries([reply], 2)), []);
        await materializer.applyBatch(after);
        assertSameSnapshot(await served(), expected);
      });

      for (const creationBetween of [true, false]) {
        it(`joins it when a crash landed its user's part but not its parking, and it comes back ${creationBetween ? 'after' : 'with'} the post's creation`, async () => {
          const cut = new CutShortStore(fixture.store, ['users']);
          const materializer = new FeatureMaterializer(cut);
          for (const batch of inBatches(before, 5)) await materializer.applyBatch(batch);
          cut.cutting = true;
          await assert.rejects(materializer.applyBatch([reply], deliveries([reply], 1)), /crashed/);
          cut.cutting = false;
          // The user counted the reply; p3 never parked it, so p3's creation cannot join it.
          if (creationBetween) {
            assert.deepEqual(await materializer.applyBatch([creation]), []);
            assert.deepEqual(await materializer.applyBatch([reply], deliveries([reply], 2)), []);
          } else {
            const again = [reply, creation];
            assert.deepEqual(
              await materializer.applyBatch(again, [
                ...deliveries([reply], 2),
                ...deliveries([creation], 1),
              ]),
              [],
            );
          }
          await materializer.applyBatch(after);
          assertSameSnapshot(await served(), expected);
        });
      }

      it('joins it when its post was created between its prefetch and its write, and a crash lost that correction', async () => {
        const materializer = new FeatureMaterializer(fixture.store);
        for (const batch of inBatches(before, 5)) await materializer.applyBatch(batch);
        // Another consumer creates p3 after the reply's batch read it without a meta.
        const raced = new RacedThenCutStore(fixture.store, async () => {
          assert.deepEqual(await new FeatureMaterializer(fixture.store).applyBatch([creation]), []);
        });
        await assert.rejects(
          new FeatureMaterializer(raced).applyBatch([reply], deliveries([reply], 1)),
          /crashed/,
        );
        assert.deepEqual(await materializer.applyBatch([reply], deliveries([reply], 2)), []);
        await materializer.applyBatch(after);
        assertSameSnapshot(await served(), expected);
      });

      it('joins it once when a second first delivery of it comes after the post’s creation', async () => {
        const materializer = new FeatureMaterializer(fixture.store);
        for (const batch of inBatches(before, 5)) await materializer.applyBatch(batch);
        assert.deepEqual(await materializer.applyBatch([reply], deliveries([reply], 1)), []);
        assert.deepEqual(await materializer.applyBatch([creation], deliveries([creation], 1)), []);
        // A republished copy neither delivery knows of: the store's markers turn it away.
        assert.deepEqual(await materializer.applyBatch([reply], deliveries([reply], 1)), []);
        await materializer.applyBatch(after);
        assertSameSnapshot(await served(), expected);
      });
    });

    describe('two PostCreated of one post with different content', () => {
      // A producer's bug, or a retry under a new event id: p7 created twice, on other blogs,
      // with other tags and text, the second a reblog. The earliest (by time, then by event
      // id) is the post, whichever arrives first; the other changes nothing.
      const setting = [
        blogCreated('s1', T0, 'b1'),
        blogCreated('s2', T0 + 100, 'b2'),
        postCreated('s3', T0 + 500, { postId: 'p8', blogId: 'b2', tags: ['dogs'] }),
      ];
      const earliest = postCreated('c5', T0 + 1_000, {
        postId: 'p7',
        blogId: 'b1',
        tags: ['cats'],
        text: 'short',
      });
      const later = postCreated('c3', T0 + 5_000, {
        postId: 'p7',
        blogId: 'b2',
        tags: ['#Dogs', 'art', 'music'],
        text: 'A MUCH LONGER TEXT, SHOUTED: https://example.com https://example.org',
        reblogOf: 'p8',
      });
      // At the same time, the smaller event id wins.
      const tied = { ...later, atMs: earliest.atMs, eventId: 'c7' };
      const afterwards = [
        engaged('s4', T0 + HOUR, 'u1', 'p7', Kind.ENGAGEMENT_KIND_LIKE),
        engaged('s5', T0 + 2 * HOUR, 'u1', 'p8', Kind.ENGAGEMENT_KIND_LIKE),
      ];
      const NOW = T0 + 3 * HOUR;
      const postFeatures = (store: FeatureStore) => snapshotOf(store, ['u1'], ['p7', 'p8'], NOW);

      /** What the store serves when only `winner` ever created p7, in one clean pass. */
      async function servedWithOnly(winner: eventsv1.Event): Promise<Snapshot> {
        const alone = await open(LIMITS);
        try {
          const materializer = new FeatureMaterializer(alone.store);
          for (const event of [...setting, winner, ...afterwards]) {
            assert.deepEqual(await materializer.applyBatch([event]), []);
          }
          return await postFeatures(alone.store);
        } finally {
          await alone.dispose();
        }
      }

      for (const [name, first, second] of [
        ['the earliest first', earliest, later],
        ['the earliest last', later, earliest],
        ['the earliest last, at the same time (the smaller event id wins)', tied, earliest],
      ] as const) {
        for (const together of [false, true]) {
          it(`serves what the earliest alone gives: ${name}, ${together ? 'in one batch' : 'in two batches'}`, async () => {
            const materializer = new FeatureMaterializer(fixture.store);
            for (const event of setting) await materializer.applyBatch([event]);
            const batches = together ? [[first, second]] : [[first], [second]];
            for (const batch of batches) {
              assert.deepEqual(await materializer.applyBatch(batch, deliveries(batch, 1)), []);
            }
            for (const event of afterwards) await materializer.applyBatch([event]);
            assertSameSnapshot(await postFeatures(fixture.store), await servedWithOnly(earliest));
          });
        }
      }

      for (const count of [1, 2]) {
        it(`changes nothing when the one that lost is delivered again (${count === 1 ? 'republished' : 'not acknowledged'})`, async () => {
          const materializer = new FeatureMaterializer(fixture.store);
          for (const event of [...setting, later, earliest, ...afterwards]) {
            await materializer.applyBatch([event]);
          }
          const before = await postFeatures(fixture.store);
          assertSameSnapshot(before, await servedWithOnly(earliest));
          assert.deepEqual(await materializer.applyBatch([later], deliveries([later], count)), []);
          assertSameSnapshot(await postFeatures(fixture.store), before);
        });
      }
    });

    for (const lands of [['posts', 'blogs'], ['users']] as const) {
      for (const size of [1, 5]) {
        it(`counts once a batch of ${size} delivered again after a crash landed only its ${lands.join(' and ')}`, async () => {
          const cut = new CutShortStore(fixture.store, lands);
          const materializer = new FeatureMaterializer(cut);
          for (const batch of inBatches(sampleWorld(), size)) {
            cut.cutting = true;
            await assert.rejects(materializer.applyBatch(batch, deliveries(batch, 1)), /crashed/);
            cut.cutting = false;
            await materializer.applyBatch(batch, deliveries(batch, 2));
          }
          assertSameSnapshot(await served(), expected);
        });
      }
    }
  });
}
