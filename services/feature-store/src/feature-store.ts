import type { AttributeOf, Relation, UserSet } from './feature-registry.js';

export type { Creation, PostMeta, StoredCreation, StoredPost } from './post-meta.js';
import type { PostBatch } from './post-batch.js';
import type { Creation, PostMeta, StoredCreation } from './post-meta.js';
import type { EntityDelta } from './state-delta.js';

/**
 * An engagement that arrived before its post's PostCreated (they travel in different
 * partitions of the log). Its post and user counters are applied at once; what needs the
 * post's blog and tags waits with the post until its PostCreated hands it back.
 */
export interface ParkedEngagement {
  readonly eventId: string;
  readonly userId: string;
  /** A `commonv1.EngagementKind`. */
  readonly kind: number;
  readonly atMs: number;
}

/** The sets a write can add ids to; following and blocked change through relations. */
export type TouchedSet = Exclude<UserSet, 'following' | 'blocked'>;

/** A Follow, Unfollow, Block or Unblock: last write wins by `atMs`; ties go to active. */
export interface RelationChange {
  readonly relation: Relation;
  readonly blogId: string;
  readonly atMs: number;
  readonly active: boolean;
  /** A user attribute that counts the relation's active members. */
  readonly countedIn?: AttributeOf<'user'>;
  /**
   * The event's: the change the relation made (-1, 0, 1) is recorded with the user's marker
   * for it (`Prefetched.relationChanges`), for the blog's follower count of a delivery again.
   */
  readonly eventId?: string;
}

/** The entities a write can mark as having counted an event (the keys of one hash tag). */
export type CountingEntity = 'user' | 'post' | 'blog';

/** How long an entity remembers that it counted an event: as long as the log's processed-markers. */
export const COUNTED_TTL_MS = 7 * 24 * 3_600_000;

/** An entity's name in `WriteOutcome.unwritten`. */
export function countedKey(entity: CountingEntity, id: string): string {
  return `${entity}\u0000${id}`;
}

/** Whether `entity` `id` has counted the event `eventId` (see `EntityWrite.eventIds`). */
export interface CountedCheck {
  readonly entity: CountingEntity;
  readonly id: string;
  readonly eventId: string;
}

/**
 * A write of one entity that carries the additive changes (counters, counts) of some events.
 * The store writes it at most once per event: it marks the entity with each event in the same
 * atomic step as the changes, and writes nothing of the entity when one of its events is
 * marked already (`WriteOutcome.conflicts`). A batch applied but not acknowledged (a crash, a
 * lost connection), delivered again, therefore counts nothing twice: the materializer asks
 * which entities counted which events (`PrefetchRequest.counted`) and leaves those out.
 */
export interface EntityWrite {
  /** Events whose additive changes this write holds; none: written unconditionally. */
  readonly eventIds?: readonly string[];
}

/** What a batch reads before it writes (see FeatureMaterializer). */
export interface PrefetchRequest {
  /** Posts whose meta the batch needs: engaged with, served or created in it. */
  readonly metas: readonly string[];
  /** Posts created in the batch: the engagements parked with them. */
  readonly parked: readonly string[];
  readonly relations: readonly {
    readonly userId: string;
    readonly relation: Relation;
    readonly blogId: string;
  }[];
  /** Entities that may have counted an event already (a batch delivered again). */
  readonly counted?: readonly CountedCheck[];
  /** Posts whose creation this batch may be delivering again: what their creation joined. */
  readonly joined?: readonly string[];
  /**
   * Posts created in the batch: their stored meta with its creator, read from the store even
   * where the meta is known (a PostCreated earlier than the creator replaces it).
   */
  readonly creations?: readonly string[];
}

/**
 * What a post's creation joined: its PostCreated's id, and the engagements parked till then;
 * or, for a creation that replaced a later one (see `Creation`), what it replaced.
 */
export interface JoinedAtCreation {
  readonly creator: string;
  readonly engagements: readonly ParkedEngagement[];
  /** The creation this one replaced: its blog counted the post, and no longer does. */
  readonly replaced?: StoredCreation;
}

export interface Prefetched {
  /** The posts of `metas` that have one. */
  readonly metas: ReadonlyMap<string, PostMeta>;
  /** By post of `parked`, oldest first; absent when none waits. */
  readonly parked: ReadonlyMap<string, readonly ParkedEngagement[]>;
  /**
   * One per requested relation: its stored score (+time while active, -time once ended), or
   * undefined when the pair has none.
   */
  readonly relationScores: readonly (number | undefined)[];
  /** One per `counted` check: whether the entity has counted the event (within its marker's TTL). */
  readonly counted: readonly boolean[];
  /** One per `counted` check of a relation event on its user: the change it made then. */
  readonly relationChanges: readonly (number | undefined)[];
  /** By post of `joined` that was created (within the parked engagements' time to live). */
  readonly joined: ReadonlyMap<string, JoinedAtCreation>;
  /** By post of `creations` that has a meta: the meta and its creator. */
  readonly creations: ReadonlyMap<string, StoredCreation>;
}

