import type { AttributeOf, Relation, UserSet } from './feature-registry.js';
import type { EntityChange } from './state-layout.js';

/** What the store keeps of a post besides its counters: what joins it to blogs and tags. */
export interface PostMeta {
  readonly blogId: string;
  /** Distinct, in the post's order. */
  readonly tags: readonly string[];
  /** The root post of a reblog; empty for an original post. */
  readonly reblogOf: string;
}

/**
 * An engagement that arrived before its post's PostCreated (they travel in different
 * partitions of the log). Its post and user counters are applied at once; what needs the
 * post's blog and tags waits with the post until PostCreated hands it back.
 */
export interface ParkedEngagement {
  readonly eventId: string;
  readonly userId: string;
  /** A `commonv1.EngagementKind`. */
  readonly kind: number;
  readonly atMs: number;
}

export interface PostUpdate {
  readonly postId: string;
  readonly atMs: number;
  readonly change: EntityChange<'post'>;
  /** Kept with the post when its meta is not known yet. */
  readonly park?: ParkedEngagement;
}

export interface PostCreation {
  readonly postId: string;
  readonly atMs: number;
  readonly meta: PostMeta;
  readonly change: EntityChange<'post'>;
}

export interface PostCreated {
  /** False when the post's meta was already stored (a redelivered PostCreated). */
  readonly created: boolean;
  /** The engagements that waited for this post; handed back once, then forgotten. */
  readonly parked: readonly ParkedEngagement[];
}

export interface BlogUpdate {
  readonly blogId: string;
  readonly atMs: number;
  readonly change: EntityChange<'blog'>;
}

/** Everything one event changes under one user; a Redis store writes it in one round trip. */
export interface UserUpdate {
  readonly userId: string;
  readonly atMs: number;
  readonly user: EntityChange<'user'>;
  readonly blogs?: readonly {
    readonly blogId: string;
    readonly change: EntityChange<'user_blog'>;
  }[];
  readonly tags?: readonly { readonly tag: string; readonly change: EntityChange<'user_tag'> }[];
  /** Ids added to (or moved to the front of) the user's sets, at `atMs`. */
  readonly sets?: readonly {
    readonly set: 'served' | 'engaged' | 'hidden' | 'owned_blogs';
    readonly id: string;
  }[];
  /** Last write wins by `atMs`; ties go to `active`. */
  readonly relation?: {
    readonly relation: Relation;
    readonly blogId: string;
    readonly active: boolean;
    /** A user attribute that counts the relation's active members. */
    readonly countedIn?: AttributeOf<'user'>;
  };
}

export interface UserUpdated {
  /** +1 when the relation became active, -1 when it ended, 0 when the event changed nothing. */
  readonly relationDelta: -1 | 0 | 1;
}

export interface StoredPost {
  readonly state: Float64Array | undefined;
  readonly meta: PostMeta | undefined;
}

/** The states GetFeatures needs for a user and a batch of posts; absent entries are unknown. */
export interface CandidateStates {
  readonly user: Float64Array | undefined;
  readonly posts: ReadonlyMap<string, StoredPost>;
  /** By blog id, for the posts' blogs. */
  readonly blogs: ReadonlyMap<string, Float64Array>;
  /** By blog id: the user's state with each of the posts' blogs. */
  readonly userBlogs: ReadonlyMap<string, Float64Array>;
  /** Which of the posts' blogs the user follows. */
  readonly following: ReadonlySet<string>;
  /** By tag: the user's state with each of the posts' tags. */
  readonly userTags: ReadonlyMap<string, Float64Array>;
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
 * Where the materialized state lives. Each write is atomic for its entity, so replicas
 * consuming the same group never lose each other's updates; writes fold events in by their
 * own time, so any delivery order gives the same state.
 */
export interface FeatureStore {
  /** Applies the change; returns the post's meta, parking `park` when there is none yet. */
  updatePost(update: PostUpdate): Promise<PostMeta | undefined>;
  /** Stores the meta (the first one wins) and the change. */
  createPost(creation: PostCreation): Promise<PostCreated>;
  updateBlog(update: BlogUpdate): Promise<void>;
  updateUser(update: UserUpdate): Promise<UserUpdated>;
  /** `postIds` distinct; `userId` undefined for an anonymous request. */
  readCandidates(userId: string | undefined, postIds: readonly string[]): Promise<CandidateStates>;
  readUser(userId: string, limit: number): Promise<UserStates>;
}

/** How much a store keeps per user. */
export interface StoreLimits {
  /** Ids kept in each of a user's sets (served, engaged, hidden, ...). */
  readonly setCap: number;
  /** Tags, and blogs, whose affinity is tracked for a user's interests. */
  readonly interestCap: number;
}
