import assert from 'node:assert/strict';
import { isMissing, type eventsv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import { InMemoryEventLog, RedisStreamsEventLog } from '@feedmesh/events';
import { testRedis, uniquePrefix } from '@feedmesh/testing';
import { FeatureMaterializer, type FeatureMaterializerOptions } from './event-materializer.js';
import { featureSchema } from './feature-schema.js';
import type { FeatureStore } from './feature-store.js';
import { ENTITIES } from './feature-registry.js';
import { InMemoryFeatureStore } from './in-memory-feature-store.js';
import { FeatureKeys } from './redis-keys.js';
import { RedisFeatureStore } from './redis-feature-store.js';
import { LAYOUTS } from './state-layout.js';
import {
  blogCreated,
  DAY,
  engaged,
  followed,
  HOUR,
  Kind,
  postCreated,
  sampleWorld,
  served,
  T0,
  unfollowed,
} from './test-fixtures/events.js';
import { applyInBatches, replayTwice } from './test-fixtures/replay.js';
import { assertSameSnapshot, snapshotOf, type Snapshot } from './test-fixtures/snapshot.js';
import { joinsById } from './test-fixtures/states.js';

const USERS = ['u1', 'u2', 'u8', 'u9', 'stranger'];
const POSTS = ['p1', 'p2', 'p3', 'unknown'];
const NOW = T0 + 18 * HOUR;
const limits = { setCap: 100, interestCap: 100 };

async function applyAll(store: FeatureStore, events: readonly eventsv1.Event[]): Promise<void> {
  const materializer = new FeatureMaterializer(store);
  for (const event of events) await materializer.apply(event);
}

/** A seeded shuffle (mulberry32), so a failing order can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

function column(snapshot: Snapshot, userId: string, postId: string, name: string): number {
  const { candidates } = snapshot.users[userId]!;
  const row = POSTS.indexOf(postId);
  return candidates.values[row * candidates.names.length + candidates.names.indexOf(name)]!;
}

function userFeature(snapshot: Snapshot, userId: string, name: string): number {
  const { features } = snapshot.users[userId]!;
  return features.values[features.names.indexOf(name)]!;
}

/** Equal as served: values travel as float32, exact to about 7 significant digits. */
function close(actual: number, expected: number): void {
  assert.ok(
    Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected)),
    `${actual} ≉ ${expected}`,
  );
}

