import { randomUUID } from 'node:crypto';
import { UnavailableError } from '@feedmesh/errors';
import type { RedisClient } from '@feedmesh/service-kit';
import {
  ENTITIES,
  PARKED_ENGAGEMENT_TTL_MS,
  PARKED_ENGAGEMENTS_CAP,
  RELATION_CAP,
  RELATION_TOMBSTONE_MS,
  USER_SETS,
  type EntityKind,
  type Relation,
  type UserSet,
} from './feature-registry.js';
import {
  COUNTED_TTL_MS,
  countedKey,
  type BatchUnit,
  type BatchUnitOptions,
  type BlogWrite,
  type CandidateStates,
  type CountingEntity,
  type EntityWrite,
  type EventMarker,
  type FeatureStore,
  type JoinedAtCreation,
  type ParkedEngagement,
  type PostMeta,
  type PostWrite,
  type PostWritten,
  type Prefetched,
  type PrefetchRequest,
  type RelationRead,
  type StoreLimits,
  type StoredCreation,
  type TouchedSet,
  type UserStates,
  type UserWrite,
  type WriteOutcome,
  type WritePlan,
} from './feature-store.js';
import { PostBatch, type JoinSlots } from './post-batch.js';
import {
  decodeCreation,
  decodeMeta,
  encodeMeta,
  PostMetaCache,
  HeldValue,
  type JoinNumbers,
  type MetaGeneration,
} from './post-meta.js';
import { FeatureKeys } from './redis-keys.js';
import {
  defineScripts,
  queueScript,
  type ScriptArgument,
  type ScriptName,
} from './redis-scripts.js';
import { NearCacheEntry, type TrackedNearCache } from './near-cache.js';
import { ScriptProgram } from './script-program.js';
import { groupBy, SlotBatch, type Reply } from './slot-batch.js';
import { EntityDelta } from './state-delta.js';
import { LAYOUTS, type StateLayout } from './state-layout.js';

export interface RedisFeatureStoreOptions extends StoreLimits {
  /** A client the caller owns (the runtime's); the store defines its scripts on it. */
  readonly redis: RedisClient;
  /** REDIS_PREFIX; the store writes under `<prefix>:fs`. */
  readonly prefix: string;
  /** Post metas remembered in process (see `PostMetaCache`). Default 200,000. */
  readonly metaCacheSize?: number;
  /**
   * How long an entity remembers an event it counted (see `EntityWrite`). Default 7 days; 0
   * keeps no markers (a batch delivered again may count twice).
   */
  readonly countedTtlMs?: number;
  /**
   * Post and blog values kept in process until Redis says they changed (a single Redis
   * only): GetFeatures then reads from Redis only what changed since it last read it.
   */
  readonly nearCache?: TrackedNearCache;
}

const RELATION_SETS: readonly UserSet[] = ['following', 'blocked'];
/** The order the user script numbers sets and relations in. */
const TOUCHED_SETS: readonly TouchedSet[] = ['served', 'engaged', 'hidden', 'owned_blogs'];
const RELATIONS: readonly Relation[] = ['following', 'blocked'];
/**
 * Entities per script call. A call runs atomically, so it holds Redis for its whole length:
 * these keep one call to about a millisecond.
 */
const POSTS_PER_CALL = 200;
const USERS_PER_CALL = 100;
const CELLS_PER_CALL = 300;

/** CLAIM's reply when it set the markers (see redis-scripts.ts for the others). */
const CLAIMED = 1;

/** What a batch unit's prefetch read that its writes depend on. */
interface UnitReads {
  /** Posts it found without a meta. */
  readonly unmade: ReadonlySet<string>;
  /** By post it read the parked list of: the list's length and last entry. */
  readonly parked: ReadonlyMap<string, ParkedTail>;
}

interface ParkedTail {
  readonly length: number;
  readonly last: string;
}

const PARKED_STATUS = { none: 0, created: 1, existed: 2, hasMeta: 3, replaced: 4 } as const;

/** A creation's attributes when it has none: an empty delta blob. */
const NO_ATTRIBUTES = new EntityDelta(LAYOUTS.post);

/** Reads that find metas replaced by another process start over, at most this often. */
const READ_ATTEMPTS = 3;

/** A batch unit's veto key outlives its transaction only if the DEL after it is lost. */
const VETO_TTL_MS = 60_000;
/**
 * A batch unit's write that another follows leaves a `landed` key for it (the follower
 * deletes it): it has to outlive the follower's planning, a fraction of a second.
 */
const LANDED_TTL_MS = 60_000;

export class RedisFeatureStore implements FeatureStore {
  private readonly redis: RedisClient;
  private readonly keys: FeatureKeys;
  private readonly metas: PostMetaCache;
  /**
   * The count of post metas replaced (`FeatureKeys.metaReplacements`) as this process last read
   * it: when it moves, some cached meta may be stale, and the cache starts afresh.
   */
  private replacementsSeen: string | undefined;
  private readonly postKey = (postId: string) => this.keys.post(postId);
  constructor(private readonly options: RedisFeatureStoreOptions) {
    this.redis = options.redis;
    this.keys = new FeatureKeys(options.prefix);
    this.metas = new PostMetaCache(options.metaCacheSize ?? 200_000);
    defineScripts(this.redis);
  }

  /** One round trip: the posts' values (metas not cached), parked lists, relation scores. */
  async prefetch(request: PrefetchRequest): Promise<Prefetched> {
    for (let attempt = 1; ; attempt++) {
      const batch = new SlotBatch(this.redis);
      const decode = this.queuePrefetch(batch, request);
      const replies = await batch.exec('feature-store.prefetch');
      const prefetched = decode(replies);
      if (!prefetched.stale || attempt === READ_ATTEMPTS) return prefetched;
    }
  }

