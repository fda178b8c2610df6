import { applyCellOps } from './cell-ops.js';
import { ExpiringMap } from './expiring-map.js';
import {
  ENTITIES,
  PARKED_ENGAGEMENT_TTL_MS,
  PARKED_ENGAGEMENTS_CAP,
  RELATION_CAP,
  RELATION_TOMBSTONE_MS,
  USER_SETS,
  type EntityKind,
  type UserSet,
} from './feature-registry.js';
import type {
  BlogUpdate,
  CandidateStates,
  FeatureStore,
  ParkedEngagement,
  PostCreated,
  PostCreation,
  PostMeta,
  PostUpdate,
  StoredPost,
  StoreLimits,
  UserStates,
  UserUpdate,
  UserUpdated,
} from './feature-store.js';
import { ScoredSet } from './scored-set.js';
import { LAYOUTS, type EntityChange, type StateLayout } from './state-layout.js';

export interface InMemoryFeatureStoreOptions extends StoreLimits {
  /** The clock time to live is measured on (like Redis's); tests pass a fake. */
  readonly now?: () => number;
}

/** Ids never hold NUL (they are [A-Za-z0-9_.:-]), so it separates a pair's parts. */
const pair = (userId: string, other: string) => `${userId}\u0000${other}`;

/**
 * The embedded store (playground, tests): the Redis store's semantics in process memory,
 * with the same time to live per key class and the same caps.
 */
export class InMemoryFeatureStore implements FeatureStore {
  private readonly states: { readonly [E in EntityKind]: ExpiringMap<string, Float64Array> };
  private readonly postMetas: ExpiringMap<string, PostMeta>;
  private readonly parked: ExpiringMap<string, ParkedEngagement[]>;
  private readonly sets: Record<UserSet, ExpiringMap<string, ScoredSet>>;
  private readonly indexes: Record<'tags' | 'blogs', ExpiringMap<string, ScoredSet>>;

  constructor(private readonly options: InMemoryFeatureStoreOptions) {
    const now = options.now ?? Date.now;
    const map = <V>(ttlMs: number) => new ExpiringMap<string, V>(ttlMs, now);
    this.states = {
      user: map(ENTITIES.user.ttlMs),
      post: map(ENTITIES.post.ttlMs),
      blog: map(ENTITIES.blog.ttlMs),
      user_blog: map(ENTITIES.user_blog.ttlMs),
      user_tag: map(ENTITIES.user_tag.ttlMs),
    };
    this.postMetas = map(ENTITIES.post.ttlMs);
    this.parked = map(PARKED_ENGAGEMENT_TTL_MS);
    this.sets = {
      served: map(USER_SETS.served.ttlMs),
      engaged: map(USER_SETS.engaged.ttlMs),
      hidden: map(USER_SETS.hidden.ttlMs),
      owned_blogs: map(USER_SETS.owned_blogs.ttlMs),
      following: map(USER_SETS.following.ttlMs),
      blocked: map(USER_SETS.blocked.ttlMs),
    };
    this.indexes = { tags: map(ENTITIES.user_tag.ttlMs), blogs: map(ENTITIES.user_blog.ttlMs) };
  }

  async updatePost({ postId, atMs, change, park }: PostUpdate): Promise<PostMeta | undefined> {
    this.change('post', postId, atMs, change);
    const meta = this.postMetas.get(postId);
    if (meta !== undefined) {
      this.postMetas.set(postId, meta);
      return meta;
    }
    if (park !== undefined) {
      const parked = [...(this.parked.get(postId) ?? []), park].slice(-PARKED_ENGAGEMENTS_CAP);
      this.parked.set(postId, parked);
    }
    return undefined;
  }

  async createPost({ postId, atMs, meta, change }: PostCreation): Promise<PostCreated> {
    this.change('post', postId, atMs, change);
    const existing = this.postMetas.get(postId);
    this.postMetas.set(postId, existing ?? meta);
    if (existing !== undefined) return { created: false, parked: [] };
    const parked = this.parked.get(postId) ?? [];
    this.parked.delete(postId);
    return { created: true, parked };
  }

  async updateBlog({ blogId, atMs, change }: BlogUpdate): Promise<void> {
    this.change('blog', blogId, atMs, change);
  }