describe('FeatureMaterializer', () => {
  let expected: Snapshot;

  before(async () => {
    const store = new InMemoryFeatureStore(limits);
    await applyAll(store, sampleWorld());
    expected = await snapshotOf(store, USERS, POSTS, NOW);
  });

  it('materializes post counters, rates and attributes as computed by hand', () => {
    // u1 liked p1 at 1h and u2 at 4h; read at 18h with half-lives of 1 and 7 days.
    const likes1d = 2 ** (-17 / 24) + 2 ** (-14 / 24);
    close(column(expected, 'u1', 'p1', 'post.likes_1d'), likes1d);
    close(column(expected, 'u1', 'p1', 'post.likes_7d'), 2 ** (-17 / 168) + 2 ** (-14 / 168));
    const likes7d = 2 ** (-17 / 168) + 2 ** (-14 / 168);
    const impressions7d = 2 ** (-8 / 168) + 2 ** (-6 / 168);
    close(column(expected, 'u1', 'p1', 'post.like_rate_7d'), (likes7d + 1) / (impressions7d + 50));
    close(column(expected, 'u1', 'p1', 'post.age_hours'), 18 - 2_000 / HOUR);
    assert.equal(column(expected, 'u1', 'p1', 'post.tag_count'), 2);
    assert.equal(column(expected, 'u1', 'p1', 'post.text_length'), 5);
    assert.equal(column(expected, 'u1', 'p2', 'post.is_reblog'), 1);
    assert.equal(column(expected, 'u1', 'p2', 'post.deleted'), 1);
    assert.equal(column(expected, 'u1', 'p1', 'post.deleted'), 0);
  });

  it('scores a post full of links and stuffed tags as spam from its content alone', async () => {
    const store = new InMemoryFeatureStore(limits);
    const links = Array.from({ length: 6 }, (_, i) => `https://spam.example/${i}`).join(' ');
    await applyAll(store, [
      postCreated('s1', T0, {
        postId: 'p1',
        blogId: 'b1',
        text: `cheap pills ${links}`,
        tags: Array.from({ length: 40 }, (_, i) => `deal${i}`),
      }),
      postCreated('s2', T0, {
        postId: 'p3',
        blogId: 'b2',
        text: 'A long walk by the river this morning, the light on the water was lovely.',
        tags: ['walks', 'river'],
      }),
    ]);
    const snapshot = await snapshotOf(store, USERS, POSTS, NOW);
    assert.equal(column(snapshot, 'u1', 'p1', 'post.link_count'), 6);
    assert.ok(column(snapshot, 'u1', 'p1', 'post.spam_score') > 0.9);
    assert.equal(column(snapshot, 'u1', 'p3', 'post.link_count'), 0);
    assert.equal(column(snapshot, 'u1', 'p3', 'post.spam_score'), 0);
  });

  it('materializes blogs: followers net of unfollows, age, new creator, posting rate', () => {
    assert.equal(column(expected, 'u1', 'p1', 'blog.followers'), 2);
    assert.equal(column(expected, 'u1', 'p2', 'blog.followers'), 0);
    close(column(expected, 'u1', 'p1', 'blog.age_days'), 18 / 24);
    assert.equal(column(expected, 'u1', 'p1', 'blog.is_new_creator'), 1);
    // b1 posted p1 at 2 s and p3 at 14 h.
    close(
      column(expected, 'u1', 'p1', 'blog.posts_7d'),
      2 ** (-(NOW - T0 - 2_000) / (7 * DAY)) + 2 ** (-4 / 168),
    );
  });

  it('dates a blog created without an owner, which no user then owns, and refuses a malformed owner', async () => {
    // The gateway requires owner_user_id; an event appended to the log by other means may lack it.
    const store = new InMemoryFeatureStore(limits);
    const materializer = new FeatureMaterializer(store);
    await materializer.apply(blogCreated('e1', T0, 'b1'));
    await materializer.apply(postCreated('e2', T0 + HOUR, { postId: 'p1', blogId: 'b1' }));
    const snapshot = await snapshotOf(store, ['u1'], ['p1'], T0 + DAY);
    const { candidates } = snapshot.users['u1']!;
    const at = candidates.names.indexOf('blog.age_days');
    close(candidates.values[at]!, 1);
    assert.ok(!isMissing(candidates.missing, at));
    assert.equal(candidates.values[candidates.names.indexOf('blog.is_new_creator')], 1);
    assert.deepEqual((await store.readUser('', 10)).sets.owned_blogs, []);
    await assert.rejects(
      materializer.apply(blogCreated('e3', T0, 'b2', 'no spaces')),
      (error: unknown) =>
        error instanceof InvalidArgumentError && error.field === 'blog_created.owner_user_id',
    );
  });

  it('materializes what a user did to blogs and tags, a hide pushing them away', () => {
    assert.equal(column(expected, 'u1', 'p1', 'user_blog.follows'), 1);
    assert.equal(column(expected, 'u1', 'p2', 'user_blog.follows'), 0);
    // u1 liked (1) and reblogged (3) p1 of b1, tagged cats and art.
    const affinity = 2 ** (-17 / 720) + 3 * 2 ** (-16 / 720);
    close(column(expected, 'u1', 'p1', 'user_blog.affinity_30d'), affinity);
    close(column(expected, 'u1', 'p1', 'user_tag.affinity_sum'), 2 * affinity);
    close(column(expected, 'u1', 'p1', 'user_tag.affinity_max'), affinity);
    // u1 hid p2 of b2 (tag dogs).
    close(column(expected, 'u1', 'p2', 'user_blog.affinity_30d'), -4 * 2 ** (-15 / 720));
    close(column(expected, 'u1', 'p2', 'user_blog.hides_30d'), 2 ** (-15 / 720));
    close(column(expected, 'u1', 'p2', 'user_tag.affinity_max'), -4 * 2 ** (-15 / 720));
  });

  it('files a tag under one name whatever its case or leading #, as candidate generation does', async () => {
    const store = new InMemoryFeatureStore(limits);
    await applyAll(store, [
      postCreated('t1', T0, { postId: 'p1', blogId: 'b1', tags: ['#Cats', 'Art'] }),
      postCreated('t2', T0, { postId: 'p3', blogId: 'b2', tags: ['cats', 'CATS', ' #cats '] }),
      engaged('t3', T0 + HOUR, 'u1', 'p1', Kind.ENGAGEMENT_KIND_LIKE),
    ]);
    const snapshot = await snapshotOf(store, USERS, POSTS, NOW);
    // u1 liked p1 (#Cats, Art) at 1 h: p3's one tag, cats, is the same tag.
    assert.equal(column(snapshot, 'u1', 'p3', 'post.tag_count'), 1);
    close(column(snapshot, 'u1', 'p3', 'user_tag.affinity_max'), 2 ** (-17 / 720));
    assert.deepEqual(
      snapshot.users['u1']!.interests.map(({ name }) => name),
      ['art', 'cats', 'b1'],
    );
  });

  it('joins an engagement that arrived before its post once the post is created', () => {
    // u2 replied to p3 before p3's PostCreated was applied; p3 is b1's, tagged art.
    const like = 2 ** (-14 / 720);
    const reply = 2 * 2 ** (-3 / 720);
    close(column(expected, 'u2', 'p3', 'user_tag.affinity_sum'), like + reply);
    close(
      column(expected, 'u2', 'p3', 'user_blog.engagements_30d'),
      2 ** (-14 / 720) + 2 ** (-3 / 720),
    );
    // b1's posts received likes at 1 h and 4 h, a reblog at 2 h and the reply at 15 h.
    const received = [17, 16, 14, 3].reduce((sum, age) => sum + 2 ** (-age / 168), 0);
    close(column(expected, 'u2', 'p3', 'blog.engagements_7d'), received);
  });

  it("materializes a user's sets, counters, session and interests", () => {
    const u1 = expected.users['u1']!;
    assert.deepEqual(u1.sets, {
      served: ['p2', 'p1'],
      engaged: ['p1'],
      hidden: ['p2'],
      owned_blogs: [],
      following: ['b1'],
      blocked: ['b2'],
    });
    assert.deepEqual(expected.users['u9']!.sets.owned_blogs, ['b1']);
    assert.equal(u1.lastSessionAtMs, T0 + 13 * HOUR);
    assert.equal(userFeature(expected, 'u1', 'user.follows'), 1);
    close(userFeature(expected, 'u1', 'user.hours_since_last_session'), 5);
    close(userFeature(expected, 'u1', 'user.engagements_7d'), 2 ** (-17 / 168) + 2 ** (-16 / 168));
    close(userFeature(expected, 'u1', 'user.hides_30d'), 2 ** (-15 / 720));
    assert.deepEqual(
      u1.interests.map(({ kind, name }) => [kind, name]),
      [
        [1, 'art'],
        [1, 'cats'],
        [2, 'b1'],
      ],
    );
  });

  it('serves defaults flagged missing for a user and a post it never saw', () => {
    const stranger = expected.users['stranger']!;
    const { user } = featureSchema;
    assert.deepEqual(
      Array.from(stranger.features.values),
      user.map((f) => Math.fround(f.default)),
    );
    user.forEach((_, i) => assert.ok(isMissing(stranger.features.missing, i), user[i]!.name));
    const unknownRow = POSTS.indexOf('unknown');
    const width = stranger.candidates.names.length;
    for (let column = 0; column < width; column++) {
      assert.ok(isMissing(stranger.candidates.missing, unknownRow * width + column));
    }
    // A known post's own columns are not flagged, even for a stranger.
    assert.ok(!isMissing(stranger.candidates.missing, POSTS.indexOf('p1') * width));
  });

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`builds the same state when the events arrive shuffled (seed ${seed})`, async () => {
      const store = new InMemoryFeatureStore(limits);
      await applyAll(store, shuffled(sampleWorld(), seed));
      assertSameSnapshot(await snapshotOf(store, USERS, POSTS, NOW), expected);
    });
  }

  it('builds the same state in Redis as in memory, from a shuffled log', async () => {
    const prefix = uniquePrefix('fs-materializer');
    const redis = testRedis(prefix);
    try {
      const store = new RedisFeatureStore({ redis, prefix, ...limits });
      await applyAll(store, shuffled(sampleWorld(), 42));
      assertSameSnapshot(await snapshotOf(store, USERS, POSTS, NOW), expected);
    } finally {
      await redis.cleanup();
    }
  });

  it('counts a post once for its blog when its PostCreated is applied twice', async () => {
    const store = new InMemoryFeatureStore(limits);
    const created = postCreated('e1', T0, { postId: 'p1', blogId: 'b1', tags: ['art'] });
    const liked = engaged('e2', T0, 'u1', 'p1', Kind.ENGAGEMENT_KIND_LIKE);
    await applyAll(store, [liked, created, created]);
    const snapshot = await snapshotOf(store, ['u1'], ['p1'], T0);
    const names = snapshot.users['u1']!.candidates.names;
    const values = snapshot.users['u1']!.candidates.values;
    assert.equal(values[names.indexOf('blog.posts_7d')], 1);
    assert.equal(values[names.indexOf('blog.engagements_7d')], 1);
    assert.equal(values[names.indexOf('user_tag.affinity_sum')], 1);
  });

  it('rejects an event it cannot apply, naming the field', async () => {
    const materializer = new FeatureMaterializer(new InMemoryFeatureStore(limits));
    const cases: [eventsv1.Event, string][] = [
      [engaged('e1', T0, 'bad id', 'p1', Kind.ENGAGEMENT_KIND_LIKE), 'engagement.user_id'],
      [engaged('e2', T0, 'u1', 'p1', Kind.ENGAGEMENT_KIND_UNSPECIFIED), 'engagement.kind'],
      [engaged('e3', 0, 'u1', 'p1', Kind.ENGAGEMENT_KIND_LIKE), 'at_ms'],
      [{ eventId: 'e4', atMs: T0, payload: undefined }, 'payload'],
      [postCreated('e5', T0, { postId: 'p1', blogId: '' }), 'post_created.blog_id'],
      [served('e6', T0, 'u1', 'p2', 'bad id'), 'impression.reblog_of'],
    ];
    for (const [event, field] of cases) {
      await assert.rejects(
        materializer.apply(event),
        (error: unknown) => error instanceof InvalidArgumentError && error.field === field,
        field,
      );
    }
  });

  for (const size of [2, 5, 100]) {
    it(`builds the same state from batches of ${size} events, shuffled`, async () => {
      const store = new InMemoryFeatureStore(limits);
      await applyInBatches(store, shuffled(sampleWorld(), size), size);
      assertSameSnapshot(await snapshotOf(store, USERS, POSTS, NOW), expected);
    });
  }

  it('builds the same state in Redis from batches, shuffled', async () => {
    const prefix = uniquePrefix('fs-materializer');
    const redis = testRedis(prefix);
    try {
      const store = new RedisFeatureStore({ redis, prefix, ...limits });
      await applyInBatches(store, shuffled(sampleWorld(), 7), 4);
      assertSameSnapshot(await snapshotOf(store, USERS, POSTS, NOW), expected);
    } finally {
      await redis.cleanup();
    }
  });

  it('applies the events of a batch it can, reporting the others by index and field', async () => {
    const store = new InMemoryFeatureStore(limits);
    const materializer = new FeatureMaterializer(store);
    const events = sampleWorld();
    const bad = engaged('bad', T0, 'u1', 'p1', Kind.ENGAGEMENT_KIND_UNSPECIFIED);
    const failures = await materializer.applyBatch([
      ...events.slice(0, 3),
      bad,
      ...events.slice(3),
    ]);
    assert.deepEqual(
      failures.map(({ index, error }) => [index, (error as InvalidArgumentError).field]),
      [[3, 'engagement.kind']],
    );
    assertSameSnapshot(await snapshotOf(store, USERS, POSTS, NOW), expected);
  });

  describe('replaying the log twice through the consumer, in batches', () => {
    it('gives the same state through the in-memory log', async () => {
      const log = new InMemoryEventLog({ partitions: 4 });
      try {
        await replayTwice(log, new InMemoryFeatureStore(limits), expected);
      } finally {
        await log.close();
      }
    });

    it('gives the same state through Redis Streams into the Redis store', async () => {
      const prefix = uniquePrefix('fs-replay');
      const redis = testRedis(prefix);
      const log = new RedisStreamsEventLog({
        client: redis,
        prefix: `${prefix}:events`,
        partitions: 4,
      });
      try {
        await replayTwice(log, new RedisFeatureStore({ redis, prefix, ...limits }), expected);
      } finally {
        await log.close();
        await redis.cleanup();
      }
    });
  });
});

