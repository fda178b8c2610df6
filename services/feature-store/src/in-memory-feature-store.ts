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
import {
  COUNTED_TTL_MS,
  countedKey,
  type CandidateStates,
  type CountingEntity,
  type EntityWrite,
  type FeatureStore,
  type JoinedAtCreation,
  type ParkedEngagement,
  type PostMeta,
  type PostWritten,
  type StoredCreation,
  type Prefetched,
  type PrefetchRequest,
  type StoreLimits,
  type UserStates,
  type UserWrite,
  type WriteOutcome,
  type WritePlan,
} from './feature-store.js';
import { postBatchOf, SlotAssigner } from './post-batch.js';
import { creationOutcome } from './post-meta.js';
import { relationOutcome } from './relation-rules.js';
import { ScoredSet } from './scored-set.js';
import { applyDelta, type EntityDelta } from './state-delta.js';
import { LAYOUTS, TIME_CELL, type StateLayout } from './state-layout.js';

export interface InMemoryFeatureStoreOptions extends StoreLimits {
  /** The clock time to live is measured on (like Redis's); tests pass a fake. */
  readonly now?: () => number;
  /**
   * How long an entity remembers that it counted an event (see `EntityWrite`); 0 remembers
   * nothing (a replay of a history that holds each event once). Default 7 days, as the log's
   * processed-markers.
   */
  readonly countedTtlMs?: number;
}

/** Ids never hold NUL (they are [A-Za-z0-9_.:-]), so it separates a pair's parts. */
const pair = (userId: string, other: string) => `${userId}\u0000${other}`;

const markerOf = (entity: CountingEntity, id: string, eventId: string) =>
  `${countedKey(entity, id)}\u0000${eventId}`;

/**
 * The embedded store (playground, tests, point-in-time replays): the Redis store's semantics
 * in process memory, with the same time to live per key class and the same caps. Every
 * write is synchronous, so nothing races its prefetch.
 */
export class InMemoryFeatureStore implements FeatureStore {
  private readonly states: { readonly [E in EntityKind]: ExpiringMap<string, Float64Array> };
  private readonly postMetas: ExpiringMap<string, StoredCreation>;
  private readonly parked: ExpiringMap<string, ParkedEngagement[]>;
  private readonly joined: ExpiringMap<string, JoinedAtCreation>;
  private readonly sets: Record<UserSet, ExpiringMap<string, ScoredSet>>;
  private readonly indexes: Record<'tags' | 'blogs', ExpiringMap<string, ScoredSet>>;
  /** `countedKey(entity, id)` NUL event id, for each event an entity counted. */
  /** The value: true, or for a relation event on its user the change it made. */
  private readonly counted: ExpiringMap<string, true | number> | undefined;