  /**
   * Reads the count of replaced metas with a round trip's other replies; true when it moved
   * since this process last read it, and the cached metas the round trip used may be stale
   * (they are forgotten: the caller reads again). Reading it before the values of the same
   * round trip is not needed: a replacement lands before the count moves.
   */
  private queueReplacements(batch: SlotBatch): (replies: readonly unknown[]) => boolean {
    const key = this.keys.metaReplacements();
    const count = batch.add(key, (pipeline) => pipeline.get(key));
    return (replies) => {
      const now = (count(replies) as string | null) ?? '0';
      if (now === this.replacementsSeen) return false;
      const stale = this.replacementsSeen !== undefined || this.metas.size > 0;
      this.replacementsSeen = now;
      if (stale) this.metas.clear();
      return stale;
    };
  }

  /** After a write that replaced some post's meta: other processes forget what they cached. */
  private async countReplacements(outcome: WriteOutcome): Promise<void> {
    if (![...outcome.posts.values()].some((written) => written.replaced === true)) return;
    await this.redis.incr(this.keys.metaReplacements());
  }

  /**
   * A batch's prefetch and writes as one unit (a single Redis): each write is one MULTI/EXEC
   * whose first command (see CLAIM) checks that what the plan read still holds and sets the
   * markers, or vetoes every script queued after it. See `BatchUnit`.
   */
  batchUnit(markers: readonly EventMarker[], options: BatchUnitOptions): BatchUnit | undefined {
    return this.redis.isCluster ? undefined : this.openUnit(markers, options);
  }

  private openUnit(markers: readonly EventMarker[], { readMarkers }: BatchUnitOptions): BatchUnit {
    /** What the prefetch read that a write's outcome depends on (see `readGuard`). */
    let reads: UnitReads = { unmade: new Set(), parked: new Map() };
    return {
      assumeParked: (parked) => {
        const tails = new Map(reads.parked);
        for (const [postId, engagements] of parked) {
          if (engagements.length === 0) continue;
          const tail = tails.get(postId) ?? { length: 0, last: '' };
          tails.set(postId, {
            length: tail.length + engagements.length,
            last: encodeParked(engagements.at(-1)!),
          });
        }
        reads = { ...reads, parked: tails };
      },
      prefetch: async (request) => {
        let batch: SlotBatch;
        let marks: (replies: readonly unknown[]) => unknown[];
        let replies: unknown[];
        let prefetched: ReturnType<ReturnType<RedisFeatureStore['queuePrefetch']>>;
        for (let attempt = 1; ; attempt++) {
          batch = new SlotBatch(this.redis);
          marks = readMarkers ? batch.mget(markers.map((marker) => marker.key)) : () => [];
          const decode = this.queuePrefetch(batch, request);
          replies = await batch.exec('feature-store.prefetch');
          prefetched = decode(replies);
          if (!prefetched.stale || attempt === READ_ATTEMPTS) break;
        }
        reads = {
          unmade: new Set(request.metas.filter((postId) => !prefetched.metas.has(postId))),
          parked: prefetched.parkedTails,
        };
        const set = marks(replies);
        const applied = new Set(
          markers.filter((_, i) => (set[i] ?? null) !== null).map((marker) => marker.eventId),
        );
        return { ...prefetched, applied };
      },
      write: async (plan, { markers: claiming, relations, leaves, after }) => {
        const batch = new SlotBatch(this.redis);
        const veto = this.keys.veto(randomUUID());
        const claimed = this.queueCall(
          batch,
          'featureStoreClaim',
          [veto, ...claiming.map((marker) => marker.key)],
          [
            VETO_TTL_MS,
            leaves === undefined ? '' : this.keys.landed(leaves),
            LANDED_TTL_MS,
            after === undefined ? '' : this.keys.landed(after),
            this.readGuard(plan, reads, relations),
            ...claiming.map((marker) => marker.ttlMs),
          ],
        );
        const calls = this.queueWrite(batch, plan, veto);
        batch.add(veto, (pipeline) => pipeline.del(veto));
        let replies: unknown[] | undefined;
        try {
          replies = await batch.execAtomically('feature-store.write');
        } finally {
          this.forgetWritten(plan);
        }
        if (replies === undefined || claimed(replies) !== CLAIMED) return refusedOutcome(plan);
        const outcome = this.outcomeOf(calls, replies);
        await this.countReplacements(outcome);
        return outcome;
      },
    };
  }

  /**
   * The CLAIM script's read guard for a unit's write: the posts the plan found without a meta
   * (it parks with them, or creates them) still have none; the parked lists of those it
   * creates still end with what the prefetch read; each relation it read has the score it
   * planned on.
   */
  private readGuard(plan: WritePlan, reads: UnitReads, relations: readonly RelationRead[]): Buffer {
    const program = new ScriptProgram(256);
    const unmade = plan.posts.filter(
      (write) =>
        ((write.create !== undefined && write.create.replacing === undefined) ||
          write.park.length > 0) &&
        reads.unmade.has(write.postId),
    );
    program.u16(unmade.length);
    for (const { postId } of unmade) program.str(this.keys.post(postId));
    const created = plan.posts.filter((write) => write.create !== undefined);
    program.u16(created.length);
    for (const { postId } of created) {
      const tail = reads.parked.get(postId) ?? { length: 0, last: '' };
      program.str(this.keys.parkedEngagements(postId)).f64(tail.length).str(tail.last);
    }
    program.u16(relations.length);
    for (const { userId, relation, blogId, score } of relations) {
      program
        .str(this.keys.userSet(userId, relation))
        .str(blogId)
        .f64(score ?? Number.NaN);
    }
    const replacing = plan.posts.flatMap(({ postId, create }) =>
      create?.replacing === undefined ? [] : [{ postId, replacing: create.replacing }],
    );
    program.u16(replacing.length);
    for (const {
      postId,
      replacing: { meta, creator },
    } of replacing) {
      program.str(this.keys.post(postId)).str(encodeMeta(meta, creator));
    }
    return program.toBuffer();
  }

