import type { RedisClient } from '@feedmesh/service-kit';
import type { CellOp } from './cell-ops.js';
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
import { FeatureKeys } from './redis-keys.js';
import { defineScripts, queueScript, type ScriptArgument } from './redis-scripts.js';
import { SlotBatch } from './slot-batch.js';
import { LAYOUTS, type EntityChange, type StateLayout } from './state-layout.js';

export interface RedisFeatureStoreOptions extends StoreLimits {
  /** A client the caller owns (the runtime's); the store defines its scripts on it. */
  readonly redis: RedisClient;
  /** REDIS_PREFIX; the store writes under `<prefix>:fs`. */
  readonly prefix: string;
}

const RELATION_SETS: readonly UserSet[] = ['following', 'blocked'];

/**
 * The production store. Each entity's state is one packed value (see StateLayout), so a
 * batch of posts is one MGET and a write is one Lua script per entity; everything one event
 * changes under one user is one pipeline. Every key is written with a time to live.
 */
export class RedisFeatureStore implements FeatureStore {
  private readonly redis: RedisClient;
  private readonly keys: FeatureKeys;

  constructor(private readonly options: RedisFeatureStoreOptions) {
    this.redis = options.redis;
    this.keys = new FeatureKeys(options.prefix);
    defineScripts(this.redis);
  }

  async updatePost({ postId, atMs, change, park }: PostUpdate): Promise<PostMeta | undefined> {
    const batch = new SlotBatch(this.redis);
    const reply = batch.add(this.keys.post(postId), (pipeline) =>
      queueScript(pipeline, 'featureStoreUpdatePost', this.postKeys(postId), [
        LAYOUTS.post.templateBytes,
        ENTITIES.post.ttlMs,
        atMs,
        park === undefined ? '' : encodeParked(park),
        PARKED_ENGAGEMENTS_CAP,
        PARKED_ENGAGEMENT_TTL_MS,
        ...opArguments(LAYOUTS.post, change),
      ]),
    );
    const meta = reply(await batch.exec('feature-store.update-post'));
    return typeof meta === 'string' ? decodeMeta(meta) : undefined;
  }

  async createPost({ postId, atMs, meta, change }: PostCreation): Promise<PostCreated> {
    const batch = new SlotBatch(this.redis);
    const reply = batch.add(this.keys.post(postId), (pipeline) =>
      queueScript(pipeline, 'featureStoreCreatePost', this.postKeys(postId), [
        LAYOUTS.post.templateBytes,
        ENTITIES.post.ttlMs,
        atMs,
        JSON.stringify(meta),
        ...opArguments(LAYOUTS.post, change),
      ]),
    );
    const [created, ...parked] = reply(await batch.exec('feature-store.create-post')) as [
      number,
      ...string[],
    ];
    return { created: created === 1, parked: parked.flatMap(decodeParked) };
  }

  async updateBlog({ blogId, atMs, change }: BlogUpdate): Promise<void> {
    const batch = new SlotBatch(this.redis);
    this.queueCells(batch, this.keys.blog(blogId), LAYOUTS.blog, atMs, change);
    await batch.exec('feature-store.update-blog');
  }

  async updateUser(update: UserUpdate): Promise<UserUpdated> {
    const { userId, atMs } = update;
    const { setCap, interestCap } = this.options;
    const batch = new SlotBatch(this.redis);
    this.queueCells(batch, this.keys.user(userId), LAYOUTS.user, atMs, update.user);
    for (const { blogId, change } of update.blogs ?? []) {
      this.queueCells(batch, this.keys.userBlog(userId, blogId), LAYOUTS.user_blog, atMs, change);
      const index = this.keys.interestIndex(userId, 'blogs');
      this.queueTouch(batch, index, blogId, atMs, interestCap, ENTITIES.user_blog.ttlMs);
    }
    for (const { tag, change } of update.tags ?? []) {
      this.queueCells(batch, this.keys.userTagState(userId, tag), LAYOUTS.user_tag, atMs, change);
      const index = this.keys.interestIndex(userId, 'tags');
      this.queueTouch(batch, index, tag, atMs, interestCap, ENTITIES.user_tag.ttlMs);
    }
    for (const { set, id } of update.sets ?? []) {
      const key = this.keys.userSet(userId, set);
      this.queueTouch(batch, key, id, atMs, setCap, USER_SETS[set].ttlMs);
    }
    let delta: ((replies: readonly unknown[]) => unknown) | undefined;
    if (update.relation !== undefined) {
      const { relation, blogId, active, countedIn } = update.relation;
      const key = this.keys.userSet(userId, relation);
      delta = batch.add(key, (pipeline) =>
        queueScript(
          pipeline,
          'featureStoreUpdateRelation',
          [key, this.keys.user(userId)],
          [
            blogId,
            atMs,
            active ? 1 : 0,
            USER_SETS[relation].ttlMs,
            RELATION_TOMBSTONE_MS,
            RELATION_CAP,
            LAYOUTS.user.templateBytes,
            countedIn === undefined ? -1 : LAYOUTS.user.attributeCellIndex(countedIn),
            ENTITIES.user.ttlMs,
          ],
        ),
      );
    }
    const replies = await batch.exec('feature-store.update-user');
    return { relationDelta: (delta === undefined ? 0 : Number(delta(replies))) as -1 | 0 | 1 };
  }