export interface PostWrite extends EntityWrite {
  readonly postId: string;
  readonly delta: EntityDelta<'post'>;
  /**
   * Stores `meta` unless the post has one, or has one of a later creator (see `Creation`),
   * which it replaces; `attributes` are written with it, and only then (also when the stored
   * creator is this one). The engagements parked with the post are handed back: the first
   * `parkedRead` (which the prefetch returned, and the batch joins itself) are dropped, any
   * parked since are returned in the outcome.
   */
  readonly create?: {
    readonly meta: PostMeta;
    readonly parkedRead: number;
    /** The PostCreated's: kept with the engagements it joins, for a delivery of it again. */
    readonly eventId?: string;
    /**
     * The PostCreated's time and id (`eventId` the same): without it the meta is stored
     * only where there is none, and replaces nothing.
     */
    readonly creator?: Creation;
    /** What the creation sets (`created_at`, `tag_count`, ...): written only with its meta. */
    readonly attributes?: EntityDelta<'post'>;
    /**
     * The stored creation the plan found and replaces: a batch unit's write lands only while
     * it is still the one stored.
     */
    readonly replacing?: StoredCreation;
  };
  /** Parked with the post unless it has a meta, which the outcome then returns. */
  readonly park: readonly ParkedEngagement[];
}

/** Everything a batch changes under one user: one atomic write in the user's slot. */
export interface UserWrite extends EntityWrite {
  readonly userId: string;
  readonly delta: EntityDelta<'user'>;
  /** By blog: the user's state with it; each also marks the blog touched at the delta's time. */
  readonly blogs: ReadonlyMap<string, EntityDelta<'user_blog'>>;
  /** By tag, likewise. */
  readonly tags: ReadonlyMap<string, EntityDelta<'user_tag'>>;
  /** Ids added to (or moved to the front of) the user's sets. */
  readonly touches: readonly {
    readonly set: TouchedSet;
    readonly id: string;
    readonly atMs: number;
  }[];
  /** Applied in order. */
  readonly relations: readonly RelationChange[];
}

export interface BlogWrite extends EntityWrite {
  readonly blogId: string;
  readonly delta: EntityDelta<'blog'>;
}

/** The writes of a batch, one per entity (users also carry their per-blog and per-tag state). */
export interface WritePlan {
  readonly posts: readonly PostWrite[];
  readonly users: readonly UserWrite[];
  readonly blogs: readonly BlogWrite[];
}

export interface PostWritten {
  /**
   * For a write with `create`: whether it stored the meta (false: the post had one of an
   * earlier or the same creator, or of none).
   */
  readonly created?: boolean;
  /** For a write with `create`, when the post had a meta: that meta and its creator. */
  readonly found?: StoredCreation;
  /** Set when the write replaced the post's meta (`found`) with its creation's. */
  readonly replaced?: true;
  /** Engagements parked after the prefetch read them, handed back by the creation. */
  readonly parkedSince: readonly ParkedEngagement[];
  /** For a write with `park`: the post's meta when it had one, so nothing was parked. */
  readonly meta?: PostMeta;
}

export interface WriteOutcome {
  /**
   * Some entity was not written because it had counted one of its write's events already
   * (another delivery of the event got there first). Only written entities are reported
   * below; the caller plans again what is left, with `PrefetchRequest.counted`.
   */
  readonly conflicts: boolean;
  /** With conflicts: the entities not written, as `countedKey(entity, id)`. */
  readonly unwritten: ReadonlySet<string>;
  /** The posts written. */
  readonly posts: ReadonlyMap<string, PostWritten>;
  /** By user: the change in active members each relation change made (-1, 0 or 1). */
  readonly relationDeltas: ReadonlyMap<string, readonly number[]>;
  /**
   * By blog written whose follower count the write moved: the count it found. The count
   * never goes below 0 (`floor`), so a change predicted wrong cannot be undone by adding the
   * difference; from this the materializer corrects to what the right changes leave.
   */
  readonly followersBefore: ReadonlyMap<string, number>;
}

/**
 * The blogs and tags a batch of posts joins to, by slot (`PostBatch` gives each post's):
 * undefined where the store has no state. A blog or tag may hold two slots; never a wrong one.
 */
export interface CandidateJoins {
  readonly blogIds: readonly string[];
  readonly blogs: readonly (Float64Array | undefined)[];
  /** The user's state with each blog; all undefined without a user. */
  readonly userBlogs: readonly (Float64Array | undefined)[];
  /** Per blog slot: 1 when the user follows the blog. */
  readonly following: Uint8Array;
  readonly tags: readonly string[];
  /** The user's state with each tag; all undefined without a user. */
  readonly userTags: readonly (Float64Array | undefined)[];
}

/** The states GetFeatures needs for a user and a batch of posts; absent entries are unknown. */
export interface CandidateStates extends CandidateJoins {
  readonly user: Float64Array | undefined;
  /** The posts asked for, in that order, with the slots of their blog and tags. */
  readonly posts: PostBatch;
}