  /**
   * Queues the prefetch's reads; the function it returns decodes them (and caches the metas
   * it finds).
   */
  private queuePrefetch(
    batch: SlotBatch,
    request: PrefetchRequest,
  ): (replies: readonly unknown[]) => Prefetched & {
    readonly metas: Map<string, PostMeta>;
    readonly parkedTails: Map<string, ParkedTail>;
    /** Some cached meta it used may have been replaced meanwhile: read again. */
    readonly stale: boolean;
  } {
    const metas = new Map<string, PostMeta>();
    const replacementsMoved = this.queueReplacements(batch);
    // The posts created in the batch are read whatever is cached: their creator decides.
    const creationIds = request.creations ?? [];
    const reading = new Set(creationIds);
    const uncached = request.metas.filter((postId) => {
      if (reading.has(postId)) return false;
      const cached = this.metas.get(postId);
      if (cached !== undefined) metas.set(postId, cached);
      return cached === undefined;
    });
    const values = batch.mget(uncached.map((postId) => this.keys.post(postId)));
    const creationValues = batch.mget(creationIds.map((postId) => this.keys.post(postId)));
    const parkedReplies = request.parked.map((postId) => {
      const key = this.keys.parkedEngagements(postId);
      return batch.add(key, (pipeline) => pipeline.lrange(key, 0, -1));
    });
    const byMembers = groupBy(request.relations.length, (i) => {
      const { userId, relation } = request.relations[i]!;
      return this.keys.userSet(userId, relation);
    });
    const scoreReplies = [...byMembers].map(([key, indexes]) => ({
      indexes,
      reply: batch.add(key, (pipeline) =>
        pipeline.zmscore(key, ...indexes.map((i) => request.relations[i]!.blogId)),
      ),
    }));
    const joinedReplies = (request.joined ?? []).map((postId) => {
      const key = this.keys.joinedEngagements(postId);
      return batch.add(key, (pipeline) => pipeline.lrange(key, 0, -1));
    });
    const countedReplies = (request.counted ?? []).map(({ entity, id, eventId }) => {
      const key = this.keys.counted(entity, id, eventId);
      return batch.add(key, (pipeline) => pipeline.get(key));
    });
    return (replies) => {
      const stale = replacementsMoved(replies);
      const got = values(replies);
      uncached.forEach((postId, i) => {
        const meta = metaOfValue(got[i]);
        if (meta === undefined) return;
        metas.set(postId, meta);
        this.metas.set(postId, meta);
      });
      const creations = new Map<string, StoredCreation>();
      const gotCreations = creationValues(replies);
      creationIds.forEach((postId, i) => {
        const creation = creationOfValue(gotCreations[i]);
        if (creation === undefined) return;
        creations.set(postId, creation);
        metas.set(postId, creation.meta);
        this.cacheMeta(postId, creation.meta);
      });
      const parked = new Map<string, ParkedEngagement[]>();
      const parkedTails = new Map<string, ParkedTail>();
      request.parked.forEach((postId, i) => {
        const raw = parkedReplies[i]!(replies) as string[];
        if (raw.length > 0) parkedTails.set(postId, { length: raw.length, last: raw.at(-1)! });
        const entries = raw.flatMap(decodeParked);
        if (entries.length > 0) parked.set(postId, entries);
      });
      const relationScores = new Array<number | undefined>(request.relations.length);
      for (const { indexes, reply } of scoreReplies) {
        const scores = reply(replies) as (string | null)[];
        indexes.forEach((index, i) => {
          const score = scores[i];
          relationScores[index] = score === null || score === undefined ? undefined : Number(score);
        });
      }
      // '1', or `c<change>` for a relation event on its user (see UPDATE_USERS).
      const marks = countedReplies.map((reply) => reply(replies) as string | null);
      const counted = marks.map((mark) => mark !== null);
      const relationChanges = marks.map((mark) =>
        mark?.startsWith('c') ? Number(mark.slice(1)) : undefined,
      );
      const joined = new Map<string, JoinedAtCreation>();
      (request.joined ?? []).forEach((postId, i) => {
        const [creator, ...entries] = joinedReplies[i]!(replies) as string[];
        if (creator === undefined) return;
        // A creation that replaced another keeps the replaced meta (a JSON array) there.
        const replaced = entries.map(decodeCreation).find((made) => made !== undefined);
        joined.set(postId, {
          creator,
          engagements: entries.flatMap(decodeParked),
          ...(replaced === undefined ? {} : { replaced }),
        });
      });
      return {
        metas,
        parked,
        parkedTails,
        relationScores,
        counted,
        relationChanges,
        joined,
        creations,
        stale,
      };
    };
  }

  /** Caches a meta read from Redis, in place of a cached one it differs from. */
  private cacheMeta(postId: string, meta: PostMeta): void {
    const cached = this.metas.get(postId);
    if (cached === undefined) this.metas.set(postId, meta);
    else if (encodeMeta(cached) !== encodeMeta(meta)) this.metas.replace(postId, meta);
  }

  async write(plan: WritePlan): Promise<WriteOutcome> {
    const batch = new SlotBatch(this.redis);
    const calls = this.queueWrite(batch, plan);
    let replies: unknown[];
    try {
      replies = await batch.exec('feature-store.write');
    } finally {
      this.forgetWritten(plan);
    }
    const outcome = this.outcomeOf(calls, replies);
    await this.countReplacements(outcome);
    return outcome;
  }

  /**
   * One script call per entity kind (per slot on a Cluster), guarded by the entities' markers,
   * or for a batch unit by its veto key (see CLAIM).
   */
  private queueWrite(batch: SlotBatch, plan: WritePlan, veto?: string): QueuedWrite {
    return {
      blogs: this.queueBlogs(batch, plan.blogs, veto),
      users: this.queueUsers(batch, plan.users, veto),
      posts: this.queuePosts(batch, plan.posts, veto),
    };
  }

  /** Landed or not, this process reads what it wrote next (see TrackedNearCache.forget). */
  private forgetWritten(plan: WritePlan): void {
    this.options.nearCache?.forget([
      ...plan.posts.map((write) => this.keys.post(write.postId)),
      ...plan.blogs.map((write) => this.keys.blog(write.blogId)),
    ]);
  }

