import type { AttributeOf, Relation, UserSet } from './feature-registry.js';

export type { PostMeta, StoredPost } from './post-meta.js';
import type { PostBatch } from './post-batch.js';
import type { PostMeta } from './post-meta.js';
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
}

export interface PostWrite {
  readonly postId: string;
  readonly delta: EntityDelta<'post'>;
  /**
   * Stores `meta` unless the post has one. The engagements parked with the post are handed
   * back: the first `parkedRead` (which the prefetch returned, and the batch joins itself) are
   * dropped, any parked since are returned in the outcome.
   */
  readonly create?: { readonly meta: PostMeta; readonly parkedRead: number };
  /** Parked with the post unless it has a meta, which the outcome then returns. */
  readonly park: readonly ParkedEngagement[];
}

/** Everything a batch changes under one user: one atomic write in the user's slot. */
export interface UserWrite {
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

export interface BlogWrite {
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
  /** For a write with `create`: whether it stored the meta (false: the post had one). */
  readonly created?: boolean;
  /** Engagements parked after the prefetch read them, handed back by the creation. */
  readonly parkedSince: readonly ParkedEngagement[];
  /** For a write with `park`: the post's meta when it had one, so nothing was parked. */
  readonly meta?: PostMeta;
}

export interface WriteOutcome {
  readonly posts: ReadonlyMap<string, PostWritten>;
  /** By user: the change in active members each relation change made (-1, 0 or 1). */
  readonly relationDeltas: ReadonlyMap<string, readonly number[]>;
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
}

/** How much a store keeps per user. */
export interface StoreLimits {
  /** Ids kept in each of a user's sets (served, engaged, hidden, ...). */
  readonly setCap: number;
  /** Tags, and blogs, whose state is kept per user; the least recently touched go first. */
  readonly interestCap: number;
}