/**
 * A store whose first write waits for `beforeWrite`: another consumer's events applied
 * between this batch's prefetch and its write (a reclaimed entry on a Cluster, where a batch
 * is not one unit).
 */
class RacedStore implements FeatureStore {
  private raced = false;

  constructor(
    private readonly store: FeatureStore,
    private readonly beforeWrite: () => Promise<void>,
  ) {}

  prefetch: FeatureStore['prefetch'] = (request) => this.store.prefetch(request);
  readCandidates: FeatureStore['readCandidates'] = (userId, postIds) =>
    this.store.readCandidates(userId, postIds);
  readUser: FeatureStore['readUser'] = (userId, limit) => this.store.readUser(userId, limit);
  write: FeatureStore['write'] = async (plan) => {
    if (!this.raced) {
      this.raced = true;
      await this.beforeWrite();
    }
    return this.store.write(plan);
  };
}

/** Each store, with a way to let a blog's state expire while its followers' sets live on. */
const EXPIRING_STORES: {
  readonly name: string;
  open(): {
    store: FeatureStore;
    expireBlog(blogId: string): Promise<void>;
    dispose(): Promise<void>;
  };
}[] = [
  {
    name: 'in memory',
    open() {
      let wallClock = 0;
      return {
        store: new InMemoryFeatureStore({ ...limits, now: () => wallClock }),
        expireBlog: async () => {
          wallClock += ENTITIES.blog.ttlMs + 1;
        },
        dispose: async () => undefined,
      };
    },
  },
  {
    name: 'in Redis',
    open() {
      const prefix = uniquePrefix('fs-followers');
      const redis = testRedis(prefix);
      return {
        store: new RedisFeatureStore({ redis, prefix, ...limits }),
        expireBlog: async (blogId) => {
          await redis.del(new FeatureKeys(prefix).blog(blogId));
        },
        dispose: () => redis.cleanup(),
      };
    },
  },
];