  private outcomeOf(
    { blogs, users, posts }: QueuedWrite,
    replies: readonly unknown[],
  ): WriteOutcome {
    // A call that met an event counted already wrote none of its entities (see COUNTED).
    const unwritten = new Set<string>();
    const conflicted = <W>(
      entity: CountingEntity,
      calls: readonly { writes: readonly W[]; reply: Reply<unknown> }[],
      idOf: (write: W) => string,
    ) =>
      calls.filter(({ writes, reply }) => {
        if (reply(replies) !== null) return true;
        for (const write of writes) unwritten.add(countedKey(entity, idOf(write)));
        return false;
      });
    const writtenBlogs = conflicted('blog', blogs, (w) => w.blogId);
    const writtenUsers = conflicted('user', users, (w) => w.userId);
    const writtenPosts = conflicted('post', posts, (w) => w.postId);

    const relationDeltas = new Map<string, readonly number[]>();
    for (const { writes, reply } of writtenUsers) {
      const perUser = reply(replies) as number[][];
      writes.forEach((write, i) =>
        relationDeltas.set(write.userId, (perUser[i] ?? []).map(Number)),
      );
    }
    const written = new Map<string, PostWritten>();
    for (const { writes, reply } of writtenPosts) {
      const perPost = reply(replies) as [number, string, ...string[]][];
      writes.forEach((write, i) => {
        const [status, meta, ...since] = perPost[i] ?? [PARKED_STATUS.none, ''];
        written.set(write.postId, this.postWritten(write, Number(status), meta, since));
      });
    }
    const followersBefore = new Map<string, number>();
    const followersCell = LAYOUTS.blog.attribute('followers').cell;
    for (const { writes, reply } of writtenBlogs) {
      // Per blog: (cell, value before) of each attribute with a floor it moved.
      const perBlog = reply(replies) as (number | string)[][];
      writes.forEach((write, i) => {
        const floors = perBlog[i] ?? [];
        for (let j = 0; j + 1 < floors.length; j += 2) {
          if (Number(floors[j]) === followersCell) {
            followersBefore.set(write.blogId, Number(floors[j + 1]));
          }
        }
      });
    }
    return {
      conflicts: unwritten.size > 0,
      unwritten,
      posts: written,
      relationDeltas,
      followersBefore,
    };
  }

  /**
   * One round trip when the posts' metas are cached (the posts, their blogs and the user's
   * state with them, pipelined); a second for the blogs and tags of posts met for the first
   * time. Each entity kind is one MGET (one per slot on a Cluster).
   */
  async readCandidates(
    userId: string | undefined,
    postIds: readonly string[],
  ): Promise<CandidateStates> {
    for (let attempt = 1; ; attempt++) {
      const states = await this.readCandidatesOnce(userId, postIds, attempt < READ_ATTEMPTS);
      if (states !== undefined) return states;
    }
  }

  /** Undefined when `retry` and a meta it used from the cache may have been replaced. */
  private async readCandidatesOnce(
    userId: string | undefined,
    postIds: readonly string[],
    retry: boolean,
  ): Promise<CandidateStates | undefined> {
    const { nearCache } = this.options;
    const joins = new CandidateJoinReads(this.redis, this.keys, userId, postIds.length, nearCache);
    const replacementsMoved = this.queueReplacements(joins.batch);
    const metas: (PostMeta | undefined)[] = new Array(postIds.length);
    const generation = this.metas.current;
    const { cellCount } = LAYOUTS.post;
    const cells = new Float64Array(postIds.length * cellCount);
    const offsets = new Int32Array(postIds.length).fill(-1);
    let used = 0;
    // Posts whose values are not at hand: read from Redis (through the near cache if any).
    const unread: number[] = [];
    const unreadKeys: string[] = [];
    for (let i = 0; i < postIds.length; i++) {
      const postId = postIds[i]!;
      const offset = generation.offsetOf(postId);
      if (offset < 0) {
        unread.push(i);
        unreadKeys.push(this.keys.post(postId));
        continue;
      }
      metas[i] = generation.metaAt(offset);
      joins.place(i, generation, offset);
      const held = generation.heldAt(offset);
      if (held === HeldValue.None) {
        unread.push(i);
        unreadKeys.push(generation.keyAt(offset, postId, this.postKey));
      } else if (held === HeldValue.Missing) {
        // An expired post's meta is no longer a fact about it.
        metas[i] = undefined;
        joins.unplace(i);
      } else if (held === HeldValue.Cells) {
        generation.copyCellsAt(offset, cells, used);
        offsets[i] = used;
        used += cellCount;
      }
    }
    const cachedPosts =
      nearCache === undefined || unread.length === 0
        ? undefined
        : cachedRead(nearCache, unreadKeys);
    const postValues =
      nearCache === undefined && unread.length > 0 ? joins.batch.mget(unreadKeys) : undefined;
    const firstReplies = await joins.send('feature-store.read-candidates');

    const entries =
      cachedPosts !== undefined
        ? await cachedPosts
        : (postValues?.(firstReplies) ?? []).map((value) => new NearCacheEntry(value, false));
    if (replacementsMoved(firstReplies) && retry) return undefined;
    for (let j = 0; j < unread.length; j++) {
      const i = unread[j]!;
      const entry = entries[j]!;
      const { value } = entry;
      if (value === null || value.length < 4) {
        // Held as missing too: the next read knows without asking, until the key is written.
        if (value === null && metas[i] !== undefined) this.holdPost(postIds[i]!, entry, null);
        metas[i] = undefined;
        joins.unplace(i);
        continue;
      }
      if (metas[i] === undefined) {
        const meta = metaOfValue(value);
        if (meta !== undefined) {
          metas[i] = meta;
          const offset = this.metas.set(postIds[i]!, meta);
          if (offset >= 0) joins.place(i, this.metas.current, offset);
          else joins.placeUncached(i, meta);
        }
      }
      if (entry.decoded === undefined) entry.decoded = decodePostCells(value) ?? null;
      if (metas[i] !== undefined) this.holdPost(postIds[i]!, entry, entry.decoded);
      if (entry.decoded === null) continue;
      cells.set(entry.decoded, used);
      offsets[i] = used;
      used += cellCount;
    }
    // The blogs and tags of posts met for the first time, and the user's state with the
    // blogs and tags those posts brought.
    while (joins.hasUnsent) await joins.send('feature-store.read-candidate-joins');
    return {
      posts: new PostBatch(postIds, cells, offsets, metas, joins.slots()),
      ...joins.states(),
    };
  }