  async updateUser(update: UserUpdate): Promise<UserUpdated> {
    const { userId, atMs } = update;
    this.change('user', userId, atMs, update.user);
    for (const { blogId, change } of update.blogs ?? []) {
      this.change('user_blog', pair(userId, blogId), atMs, change);
      this.touch(this.indexes.blogs, userId, blogId, atMs, this.options.interestCap);
    }
    for (const { tag, change } of update.tags ?? []) {
      this.change('user_tag', pair(userId, tag), atMs, change);
      this.touch(this.indexes.tags, userId, tag, atMs, this.options.interestCap);
    }
    for (const { set, id } of update.sets ?? []) {
      this.touch(this.sets[set], userId, id, atMs, this.options.setCap);
    }
    if (update.relation === undefined) return { relationDelta: 0 };
    const { relation, blogId, active, countedIn } = update.relation;
    const relations = this.sets[relation];
    const members = relations.get(userId) ?? new ScoredSet();
    const score = members.score(blogId);
    const was = score !== undefined && score > 0;
    if (score !== undefined) {
      const last = Math.abs(score);
      if (atMs < last || (atMs === last && (was || !active))) return { relationDelta: 0 };
    }
    members.set(blogId, active ? atMs : -atMs);
    members.removeBetween(RELATION_TOMBSTONE_MS - atMs, 0);
    members.trim(RELATION_CAP);
    relations.set(userId, members);
    const relationDelta = ((active ? 1 : 0) - (was ? 1 : 0)) as -1 | 0 | 1;
    if (relationDelta !== 0 && countedIn !== undefined) {
      this.change('user', userId, atMs, {
        attributes: [{ attribute: countedIn, value: relationDelta }],
      });
    }
    return { relationDelta };
  }

  async readCandidates(
    userId: string | undefined,
    postIds: readonly string[],
  ): Promise<CandidateStates> {
    const posts = new Map<string, StoredPost>();
    const blogIds = new Set<string>();
    const tags = new Set<string>();
    for (const postId of postIds) {
      const meta = this.postMetas.get(postId);
      posts.set(postId, { state: this.state('post', postId), meta });
      if (meta === undefined) continue;
      blogIds.add(meta.blogId);
      for (const tag of meta.tags) tags.add(tag);
    }
    const blogs = collect(blogIds, (blogId) => this.state('blog', blogId));
    if (userId === undefined) {
      return {
        user: undefined,
        posts,
        blogs,
        userBlogs: new Map(),
        following: new Set(),
        userTags: new Map(),
      };
    }
    const following = this.sets.following.get(userId);
    return {
      user: this.state('user', userId),
      posts,
      blogs,
      userBlogs: collect(blogIds, (blogId) => this.state('user_blog', pair(userId, blogId))),
      following: new Set([...blogIds].filter((blogId) => (following?.score(blogId) ?? 0) > 0)),
      userTags: collect(tags, (tag) => this.state('user_tag', pair(userId, tag))),
    };
  }

  async readUser(userId: string, limit: number): Promise<UserStates> {
    const newest = (set: UserSet, above?: number) =>
      this.sets[set].get(userId)?.highest(limit, above) ?? [];
    const touched = (kind: 'tags' | 'blogs') =>
      this.indexes[kind].get(userId)?.highest(this.options.interestCap) ?? [];
    return {
      state: this.state('user', userId),
      sets: {
        served: newest('served'),
        engaged: newest('engaged'),
        hidden: newest('hidden'),
        owned_blogs: newest('owned_blogs'),
        following: newest('following', 0),
        blocked: newest('blocked', 0),
      },
      tags: touched('tags').flatMap((tag) => {
        const state = this.state('user_tag', pair(userId, tag));
        return state ? [{ tag, state }] : [];
      }),
      blogs: touched('blogs').flatMap((blogId) => {
        const state = this.state('user_blog', pair(userId, blogId));
        return state ? [{ blogId, state }] : [];
      }),
    };
  }

  private change<E extends EntityKind>(
    entity: E,
    key: string,
    atMs: number,
    change: EntityChange<E>,
  ): void {
    const layout = LAYOUTS[entity] as StateLayout<E>;
    const states = this.states[entity];
    const cells = states.get(key) ?? layout.empty();
    applyCellOps(cells, atMs, layout.compile(change));
    states.set(key, cells);
  }

  /** A copy: callers compute from it after further events may have changed the original. */
  private state(entity: EntityKind, key: string): Float64Array | undefined {
    return this.states[entity].get(key)?.slice();
  }

  private touch(
    sets: ExpiringMap<string, ScoredSet>,
    userId: string,
    member: string,
    atMs: number,
    cap: number,
  ): void {
    const members = sets.get(userId) ?? new ScoredSet();
    members.raise(member, atMs);
    members.trim(cap);
    sets.set(userId, members);
  }
}

function collect<V>(ids: Iterable<string>, read: (id: string) => V | undefined): Map<string, V> {
  const found = new Map<string, V>();
  for (const id of ids) {
    const value = read(id);
    if (value !== undefined) found.set(id, value);
  }
  return found;
}