for (const { name, open } of EXPIRING_STORES) {
  describe(`FeatureMaterializer: a blog's followers once its state expired (${name})`, () => {
    let fixture: ReturnType<typeof open>;
    const LATER = T0 + 200 * DAY;

    beforeEach(() => {
      fixture = open();
    });
    afterEach(() => fixture.dispose());

    /** blog.followers of b1, read through a post of it created now. */
    async function followers(): Promise<number> {
      const { store } = fixture;
      await new FeatureMaterializer(store).apply(
        postCreated('c1', LATER + HOUR, { postId: 'p1', blogId: 'b1' }),
      );
      const { blogs } = joinsById(await store.readCandidates(undefined, ['p1']));
      return LAYOUTS.blog.attributeValue(blogs.get('b1')!, 'followers');
    }

    it('counts 0, not -1, when a follower unfollows after the blog state expired', async () => {
      const materializer = new FeatureMaterializer(fixture.store);
      await materializer.apply(followed('f1', T0, 'u1', 'b1'));
      await fixture.expireBlog('b1');
      await materializer.apply(unfollowed('f2', LATER, 'u1', 'b1'));
      assert.equal(await followers(), 0);
    });

    it('counts the follow of a batch whose unfollow before it the floor absorbed, as one by one', async () => {
      const materializer = new FeatureMaterializer(fixture.store);
      await materializer.apply(followed('f1', T0, 'u1', 'b1'));
      await fixture.expireBlog('b1');
      const batch = [unfollowed('f2', LATER, 'u1', 'b1'), followed('f3', LATER + 1, 'u2', 'b1')];
      assert.deepEqual(await materializer.applyBatch(batch), []);
      assert.equal(await followers(), 1);
    });

    it('keeps the count at 0 when another consumer ends the same follow between its prefetch and its write', async () => {
      const { store } = fixture;
      await new FeatureMaterializer(store).apply(followed('f1', T0, 'u1', 'b1'));
      await fixture.expireBlog('b1');
      // This batch prefetches u1 following b1 and so plans -1 for b1; the other consumer's
      // later unfollow ends the follow first, leaving this one's nothing to change: the
      // correction makes up for the -1 planned, which the floor had already absorbed.
      const raced = new RacedStore(store, async () => {
        await new FeatureMaterializer(store).apply(unfollowed('f3', LATER + 1, 'u1', 'b1'));
      });
      await new FeatureMaterializer(raced).apply(unfollowed('f2', LATER, 'u1', 'b1'));
      assert.equal(await followers(), 0);
    });
  });
}