  constructor(private readonly options: InMemoryFeatureStoreOptions) {
    const now = options.now ?? Date.now;
    const map = <V>(ttlMs: number) => new ExpiringMap<string, V>(ttlMs, now);
    const countedTtlMs = options.countedTtlMs ?? COUNTED_TTL_MS;
    this.counted = countedTtlMs > 0 ? map(countedTtlMs) : undefined;
    this.states = {
      user: map(ENTITIES.user.ttlMs),
      post: map(ENTITIES.post.ttlMs),
      blog: map(ENTITIES.blog.ttlMs),
      user_blog: map(ENTITIES.user_blog.ttlMs),
      user_tag: map(ENTITIES.user_tag.ttlMs),
    };
    this.postMetas = map(ENTITIES.post.ttlMs);
    this.parked = map(PARKED_ENGAGEMENT_TTL_MS);
    this.joined = map(PARKED_ENGAGEMENT_TTL_MS);
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

  async prefetch(request: PrefetchRequest): Promise<Prefetched> {
    const metas = new Map<string, PostMeta>();
    for (const postId of request.metas) {
      const stored = this.postMetas.get(postId);
      if (stored !== undefined) metas.set(postId, stored.meta);
    }
    const creations = new Map<string, StoredCreation>();
    for (const postId of request.creations ?? []) {
      const stored = this.postMetas.get(postId);
      if (stored !== undefined) creations.set(postId, stored);
    }
    const parked = new Map<string, readonly ParkedEngagement[]>();
    for (const postId of request.parked) {
      const entries = this.parked.get(postId);
      if (entries !== undefined && entries.length > 0) parked.set(postId, [...entries]);
    }
    const relationScores = request.relations.map(({ userId, relation, blogId }) =>
      this.sets[relation].get(userId)?.score(blogId),
    );
    const marks = (request.counted ?? []).map(({ entity, id, eventId }) =>
      this.counted?.get(markerOf(entity, id, eventId)),
    );
    const counted = marks.map((mark) => mark !== undefined);
    const relationChanges = marks.map((mark) => (typeof mark === 'number' ? mark : undefined));
    const joined = new Map<string, JoinedAtCreation>();
    for (const postId of request.joined ?? []) {
      const entry = this.joined.get(postId);
      if (entry !== undefined) joined.set(postId, entry);
    }
    return { metas, parked, relationScores, counted, relationChanges, joined, creations };
  }

  async write(plan: WritePlan): Promise<WriteOutcome> {
    const unwritten = new Set<string>();
    // As the Redis store's scripts: an entity that counted one of its write's events already
    // is not written at all; the others are marked with their events as they are written.
    const writes = <W extends EntityWrite>(
      entity: CountingEntity,
      all: readonly W[],
      idOf: (write: W) => string,
    ): W[] =>
      all.filter((write) => {
        const id = idOf(write);
        const markers = (write.eventIds ?? []).map((eventId) => markerOf(entity, id, eventId));
        if (this.counted === undefined) return true;
        if (markers.some((marker) => this.counted!.get(marker) !== undefined)) {
          unwritten.add(countedKey(entity, id));
          return false;
        }
        for (const marker of markers) this.counted.set(marker, true);
        return true;
      });
    const followersBefore = new Map<string, number>();
    const followers = LAYOUTS.blog.attribute('followers');
    for (const { blogId, delta } of writes('blog', plan.blogs, (w) => w.blogId)) {
      if (delta.touches('followers')) {
        const before = this.states.blog.get(blogId)?.[followers.cell] ?? followers.initial;
        followersBefore.set(blogId, before);
      }
      this.change('blog', blogId, delta);
    }
    const relationDeltas = new Map<string, readonly number[]>();
    for (const write of writes('user', plan.users, (w) => w.userId)) {
      const deltas = this.writeUser(write);
      relationDeltas.set(write.userId, deltas);
      write.relations.forEach(({ eventId }, i) => {
        const marker = eventId === undefined ? undefined : markerOf('user', write.userId, eventId);
        if (marker !== undefined && this.counted?.get(marker) !== undefined) {
          this.counted.set(marker, deltas[i]!);
        }
      });
    }
    const posts = new Map<string, PostWritten>();
    for (const { postId, delta, create, park } of writes('post', plan.posts, (w) => w.postId)) {
      const cells = this.change('post', postId, delta);
      let stored = this.postMetas.get(postId);
      let written: PostWritten = { parkedSince: [] };
      if (create !== undefined) {
        // The same steps as UPDATE_POSTS in redis-scripts.ts.
        const { meta, creator, attributes } = create;
        const outcome = creationOutcome(stored, creator);
        if (outcome === 'create') {
          const entries = this.parked.get(postId) ?? [];
          const since = entries.slice(create.parkedRead);
          this.parked.delete(postId);
          this.joined.set(postId, { creator: create.eventId ?? '', engagements: entries });
          written = { created: true, parkedSince: since };
        } else {
          if (outcome === 'replace') {
            // Kept for a delivery of the same PostCreated again (see UPDATE_POSTS).
            this.joined.set(postId, {
              creator: create.eventId ?? '',
              engagements: [],
              replaced: stored,
            });
          }
          written = {
            created: outcome === 'replace',
            found: stored!,
            ...(outcome === 'replace' ? { replaced: true as const } : {}),
            parkedSince: [],
          };
        }
        if (outcome === 'create' || outcome === 'replace') stored = { meta, creator };
        if (outcome !== 'keep' && attributes !== undefined) applyDelta(cells, attributes);
      }
      if (park.length > 0) {
        if (stored === undefined) {
          const entries = [...(this.parked.get(postId) ?? []), ...park];
          this.parked.set(postId, entries.slice(-PARKED_ENGAGEMENTS_CAP));
        } else {
          written = { ...written, meta: stored.meta };
        }
      }
      // The meta lives as long as the post's state, as in one Redis value.
      if (stored !== undefined) this.postMetas.set(postId, stored);
      posts.set(postId, written);
    }
    return { conflicts: unwritten.size > 0, unwritten, posts, relationDeltas, followersBefore };
  }

  async readCandidates(
    userId: string | undefined,
    postIds: readonly string[],
  ): Promise<CandidateStates> {
    const states = postIds.map((postId) => this.state('post', postId));
    const metas = postIds.map((postId, i) =>
      states[i] === undefined ? undefined : this.postMetas.get(postId)?.meta,
    );
    const assigner = new SlotAssigner();
    const posts = postBatchOf(postIds, states, metas, assigner);
    const { blogIds, tags } = assigner;
    const following = this.sets.following.get(userId ?? '');
    const forUser = <T>(read: (userId: string) => T) =>
      userId === undefined ? undefined : read(userId);
    return {
      user: forUser((id) => this.state('user', id)),
      posts,
      blogIds,
      blogs: blogIds.map((blogId) => this.state('blog', blogId)),
      userBlogs: blogIds.map((blogId) =>
        forUser((id) => this.state('user_blog', pair(id, blogId))),
      ),
      following: Uint8Array.from(blogIds, (blogId) =>
        userId !== undefined && (following?.score(blogId) ?? 0) > 0 ? 1 : 0,
      ),
      tags,
      userTags: tags.map((tag) => forUser((id) => this.state('user_tag', pair(id, tag)))),
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

  /** The same steps, in the same order, as the user script in redis-scripts.ts. */
  private writeUser(write: UserWrite): number[] {
    const { userId } = write;
    const { setCap, interestCap } = this.options;
    let cells: Float64Array | undefined;
    if (!write.delta.isEmpty) cells = this.change('user', userId, write.delta);
    const touchedSets = new Set<UserSet>();
    for (const { set, id, atMs } of write.touches) {
      const members = this.sets[set].get(userId) ?? new ScoredSet();
      members.raise(id, atMs);
      this.sets[set].set(userId, members);
      touchedSets.add(set);
    }
    for (const set of touchedSets) {
      const members = this.sets[set].get(userId)!;
      members.trim(setCap);
      this.sets[set].set(userId, members);
    }
    const deltas: number[] = [];
    for (const { relation, blogId, atMs, active, countedIn } of write.relations) {
      const relations = this.sets[relation];
      const members = relations.get(userId) ?? new ScoredSet();
      const { score, delta } = relationOutcome(members.score(blogId), atMs, active);
      if (score !== undefined) {
        members.set(blogId, score);
        members.removeBetween(RELATION_TOMBSTONE_MS - atMs, 0);
        members.trim(RELATION_CAP);
      }
      if (members.size > 0) relations.set(userId, members);
      deltas.push(delta);
      if (delta !== 0 && countedIn !== undefined) {
        cells ??= this.states.user.get(userId) ?? LAYOUTS.user.empty();
        // Counted from the set, as the user script does: the set outlives the user's state.
        cells[LAYOUTS.user.attribute(countedIn).cell] = members.countAbove(0);
        this.states.user.set(userId, cells);
      }
    }
    this.writeInterests(userId, 'blogs', 'user_blog', write.blogs, interestCap);
    this.writeInterests(userId, 'tags', 'user_tag', write.tags, interestCap);
    return deltas;
  }

  /** Per-blog or per-tag states, their index touched at each state's time, capped. */
  private writeInterests<E extends 'user_blog' | 'user_tag'>(
    userId: string,
    kind: 'tags' | 'blogs',
    entity: E,
    deltas: ReadonlyMap<string, EntityDelta<E>>,
    cap: number,
  ): void {
    if (deltas.size === 0) return;
    const index = this.indexes[kind].get(userId) ?? new ScoredSet();
    for (const [id, delta] of deltas) {
      const cells = this.change(entity, pair(userId, id), delta);
      index.raise(id, cells[TIME_CELL]!);
    }
    for (const gone of index.trim(cap)) this.states[entity].delete(pair(userId, gone));
    this.indexes[kind].set(userId, index);
  }

  /** Applies a delta to an entity's state (created empty), restarting its time to live. */
  private change<E extends EntityKind>(
    entity: E,
    key: string,
    delta: EntityDelta<E>,
  ): Float64Array {
    const layout = LAYOUTS[entity] as StateLayout<E>;
    const states = this.states[entity];
    const cells = states.get(key) ?? layout.empty();
    applyDelta(cells, delta);
    states.set(key, cells);
    return cells;
  }

  /** A copy: callers compute from it after further events may have changed the original. */
  private state(entity: EntityKind, key: string): Float64Array | undefined {
    return this.states[entity].get(key)?.slice();
  }
}