  /** Holds a post's value read through the near cache (see `MetaGeneration.hold`). */
  private holdPost(postId: string, entry: NearCacheEntry, cells: Float64Array | null): void {
    const generation = this.metas.current;
    const offset = generation.offsetOf(postId);
    if (offset >= 0) generation.hold(offset, entry, cells);
  }

  /** Two round trips in the user's slot: state, sets and indexes, then the indexed states. */
  async readUser(userId: string, limit: number): Promise<UserStates> {
    const { interestCap } = this.options;
    const first = new SlotBatch(this.redis);
    const state = first.add(this.keys.user(userId), (p) => p.getBuffer(this.keys.user(userId)));
    const sets = (Object.keys(USER_SETS) as UserSet[]).map((set) => {
      const key = this.keys.userSet(userId, set);
      return {
        set,
        reply: first.add(key, (p) =>
          RELATION_SETS.includes(set)
            ? p.zrevrangebyscore(key, '+inf', '(0', 'LIMIT', 0, limit)
            : p.zrevrange(key, 0, limit - 1),
        ),
      };
    });
    const tagIndex = this.keys.interestIndex(userId, 'tags');
    const blogIndex = this.keys.interestIndex(userId, 'blogs');
    const tagNames = first.add(tagIndex, (p) => p.zrevrange(tagIndex, 0, interestCap - 1));
    const blogNames = first.add(blogIndex, (p) => p.zrevrange(blogIndex, 0, interestCap - 1));
    const replies = await first.exec('feature-store.read-user');

    const tags = tagNames(replies) as string[];
    const blogs = blogNames(replies) as string[];
    const second = new SlotBatch(this.redis);
    const tagStates = second.mget(tags.map((tag) => this.keys.userTagState(userId, tag)));
    const blogStates = second.mget(blogs.map((blogId) => this.keys.userBlog(userId, blogId)));
    const stateReplies = await second.exec('feature-store.read-interests');
    const decodedTags = decodeAll(tags, tagStates(stateReplies), LAYOUTS.user_tag);
    const decodedBlogs = decodeAll(blogs, blogStates(stateReplies), LAYOUTS.user_blog);
    return {
      state: LAYOUTS.user.decode(state(replies) as Buffer | null),
      sets: Object.fromEntries(sets.map(({ set, reply }) => [set, reply(replies)])) as Record<
        UserSet,
        string[]
      >,
      tags: [...decodedTags].map(([tag, cells]) => ({ tag, state: cells })),
      blogs: [...decodedBlogs].map(([blogId, cells]) => ({ blogId, state: cells })),
    };
  }

  private postWritten(
    write: PostWrite,
    status: number,
    meta: string,
    since: readonly string[],
  ): PostWritten {
    const won = status === PARKED_STATUS.created || status === PARKED_STATUS.replaced;
    if (write.create !== undefined && won) this.cacheMeta(write.postId, write.create.meta);
    const found =
      status === PARKED_STATUS.existed || status === PARKED_STATUS.replaced
        ? decodeCreation(meta)
        : undefined;
    if (found !== undefined && !won) this.cacheMeta(write.postId, found.meta);
    const stored = status === PARKED_STATUS.hasMeta ? decodeMeta(meta) : undefined;
    if (stored !== undefined) this.cacheMeta(write.postId, stored);
    return {
      ...(write.create === undefined ? {} : { created: won }),
      ...(found === undefined ? {} : { found }),
      ...(status === PARKED_STATUS.replaced ? { replaced: true } : {}),
      parkedSince: since.flatMap(decodeParked),
      ...(stored === undefined ? {} : { meta: stored }),
    };
  }

  private queueBlogs(
    batch: SlotBatch,
    writes: readonly BlogWrite[],
    veto: string | undefined,
  ): { writes: readonly BlogWrite[]; reply: Reply<unknown> }[] {
    const layout = LAYOUTS.blog;
    return chunksBySlot(batch, writes, (w) => this.keys.blog(w.blogId), CELLS_PER_CALL).map(
      (chunk) => {
        const program = new ScriptProgram();
        for (const { delta } of chunk) writeDelta(program, delta);
        const keys = chunk.map((w) => this.keys.blog(w.blogId));
        const args: ScriptArgument[] = [
          layout.descriptorBytes,
          layout.templateBytes,
          layout.ttlMs,
          program.toBuffer(),
          ...this.guard(chunk, veto),
        ];
        return { writes: chunk, reply: this.queueCall(batch, 'featureStoreCells', keys, args) };
      },
    );
  }

  /**
   * The COUNTED arguments of a call: each entity's events, the markers' ttl, and the veto key;
   * for a batch unit's write (`veto` given) no markers, as it lands whole with the log's.
   */
  private guard(writes: readonly EntityWrite[], veto: string | undefined): ScriptArgument[] {
    if (veto !== undefined) return ['', 0, veto];
    const ttl = this.options.countedTtlMs ?? COUNTED_TTL_MS;
    if (ttl === 0 || writes.every((write) => (write.eventIds?.length ?? 0) === 0)) {
      return ['', ttl, ''];
    }
    const program = new ScriptProgram(256);
    for (const { eventIds = [] } of writes) {
      program.u16(eventIds.length);
      for (const eventId of eventIds) program.str(eventId);
    }
    return [program.toBuffer(), ttl, ''];
  }