/** Each store, as the materializer writes it: per entity, or (a single Redis) as batch units. */
const REBLOG_STORES: {
  readonly name: string;
  open(): {
    store: FeatureStore;
    options?: FeatureMaterializerOptions;
    dispose(): Promise<void>;
  };
}[] = [
  {
    name: 'in memory',
    open: () => ({ store: new InMemoryFeatureStore(limits), dispose: async () => undefined }),
  },
  {
    name: 'in Redis',
    open() {
      const prefix = uniquePrefix('fs-roots');
      const redis = testRedis(prefix);
      return {
        store: new RedisFeatureStore({ redis, prefix, ...limits }),
        dispose: () => redis.cleanup(),
      };
    },
  },
  {
    name: 'in Redis, in batch units',
    open() {
      const prefix = uniquePrefix('fs-roots');
      const redis = testRedis(prefix);
      return {
        store: new RedisFeatureStore({ redis, prefix, ...limits }),
        options: {
          markerOf: (event) => ({ key: `${prefix}:done:${event.eventId}`, ttlMs: 60_000 }),
        },
        dispose: () => redis.cleanup(),
      };
    },
  },
];

for (const { name, open } of REBLOG_STORES) {
  describe(`FeatureMaterializer: the originals of reblogs served or engaged with (${name})`, () => {
    let fixture: ReturnType<typeof open>;
    // R reblogs X (X is b1's original, R is b2's reblog of it).
    const reblogCreated = postCreated('c-r', T0, { postId: 'R', blogId: 'b2', reblogOf: 'X' });
    const like = engaged('like-r', T0 + HOUR, 'u1', 'R', Kind.ENGAGEMENT_KIND_LIKE);

    beforeEach(() => {
      fixture = open();
    });
    afterEach(() => fixture.dispose());

    const materializer = () => new FeatureMaterializer(fixture.store, fixture.options);

    async function apply(...events: eventsv1.Event[]): Promise<void> {
      const m = materializer();
      for (const event of events) assert.deepEqual(await m.applyBatch([event]), []);
    }

    /** The user's sets, each sorted (ids touched at one time have no order between them). */
    async function setsOf(userId: string): Promise<Record<string, string[]>> {
      const { sets } = await fixture.store.readUser(userId, 100);
      return Object.fromEntries(Object.entries(sets).map(([set, ids]) => [set, [...ids].sort()]));
    }

    it('puts the original of a reblog served in the served list beside the reblog', async () => {
      await apply(served('i1', T0, 'u1', 'R', 'X'));
      assert.deepEqual((await setsOf('u1')).served, ['R', 'X']);
    });

    it('puts only the post served in the list for an impression without reblog_of (logged before the field)', async () => {
      await apply(served('i1', T0, 'u1', 'R'), served('i2', T0, 'u1', 'Y', ''));
      assert.deepEqual((await setsOf('u1')).served, ['R', 'Y']);
    });

    it('puts the original of a reblog liked in the engaged list, its PostCreated known', async () => {
      await apply(reblogCreated, like);
      assert.deepEqual((await setsOf('u1')).engaged, ['R', 'X']);
    });

    it('puts the original of a reblog liked in the engaged list once its PostCreated joins the parked like', async () => {
      await apply(like);
      assert.deepEqual((await setsOf('u1')).engaged, ['R']);
      await apply(reblogCreated);
      assert.deepEqual((await setsOf('u1')).engaged, ['R', 'X']);
    });

    it('puts the original of a reblog liked in the engaged list when one batch holds the like and, after it, the PostCreated', async () => {
      assert.deepEqual(await materializer().applyBatch([like, reblogCreated]), []);
      assert.deepEqual((await setsOf('u1')).engaged, ['R', 'X']);
    });

    it('hides a reblog alone: its original is neither hidden nor engaged with', async () => {
      await apply(
        reblogCreated,
        engaged('hide-r', T0 + HOUR, 'u1', 'R', Kind.ENGAGEMENT_KIND_HIDE),
      );
      const sets = await setsOf('u1');
      assert.deepEqual(sets.hidden, ['R']);
      assert.deepEqual(sets.engaged, []);
    });
  });
}