/** The states GetUserFeatures needs for one user. */
export interface UserStates {
  readonly state: Float64Array | undefined;
  /** Newest first, at most the requested limit; relations hold their active members only. */
  readonly sets: Readonly<Record<UserSet, readonly string[]>>;
  /** The tags and blogs the user touched most recently, with their states. */
  readonly tags: readonly { readonly tag: string; readonly state: Float64Array }[];
  readonly blogs: readonly { readonly blogId: string; readonly state: Float64Array }[];
}

/** The event log's processed-marker of one event (`RedisStreamsEventLog.processedMarker`). */
export interface EventMarker {
  readonly eventId: string;
  readonly key: string;
  readonly ttlMs: number;
}

export interface BatchUnitOptions {
  /**
   * Whether the prefetch reads the markers (`applied`): not for a first attempt, which the
   * consumer checked them for just before; a race for them makes its write refused, and the
   * next attempt reads them.
   */
  readonly readMarkers: boolean;
}

/**
 * One batch's prefetch and writes as a unit (`FeatureStore.batchUnit`): each write lands
 * whole, together with the log's processed-markers of the events it counts, or not at all,
 * and only if nothing the prefetch read that it depends on has changed meanwhile (checked
 * in Redis, in the write's own transaction) and every earlier write of the unit landed. So a
 * write needs no per-entity markers (`EntityWrite.eventIds` are ignored), its outcome is what
 * the plan predicted, and a batch delivered again either finds an event marked processed (the
 * consumer skips it) or finds nothing of it written.
 *
 * A batch may be written in parts (`UnitWrite`), each sent as soon as it is planned: Redis
 * runs one part while the service plans the next.
 */
export interface BatchUnit {
  /**
   * As `FeatureStore.prefetch`; `applied` names the batch's events whose markers are set
   * already (another consumer applied them): leave them out. Empty unless the unit was
   * opened to read the markers.
   */
  prefetch(
    request: PrefetchRequest,
  ): Promise<Prefetched & { readonly applied: ReadonlySet<string> }>;
  /**
   * Writes one part of the plan and sets its events' markers, all at once (call it again
   * before this one resolves to keep Redis busy: writes go in call order). When something it
   * depends on changed since the prefetch, when another consumer marked one of its events
   * first, or when the write it follows (`after`) did not land, nothing is written:
   * `conflicts` is set and every entity is unwritten.
   */
  write(plan: WritePlan, part: UnitWrite): Promise<WriteOutcome>;
  /**
   * Takes the parked lists of these posts to end, when the unit writes, with these engagements
   * too (parked by writes of another unit that land before this unit's first), and checks so.
   */
  assumeParked(parked: ReadonlyMap<string, readonly ParkedEngagement[]>): void;
}

/** What one write of a batch unit counts and depends on. */
export interface UnitWrite {
  /** The markers of the events the plan counts (those the prefetch found applied left out). */
  readonly markers: readonly EventMarker[];
  /**
   * The relations the plan read, each with the score it took it to have (the prefetched
   * one, or the one the unit's earlier writes leave): the write lands only if each has it.
   * The posts it read without a meta (to park with, or to create) and the parked lists of
   * those it creates are checked by the unit itself.
   */
  readonly relations: readonly RelationRead[];
  /**
   * A token naming this write, when a later write (of this unit or another) follows it: the
   * write leaves it in Redis when it lands (for a minute, until the follower takes it).
   */
  readonly leaves?: string;
  /** The token of the write this one follows: it lands only if that one did. */
  readonly after?: string;
}

export interface RelationRead {
  readonly userId: string;
  readonly relation: Relation;
  readonly blogId: string;
  /** +time while active, -time once ended; undefined: the pair has none. */
  readonly score: number | undefined;
}

/**
 * Where the materialized state lives. A batch of events is one prefetch (reads) and one
 * `write`: each entity's part of it is atomic, so replicas consuming the same group never
 * lose each other's updates, and writes fold events in by their own time, so any delivery
 * order gives the same state.
 */
export interface FeatureStore {
  prefetch(request: PrefetchRequest): Promise<Prefetched>;
  write(plan: WritePlan): Promise<WriteOutcome>;
  /** `postIds` distinct; `userId` undefined for an anonymous request. */
  readCandidates(userId: string | undefined, postIds: readonly string[]): Promise<CandidateStates>;
  readUser(userId: string, limit: number): Promise<UserStates>;
  /**
   * A store that can write a batch as one unit with the log's markers (a single Redis, where
   * every key is on one node) opens one per batch; undefined where it cannot (a Cluster), and
   * the store's per-entity markers keep deliveries again from counting twice.
   */
  batchUnit?(markers: readonly EventMarker[], options: BatchUnitOptions): BatchUnit | undefined;
}

/** How much a store keeps per user. */
export interface StoreLimits {
  /** Ids kept in each of a user's sets (served, engaged, hidden, ...). */
  readonly setCap: number;
  /** Tags, and blogs, whose state is kept per user; the least recently touched go first. */
  readonly interestCap: number;
}