  private queuePosts(
    batch: SlotBatch,
    writes: readonly PostWrite[],
    veto: string | undefined,
  ): { writes: readonly PostWrite[]; reply: Reply<unknown> }[] {
    const layout = LAYOUTS.post;
    return chunksBySlot(batch, writes, (w) => this.keys.post(w.postId), POSTS_PER_CALL).map(
      (chunk) => {
        const program = new ScriptProgram();
        for (const write of chunk) {
          writeDelta(program, write.delta);
          const { create } = write;
          program
            .str(create === undefined ? '' : encodeMeta(create.meta, create.creator))
            .str(create?.eventId ?? '')
            .f64(create?.creator?.atMs ?? Number.NaN)
            .f64(create?.parkedRead ?? 0);
          writeDelta(program, create?.attributes ?? NO_ATTRIBUTES);
          program.u16(write.park.length);
          for (const engagement of write.park) program.str(encodeParked(engagement));
        }
        const args: ScriptArgument[] = [
          layout.descriptorBytes,
          layout.templateBytes,
          layout.ttlMs,
          PARKED_ENGAGEMENTS_CAP,
          PARKED_ENGAGEMENT_TTL_MS,
          program.toBuffer(),
          ...this.guard(chunk, veto),
        ];
        const keys = chunk.map((w) => this.keys.post(w.postId));
        return { writes: chunk, reply: this.queueCall(batch, 'featureStorePosts', keys, args) };
      },
    );
  }

  private queueUsers(
    batch: SlotBatch,
    writes: readonly UserWrite[],
    veto: string | undefined,
  ): { writes: readonly UserWrite[]; reply: Reply<unknown> }[] {
    const { setCap, interestCap } = this.options;
    const header: ScriptArgument[] = [
      LAYOUTS.user.descriptorBytes,
      LAYOUTS.user.templateBytes,
      LAYOUTS.user_blog.descriptorBytes,
      LAYOUTS.user_blog.templateBytes,
      LAYOUTS.user_tag.descriptorBytes,
      LAYOUTS.user_tag.templateBytes,
      ENTITIES.user.ttlMs,
      ENTITIES.user_blog.ttlMs,
      ENTITIES.user_tag.ttlMs,
      interestCap,
      ...TOUCHED_SETS.flatMap((set) => [setCap, USER_SETS[set].ttlMs]),
      RELATION_CAP,
      USER_SETS.following.ttlMs,
      USER_SETS.blocked.ttlMs,
      RELATION_TOMBSTONE_MS,
    ];
    return chunksBySlot(batch, writes, (w) => this.keys.user(w.userId), USERS_PER_CALL).map(
      (chunk) => {
        const program = new ScriptProgram();
        for (const write of chunk) {
          program.str(this.keys.userRoot(write.userId));
          writeDelta(program, write.delta);
          program.u16(write.touches.length);
          for (const { set, id, atMs } of write.touches) {
            program
              .u8(TOUCHED_SETS.indexOf(set) + 1)
              .str(id)
              .f64(atMs);
          }
          program.u16(write.relations.length);
          for (const { relation, blogId, atMs, active, countedIn, eventId } of write.relations) {
            const countCell = countedIn === undefined ? -1 : LAYOUTS.user.attribute(countedIn).cell;
            program
              .u8(RELATIONS.indexOf(relation) + 1)
              .str(blogId)
              .f64(atMs)
              .u8(active ? 1 : 0)
              .f64(countCell)
              .str(eventId ?? '');
          }
          program.u16(write.blogs.size);
          for (const [blogId, delta] of write.blogs) writeDelta(program.str(blogId), delta);
          program.u16(write.tags.size);
          for (const [tag, delta] of write.tags) writeDelta(program.str(tag), delta);
        }
        const keys = chunk.map((w) => this.keys.user(w.userId));
        const args = [...header, program.toBuffer(), ...this.guard(chunk, veto)];
        return { writes: chunk, reply: this.queueCall(batch, 'featureStoreUsers', keys, args) };
      },
    );
  }

  private queueCall(
    batch: SlotBatch,
    script: ScriptName,
    keys: readonly string[],
    args: readonly ScriptArgument[],
  ): Reply<unknown> {
    return batch.add(keys[0]!, (pipeline) => queueScript(pipeline, script, keys, args));
  }
}

interface QueuedWrite {
  readonly blogs: readonly { writes: readonly BlogWrite[]; reply: Reply<unknown> }[];
  readonly users: readonly { writes: readonly UserWrite[]; reply: Reply<unknown> }[];
  readonly posts: readonly { writes: readonly PostWrite[]; reply: Reply<unknown> }[];
}

/** A batch unit's write that Redis refused: nothing of the plan was written. */
function refusedOutcome(plan: WritePlan): WriteOutcome {
  const unwritten = new Set([
    ...plan.blogs.map((write) => countedKey('blog', write.blogId)),
    ...plan.users.map((write) => countedKey('user', write.userId)),
    ...plan.posts.map((write) => countedKey('post', write.postId)),
  ]);
  return {
    conflicts: true,
    unwritten,
    posts: new Map(),
    relationDeltas: new Map(),
    followersBefore: new Map(),
  };
}

/** Tells one read from another: a number's slot is this read's only under its stamp. */
let lastRead = 0;

/**
 * The reads GetFeatures needs besides the posts: the posts' blogs, the user's state and the
 * user's state with those blogs and tags. Each blog and tag gets a slot the first time a post
 * of the read names it (by the meta cache's numbering: an integer compare in a flat array,
 * not a string hash), and is asked for in whichever round trip first knows it.
 */
class CandidateJoinReads {
  batch: SlotBatch;
  private readonly stamp = ++lastRead;
  private readonly blogIds: string[] = [];
  /** Per blog slot: its blog's key, made once per blog by the meta cache's numbering. */
  private readonly blogKeys: string[] = [];
  /** Per blog slot: the numbering that knows the blog (none for an uncached meta), its number. */
  private readonly blogNumberings: (JoinNumbers | undefined)[] = [];
  private readonly blogNumbers: number[] = [];
  private readonly tags: string[] = [];
  private readonly blogSlots: Int32Array;
  private readonly tagFrom: Int32Array;
  private readonly tagCount: Int32Array;
  /** Grown by doubling: a thousand posts' tags without a thousand pushes' bookkeeping. */
  private tagSlots: Int32Array;
  private tagSlotCount = 0;
  private sentBlogs = 0;
  private sentTags = 0;
  /**
   * Blogs and tags whose state with the user has been asked for. Only those among the user's
   * interest indexes are read (a user × blog or user × tag state exists only for a member: the
   * write script keeps them together), which READ_INTERESTS sorts out in Redis: not one missing
   * key per candidate blog, nor the indexes sent here first.
   */
  private interestBlogs = 0;
  private interestTags = 0;
  private userSent = false;
  private user: Float64Array | undefined;
  private readonly blogs: (Float64Array | undefined)[] = [];
  private readonly userBlogs: (Float64Array | undefined)[] = [];
  /** The blogs the user follows (usually a few; at most the relation cap). */
  private followed: ReadonlySet<string> = new Set();
  private readonly userTags: (Float64Array | undefined)[] = [];