describe('FeatureMaterializer: a reblog liked while another consumer creates it', () => {
  it("puts the original in the engaged list when the reblog's PostCreated lands between the like's prefetch and its write", async () => {
    const store = new InMemoryFeatureStore(limits);
    const raced = new RacedStore(store, async () => {
      await new FeatureMaterializer(store).apply(
        postCreated('c-r', T0, { postId: 'R', blogId: 'b2', reblogOf: 'X' }),
      );
    });
    await new FeatureMaterializer(raced).apply(
      engaged('like-r', T0 + HOUR, 'u1', 'R', Kind.ENGAGEMENT_KIND_LIKE),
    );
    const { sets } = await store.readUser('u1', 100);
    assert.deepEqual([...sets.engaged].sort(), ['R', 'X']);
  });
});

for (const { name, open } of REBLOG_STORES) {
  describe(`FeatureMaterializer: a post created again while another consumer creates it (${name})`, () => {
    // P created on b2 by W; another consumer stores S (on b3) between W's prefetch and its
    // write; in two cases C (on b1) had created P before. The earliest of them wins, and each
    // blog counts P only if its creation did: as if the three had come one at a time.
    const setting = [
      blogCreated('s1', T0, 'b1'),
      blogCreated('s2', T0 + 1, 'b2'),
      blogCreated('s3', T0 + 2, 'b3'),
      postCreated('s4', T0 + 10, { postId: 'q1', blogId: 'b1' }),
      postCreated('s5', T0 + 11, { postId: 'q2', blogId: 'b2' }),
      postCreated('s6', T0 + 12, { postId: 'q3', blogId: 'b3' }),
    ];
    const created = (id: string, at: number, blogId: string) =>
      postCreated(id, T0 + at, { postId: 'P', blogId, tags: [blogId], text: id });
    const C = created('x-c', 3_000, 'b1');
    const W = created('x-w', 1_000, 'b2');
    const cases = [
      {
        title: 'an earlier one, P unknown before',
        before: [],
        meanwhile: created('x-s', 500, 'b3'),
      },
      {
        title: 'a later one, P unknown before',
        before: [],
        meanwhile: created('x-s', 2_000, 'b3'),
      },
      { title: 'a later one replacing C', before: [C], meanwhile: created('x-s', 2_000, 'b3') },
      { title: 'an earlier one replacing C', before: [C], meanwhile: created('x-s', 500, 'b3') },
    ];
    const NOW_P = T0 + HOUR;
    const served = (store: FeatureStore) =>
      snapshotOf(store, ['u1'], ['P', 'q1', 'q2', 'q3'], NOW_P);

    for (const { title, before, meanwhile } of cases) {
      it(`counts P for the earliest creation's blog alone when the other stores ${title}`, async () => {
        const fixture = open();
        try {
          const { store, options } = fixture;
          const materializer = new FeatureMaterializer(store, options);
          for (const event of [...setting, ...before]) await materializer.apply(event);
          const raced = new RacedStore(store, async () => {
            await new FeatureMaterializer(store, options).apply(meanwhile);
          });
          await new FeatureMaterializer(raced, options).apply(W);
          const expected = new InMemoryFeatureStore(limits);
          await applyAll(expected, [...setting, ...before, meanwhile, W]);
          assertSameSnapshot(await served(store), await served(expected));
        } finally {
          await fixture.dispose();
        }
      });
    }
  });
}