  /**
   * Two round trips: the posts (state and meta, one MGET) with the user, then what the posts'
   * metas point at: their blogs (one MGET) and the user's state with those blogs and tags (one
   * MGET and one ZMSCORE, pipelined in the user's slot).
   */
  async readCandidates(
    userId: string | undefined,
    postIds: readonly string[],
  ): Promise<CandidateStates> {
    const first = new SlotBatch(this.redis);
    const postValues = first.mget(
      postIds.flatMap((postId) => [this.keys.post(postId), this.keys.postMeta(postId)]),
    );
    const userValue =
      userId === undefined
        ? undefined
        : first.add(this.keys.user(userId), (p) => p.getBuffer(this.keys.user(userId)));
    const firstReplies = await first.exec('feature-store.read-posts');
    const values = postValues(firstReplies);
    const posts = new Map<string, StoredPost>();
    const blogIds = new Set<string>();
    const tags = new Set<string>();
    postIds.forEach((postId, i) => {
      const meta = decodeMeta(values[2 * i + 1]);
      posts.set(postId, { state: LAYOUTS.post.decode(values[2 * i]), meta });
      if (meta === undefined) return;
      blogIds.add(meta.blogId);
      for (const tag of meta.tags) tags.add(tag);
    });
    const user = userValue && LAYOUTS.user.decode(userValue(firstReplies) as Buffer | null);

    const blogList = [...blogIds];
    const tagList = [...tags];
    const second = new SlotBatch(this.redis);
    const blogValues = second.mget(blogList.map((blogId) => this.keys.blog(blogId)));
    let userBlogValues: ((replies: readonly unknown[]) => (Buffer | null)[]) | undefined;
    let followScores: ((replies: readonly unknown[]) => unknown) | undefined;
    let userTagValues: ((replies: readonly unknown[]) => (Buffer | null)[]) | undefined;
    if (userId !== undefined && blogList.length > 0) {
      userBlogValues = second.mget(blogList.map((blogId) => this.keys.userBlog(userId, blogId)));
      const following = this.keys.userSet(userId, 'following');
      followScores = second.add(following, (p) => p.zmscore(following, ...blogList));
    }
    if (userId !== undefined && tagList.length > 0) {
      userTagValues = second.mget(tagList.map((tag) => this.keys.userTagState(userId, tag)));
    }
    const replies = await second.exec('feature-store.read-blogs-and-affinities');
    const scores = (followScores?.(replies) ?? []) as (string | null)[];
    return {
      user,
      posts,
      blogs: decodeAll(blogList, blogValues(replies), LAYOUTS.blog),
      userBlogs: decodeAll(blogList, userBlogValues?.(replies) ?? [], LAYOUTS.user_blog),
      following: new Set(blogList.filter((_, i) => Number(scores[i] ?? 0) > 0)),
      userTags: decodeAll(tagList, userTagValues?.(replies) ?? [], LAYOUTS.user_tag),
    };
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

  private postKeys(postId: string): string[] {
    return [
      this.keys.post(postId),
      this.keys.postMeta(postId),
      this.keys.parkedEngagements(postId),
    ];
  }

  private queueCells<E extends EntityKind>(
    batch: SlotBatch,
    key: string,
    layout: StateLayout<E>,
    atMs: number,
    change: EntityChange<E>,
  ): void {
    batch.add(key, (pipeline) =>
      queueScript(
        pipeline,
        'featureStoreUpdateCells',
        [key],
        [layout.templateBytes, layout.ttlMs, atMs, ...opArguments(layout, change)],
      ),
    );
  }

  /** ZADD GT, then trim to the cap (the least recent go), then refresh the time to live. */
  private queueTouch(
    batch: SlotBatch,
    key: string,
    member: string,
    atMs: number,
    cap: number,
    ttlMs: number,
  ): void {
    batch.add(key, (pipeline) =>
      pipeline
        .zadd(key, 'GT', atMs, member)
        .zremrangebyrank(key, 0, -(cap + 1))
        .pexpire(key, ttlMs),
    );
  }
}

function opArguments<E extends EntityKind>(
  layout: StateLayout<E>,
  change: EntityChange<E>,
): ScriptArgument[] {
  return layout.compile(change).flatMap((op: CellOp) => [op.code, op.cell, op.a, op.b]);
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

function decodeMeta(raw: Buffer | string | null | undefined): PostMeta | undefined {
  if (raw === null || raw === undefined) return undefined;
  try {
    const parsed = JSON.parse(raw.toString()) as Partial<PostMeta>;
    if (typeof parsed.blogId !== 'string' || !Array.isArray(parsed.tags)) return undefined;
    return {
      blogId: parsed.blogId,
      tags: parsed.tags.filter((tag): tag is string => typeof tag === 'string'),
      reblogOf: typeof parsed.reblogOf === 'string' ? parsed.reblogOf : '',
    };
  } catch {
    return undefined;
  }
}

function encodeParked(engagement: ParkedEngagement): string {
  return JSON.stringify(engagement);
}

/** A list entry that does not parse is dropped rather than failing the PostCreated. */
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