  private readonly blogKey = (blogId: string) => this.keys.blog(blogId);

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: FeatureKeys,
    private readonly userId: string | undefined,
    posts: number,
    private readonly nearCache: TrackedNearCache | undefined,
  ) {
    this.batch = new SlotBatch(redis);
    this.blogSlots = new Int32Array(posts).fill(-1);
    this.tagFrom = new Int32Array(posts);
    this.tagCount = new Int32Array(posts);
    this.tagSlots = new Int32Array(Math.max(16, posts * 4));
  }

  /** Gives post `i` the slots of the blog and tags of its entry at `offset` in `generation`. */
  place(i: number, generation: MetaGeneration, offset: number): void {
    const pool = generation.pool;
    const blog = pool[offset + 1]!;
    const slot = this.slotOf(blog, generation.blogs, this.blogIds);
    if (slot === this.blogKeys.length) {
      this.blogKeys.push(generation.blogs.keyOf(blog, this.blogKey));
      this.blogNumberings.push(generation.blogs);
      this.blogNumbers.push(blog);
    }
    this.blogSlots[i] = slot;
    const count = pool[offset + 2]!;
    this.reserveTags(count);
    this.tagFrom[i] = this.tagSlotCount;
    this.tagCount[i] = count;
    const numbers = generation.tags;
    for (let t = 0; t < count; t++) {
      this.tagSlots[this.tagSlotCount++] = this.slotOf(pool[offset + 3 + t]!, numbers, this.tags);
    }
  }

  /** `place` for a meta the cache does not keep (a cache of size 0): by id. */
  placeUncached(i: number, meta: PostMeta): void {
    this.blogKeys.push(this.keys.blog(meta.blogId));
    this.blogNumberings.push(undefined);
    this.blogNumbers.push(-1);
    this.blogSlots[i] = this.blogIds.push(meta.blogId) - 1;
    this.reserveTags(meta.tags.length);
    this.tagFrom[i] = this.tagSlotCount;
    this.tagCount[i] = meta.tags.length;
    for (const tag of meta.tags) this.tagSlots[this.tagSlotCount++] = this.tags.push(tag) - 1;
  }

  private reserveTags(count: number): void {
    if (this.tagSlotCount + count <= this.tagSlots.length) return;
    const grown = new Int32Array(Math.max(2 * this.tagSlots.length, this.tagSlotCount + count));
    grown.set(this.tagSlots);
    this.tagSlots = grown;
  }

  /** Post `i` turned out unknown: it joins nothing (what was read for it is unused). */
  unplace(i: number): void {
    this.blogSlots[i] = -1;
    this.tagCount[i] = 0;
  }

  get hasUnsent(): boolean {
    return (
      this.sentBlogs < this.blogIds.length ||
      this.sentTags < this.tags.length ||
      (this.userId !== undefined &&
        (this.interestBlogs < this.blogIds.length || this.interestTags < this.tags.length))
    );
  }

  /**
   * Sends what the batch holds plus every blog placed since the last send (those not held
   * already); with a user, the user's state and follows the first time, and each time the
   * user's states with the blogs and tags placed since, those among the user's interest
   * indexes (READ_INTERESTS).
   */
  async send(operation: string): Promise<unknown[]> {
    const { batch, keys, userId } = this;
    // The blogs placed since the last send: those whose kept entry is live are at hand.
    const unreadBlogs: number[] = [];
    const unreadBlogKeys: string[] = [];
    for (let slot = this.sentBlogs; slot < this.blogIds.length; slot++) {
      const entry = this.blogNumberings[slot]?.entries[this.blogNumbers[slot]!];
      if (entry !== undefined && entry.live) this.blogs[slot] = entry.decoded ?? undefined;
      else {
        unreadBlogs.push(slot);
        unreadBlogKeys.push(this.blogKeys[slot]!);
      }
    }
    this.sentBlogs = this.blogIds.length;
    this.sentTags = this.tags.length;
    const cachedBlogs =
      this.nearCache === undefined ? undefined : cachedRead(this.nearCache, unreadBlogKeys);
    const blogValues = cachedBlogs === undefined ? batch.mget(unreadBlogKeys) : undefined;
    let user: Reply<unknown> | undefined;
    let followed: Reply<unknown> | undefined;
    let interests: Reply<unknown> | undefined;
    const firstBlog = this.interestBlogs;
    const firstTag = this.interestTags;
    if (userId !== undefined) {
      if (!this.userSent) {
        const key = keys.user(userId);
        user = batch.add(key, (pipeline) => pipeline.getBuffer(key));
        // Every blog the user follows, rather than a score per candidate blog: a user follows
        // a few blogs, a request names hundreds.
        const following = keys.userSet(userId, 'following');
        followed = batch.add(following, (pipeline) =>
          pipeline.zrangebyscore(following, '(0', '+inf'),
        );
        this.userSent = true;
      }
      if (firstBlog < this.blogIds.length || firstTag < this.tags.length) {
        const blogsKey = keys.interestIndex(userId, 'blogs');
        const args = [
          keys.userRoot(userId),
          this.blogIds.length - firstBlog,
          ...this.blogIds.slice(firstBlog),
          ...this.tags.slice(firstTag),
        ];
        const indexes = [blogsKey, keys.interestIndex(userId, 'tags')];
        interests = batch.add(blogsKey, (pipeline) =>
          queueScript(pipeline, 'featureStoreReadInterestsBuffer', indexes, args),
        );
        this.interestBlogs = this.blogIds.length;
        this.interestTags = this.tags.length;
      }
    }
    const replies = await batch.exec(operation);
    this.batch = new SlotBatch(this.redis);

    if (user !== undefined) this.user = LAYOUTS.user.decode(user(replies) as Buffer | null);
    const blogs =
      cachedBlogs === undefined
        ? blogValues!(replies).map((value) => new NearCacheEntry(value, false))
        : await cachedBlogs;
    for (let j = 0; j < unreadBlogs.length; j++) {
      const slot = unreadBlogs[j]!;
      const entry = blogs[j]!;
      if (entry.decoded === undefined) entry.decoded = LAYOUTS.blog.decode(entry.value) ?? null;
      this.blogs[slot] = entry.decoded ?? undefined;
      const numbering = this.blogNumberings[slot];
      if (entry.live && numbering !== undefined) numbering.entries[this.blogNumbers[slot]!] = entry;
    }
    if (followed !== undefined) this.followed = new Set(followed(replies) as string[]);
    if (interests !== undefined) {
      const [blogStates, tagStates] = interests(replies) as [unknown[], unknown[]];
      decodePairs(this.userBlogs, firstBlog, blogStates, LAYOUTS.user_blog);
      decodePairs(this.userTags, firstTag, tagStates, LAYOUTS.user_tag);
    }
    return replies;
  }

  slots(): JoinSlots {
    const { blogSlots, tagFrom, tagCount } = this;
    return { blogSlots, tagFrom, tagCount, tagSlots: this.tagSlots.subarray(0, this.tagSlotCount) };
  }

  states(): Omit<CandidateStates, 'posts'> {
    return {
      user: this.user,
      blogIds: this.blogIds,
      blogs: padded(this.blogs, this.blogIds.length),
      userBlogs: padded(this.userBlogs, this.blogIds.length),
      following: Uint8Array.from(this.blogIds, (blogId) => (this.followed.has(blogId) ? 1 : 0)),
      tags: this.tags,
      userTags: padded(this.userTags, this.tags.length),
    };
  }

  private slotOf(number: number, numbering: JoinNumbers, ids: string[]): number {
    if (numbering.stamps[number] !== this.stamp) {
      // Not placed by this read yet (or another read, or another numbering, placed it since:
      // a second slot, read twice, never a wrong one).
      numbering.stamps[number] = this.stamp;
      numbering.slots[number] = ids.length;
      ids.push(numbering.ids[number]!);
    }
    return numbering.slots[number]!;
  }
}

/** A near-cache read, failing as the store's other reads do when Redis cannot be reached. */
async function cachedRead(
  cache: TrackedNearCache,
  keys: readonly string[],
): Promise<NearCacheEntry[]> {
  if (keys.length === 0) return [];
  try {
    return await cache.read(keys);
  } catch (error) {
    throw new UnavailableError('redis', error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
}

/**
 * Decodes READ_INTERESTS's (position, value) pairs into `into`, positions counted from
 * `first` (the rest stay unread).
 */
function decodePairs<E extends EntityKind>(
  into: (Float64Array | undefined)[],
  first: number,
  pairs: readonly unknown[],
  layout: StateLayout<E>,
): void {
  for (let j = 0; j + 1 < pairs.length; j += 2) {
    into[first + Number(pairs[j])] = layout.decode(pairs[j + 1] as Buffer | null);
  }
}

/** `values` with a length of `length` (unread entries undefined). */
function padded<T>(values: T[], length: number): (T | undefined)[] {
  if (values.length < length) values.length = length;
  return values;
}

/** Entities grouped by their key's slot, in calls of at most `size`. */
function chunksBySlot<T>(
  batch: SlotBatch,
  items: readonly T[],
  keyOf: (item: T) => string,
  size: number,
): T[][] {
  const chunks: T[][] = [];
  for (const indexes of groupBy(items.length, (i) => batch.slotOf(keyOf(items[i]!))).values()) {
    for (let from = 0; from < indexes.length; from += size) {
      chunks.push(indexes.slice(from, from + size).map((i) => items[i]!));
    }
  }
  return chunks;
}

/** A delta as a blob of the program; empty when nothing changed. */
function writeDelta<E extends EntityKind>(program: ScriptProgram, delta: EntityDelta<E>): void {
  if (delta.isEmpty) {
    program.u32(0);
    return;
  }
  program.blob(delta.maxEncodedBytes, (into, offset) => delta.encodeInto(into, offset));
}

/** The state part of a post's stored value; undefined when it is not of this layout. */
function decodePostCells(value: Buffer): Float64Array | undefined {
  return LAYOUTS.post.decode(value, 4 + value.readUInt32LE(0));
}

/** The meta part of a post's stored value. */
function metaOfValue(value: Buffer | null | undefined): PostMeta | undefined {
  return creationOfValue(value)?.meta;
}

/** The meta part of a post's stored value, with its creator. */
function creationOfValue(value: Buffer | null | undefined): StoredCreation | undefined {
  if (!value || value.length < 4) return undefined;
  const length = value.readUInt32LE(0);
  return length === 0 ? undefined : decodeCreation(value.toString('utf8', 4, 4 + length));
}

function decodeAll<E extends EntityKind>(
  ids: readonly string[],
  values: readonly (Buffer | null)[],
  layout: StateLayout<E>,
): Map<string, Float64Array> {
  const decoded = new Map<string, Float64Array>();
  ids.forEach((id, i) => {
    const cells = layout.decode(values[i]);
    if (cells !== undefined) decoded.set(id, cells);
  });
  return decoded;
}

function encodeParked(engagement: ParkedEngagement): string {
  return JSON.stringify(engagement);
}

/** A list entry that does not parse is dropped rather than failing the batch. */
function decodeParked(raw: string): ParkedEngagement[] {
  try {
    const parsed = JSON.parse(raw) as Partial<ParkedEngagement>;
    const { eventId, userId, kind, atMs } = parsed;
    if (
      typeof eventId !== 'string' ||
      typeof userId !== 'string' ||
      typeof kind !== 'number' ||
      typeof atMs !== 'number'
    ) {
      return [];
    }
    return [{ eventId, userId, kind, atMs }];
  } catch {
    return [];
  }
}
