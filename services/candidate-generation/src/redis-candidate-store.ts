import type { RedisClient } from '@feedmesh/service-kit';
import {
  DEFAULT_STORE_LIMITS,
  type BlogRecord,
  type BucketWidth,
  type CandidateStore,
  type EngagementWrite,
  type PostForWrite,
  type PostRecord,
  type PostState,
  type Scored,
  type StoreLimits,
  type TrendSubject,
} from './candidate-store.js';
import { runPipelined, type QueuedCommand } from './redis-pipeline.js';
import { defineScripts } from './redis-scripts.js';

const POST_FIELDS = [
  'blog',
  'tags',
  'created',
  'reblog',
  'summary',
  'pop',
  'n',
  'deleted',
] as const;
const BLOG_FIELDS = ['owner', 'name', 'created'] as const;

/**
 * The store on Redis. Keys are `<prefix>:{<entity>}:<index>`: everything about one post, blog,
 * user or tag shares a hash tag, so the scripts that touch two of its keys run on a Cluster;
 * the global indexes (popular, new blogs, trend candidates) are single capped keys. Every
 * per-entity key expires `retentionMs` after its last write; every index is capped.
 */
export class RedisCandidateStore implements CandidateStore {
  private readonly limits: StoreLimits;

  constructor(
    private readonly client: RedisClient,
    /** e.g. `feedmesh:cg`. */
    private readonly prefix: string,
    limits: Partial<StoreLimits> = {},
  ) {
    this.limits = { ...DEFAULT_STORE_LIMITS, ...limits };
    defineScripts(client);
  }

  async putPost(post: PostRecord): Promise<boolean> {
    const { retentionMs } = this.limits;
    const [stored] = await this.run('cg.put_post', [
      {
        key: this.postKey(post.postId),
        queue: (p) =>
          p.feedmeshCgPutPost(
            this.postKey(post.postId),
            retentionMs,
            'blog',
            post.blogId,
            'tags',
            JSON.stringify(post.tags),
            'created',
            post.createdAtMs,
            'reblog',
            post.reblogOf,
            'summary',
            post.summary,
          ),
      },
    ]);
    if (stored !== 1) return false;
    const commands: QueuedCommand[] = [
      ...this.cappedAdd(
        this.blogPostsKey(post.blogId),
        post.postId,
        post.createdAtMs,
        this.limits.postsPerBlog,
      ),
    ];
    for (const tag of post.tags) {
      commands.push(
        ...this.cappedAdd(
          this.tagRecentKey(tag),
          post.postId,
          post.createdAtMs,
          this.limits.recentPostsPerTag,
        ),
      );
    }
    await this.run('cg.index_post', commands);
    return true;
  }

  async deletePost(postId: string, atMs: number): Promise<void> {
    const [previous] = await this.run('cg.delete_post', [
      {
        key: this.postKey(postId),
        queue: (p) => p.feedmeshCgDeletePost(this.postKey(postId), atMs, this.limits.tombstoneMs),
      },
    ]);
    if (!Array.isArray(previous)) return;
    const [blogId, tagsJson] = previous as (string | null)[];
    const tags = parseTags(tagsJson ?? null);
    const zrem = (key: string): QueuedCommand => ({ key, queue: (p) => p.zrem(key, postId) });
    const del = (key: string): QueuedCommand => ({ key, queue: (p) => p.del(key) });
    await this.run('cg.unindex_post', [
      ...(blogId ? [zrem(this.blogPostsKey(blogId))] : []),
      ...tags.flatMap((tag) => [zrem(this.tagRecentKey(tag)), zrem(this.tagPopularKey(tag))]),
      zrem(this.popularKey()),
      zrem(this.activeKey('post')),
      del(this.engagersKey(postId)),
      del(this.trendKey('post', postId, '5m')),
      del(this.trendKey('post', postId, '1h')),
    ]);
  }

  async putBlog(blog: BlogRecord): Promise<void> {
    const key = this.blogKey(blog.blogId);
    const newBlogs = this.newBlogsKey();
    await this.run('cg.put_blog', [
      {
        key,
        queue: (p) =>
          p.hset(key, 'owner', blog.ownerUserId, 'name', blog.name, 'created', blog.createdAtMs),
      },
      { key, queue: (p) => p.pexpire(key, this.limits.retentionMs) },
      { key: newBlogs, queue: (p) => p.zadd(newBlogs, blog.createdAtMs, blog.blogId) },
      {
        key: newBlogs,
        queue: (p) => p.zremrangebyrank(newBlogs, 0, -this.limits.newBlogs - 1),
      },
    ]);
  }

  async setFollow(userId: string, blogId: string, atMs: number, following: boolean) {
    const follows = this.userKey(userId, 'follows');
    const unfollows = this.userKey(userId, 'unfollows');
    await this.run('cg.set_follow', [
      {
        key: follows,
        queue: (p) =>
          p.feedmeshCgSetFollow(
            follows,
            unfollows,
            blogId,
            atMs,
            following ? 1 : 0,
            this.limits.followsPerUser,
            this.limits.retentionMs,
          ),
      },
    ]);
  }

  async postForWrite(postId: string): Promise<PostForWrite> {
    const key = this.postKey(postId);
    const [reply] = await this.run('cg.post_for_write', [
      { key, queue: (p) => p.hmget(key, ...POST_FIELDS) },
    ]);
    const fields = reply as (string | null)[];
    if (fields[7] !== null && fields[7] !== undefined) return { state: 'deleted' };
    const post = parsePost(postId, fields);
    return post ? { state: 'live', post } : { state: 'unknown' };
  }

  async recordEngagement(e: EngagementWrite): Promise<void> {
    const { limits } = this;
    const ttl = limits.retentionMs;
    const commands: QueuedCommand[] = [];
    const logAdd = (key: string, cap: number, ttlMs: number, pairs: (string | number)[]) =>
      commands.push({ key, queue: (p) => p.feedmeshCgLogAdd(key, cap, ttlMs, ...pairs) });
    if (e.popularity !== undefined) {
      const increment = e.popularity;
      const postKey = this.postKey(e.postId);
      commands.push({
        key: postKey,
        queue: (p) => p.feedmeshCgPostEngaged(postKey, increment, ttl),
      });
      logAdd(this.popularKey(), limits.popularPosts, 0, [e.postId, increment]);
      for (const tag of e.tags) {
        logAdd(this.tagPopularKey(tag), limits.popularPostsPerTag, ttl, [e.postId, increment]);
      }
    }
    if (e.affinity !== undefined && e.tags.length > 0) {
      const increment = e.affinity;
      logAdd(
        this.userKey(e.userId, 'tags'),
        limits.tagsPerUser,
        ttl,
        e.tags.flatMap((tag) => [tag, increment]),
      );
    }
    if (e.coEngagement) {
      commands.push(
        ...this.cappedAdd(
          this.userKey(e.userId, 'recent'),
          e.postId,
          e.atMs,
          limits.engagementsPerUser,
          true,
        ),
        ...this.cappedAdd(
          this.engagersKey(e.postId),
          e.userId,
          e.atMs,
          limits.engagersPerPost,
          true,
        ),
      );
    }
    if (e.trend) {
      const { buckets, activity } = e.trend;
      const count = (subject: TrendSubject, id: string) => {
        for (const width of ['5m', '1h'] as const) {
          const key = this.trendKey(subject, id, width);
          const keep = limits.trendBuckets[width];
          commands.push({
            key,
            queue: (p) => p.feedmeshCgBucketIncr(key, buckets[width], keep, ttl),
          });
        }
      };
      count('post', e.postId);
      logAdd(this.activeKey('post'), limits.trendPosts, 0, [e.postId, activity]);
      for (const tag of e.tags) count('tag', tag);
      if (e.tags.length > 0) {
        logAdd(
          this.activeKey('tag'),
          limits.trendTags,
          0,
          e.tags.flatMap((tag) => [tag, activity]),
        );
      }
    }
    await this.run('cg.record_engagement', commands);
  }

  async posts(postIds: readonly string[]): Promise<Map<string, PostState>> {
    const replies = await this.run(
      'cg.posts',
      postIds.map((postId) => {
        const key = this.postKey(postId);
        return { key, queue: (p) => p.hmget(key, ...POST_FIELDS) };
      }),
    );
    const found = new Map<string, PostState>();
    postIds.forEach((postId, i) => {
      const fields = replies[i] as (string | null)[];
      if (fields[7] !== null && fields[7] !== undefined) return;
      const post = parsePost(postId, fields);
      if (!post) return;
      found.set(postId, {
        ...post,
        popularity: fields[5] ? Number(fields[5]) : undefined,
        engagements: fields[6] ? Number(fields[6]) : 0,
      });
    });
    return found;
  }

  async blogs(blogIds: readonly string[]): Promise<Map<string, BlogRecord>> {
    const replies = await this.run(
      'cg.blogs',
      blogIds.map((blogId) => {
        const key = this.blogKey(blogId);
        return { key, queue: (p) => p.hmget(key, ...BLOG_FIELDS) };
      }),
    );
    const found = new Map<string, BlogRecord>();
    blogIds.forEach((blogId, i) => {
      const [owner, name, created] = replies[i] as (string | null)[];
      if (created === null || created === undefined) return;
      found.set(blogId, {
        blogId,
        ownerUserId: owner ?? '',
        name: name ?? '',
        createdAtMs: Number(created),
      });
    });
    return found;
  }

  async followedBlogs(userId: string, limit: number): Promise<string[]> {
    const key = this.userKey(userId, 'follows');
    const [reply] = await this.run('cg.followed_blogs', [
      { key, queue: (p) => p.zrevrange(key, 0, limit - 1) },
    ]);
    return reply as string[];
  }

  async blogPosts(blogIds: readonly string[], perBlog: number, sinceMs: number) {
    return this.rangesByScore(
      'cg.blog_posts',
      blogIds,
      (id) => this.blogPostsKey(id),
      perBlog,
      sinceMs,
    );
  }

  async newBlogs(sinceMs: number, limit: number): Promise<Scored[]> {
    const key = this.newBlogsKey();
    return (
      (await this.rangesByScore('cg.new_blogs', [key], () => key, limit, sinceMs)).get(key) ?? []
    );
  }

  async popularPosts(tag: string | undefined, limit: number): Promise<Scored[]> {
    const key = tag === undefined ? this.popularKey() : this.tagPopularKey(tag);
    return (await this.tops('cg.popular_posts', [key], () => key, limit)).get(key) ?? [];
  }

  async recentTagPosts(tags: readonly string[], perTag: number) {
    return this.tops('cg.recent_tag_posts', tags, (tag) => this.tagRecentKey(tag), perTag);
  }

  async userTags(userId: string, limit: number): Promise<Scored[]> {
    const key = this.userKey(userId, 'tags');
    return (await this.tops('cg.user_tags', [key], () => key, limit)).get(key) ?? [];
  }

  async recentEngagements(userIds: readonly string[], perUser: number) {
    return this.tops('cg.recent_engagements', userIds, (id) => this.userKey(id, 'recent'), perUser);
  }

  async recentEngagers(postIds: readonly string[], perPost: number) {
    return this.tops('cg.recent_engagers', postIds, (id) => this.engagersKey(id), perPost);
  }

  async activeTrendSubjects(subject: TrendSubject, limit: number): Promise<Scored[]> {
    const key = this.activeKey(subject);
    return (await this.tops('cg.active_trend_subjects', [key], () => key, limit)).get(key) ?? [];
  }

  async trendCounts(subject: TrendSubject, ids: readonly string[], width: BucketWidth) {
    const replies = await this.run(
      'cg.trend_counts',
      ids.map((id) => {
        const key = this.trendKey(subject, id, width);
        return { key, queue: (p) => p.hgetall(key) };
      }),
    );
    const counts = new Map<string, Map<number, number>>();
    ids.forEach((id, i) => {
      const hash = (replies[i] ?? {}) as Record<string, string>;
      counts.set(
        id,
        new Map(Object.entries(hash).map(([bucket, count]) => [Number(bucket), Number(count)])),
      );
    });
    return counts;
  }

  private run(operation: string, commands: readonly QueuedCommand[]): Promise<unknown[]> {
    return runPipelined(this.client, operation, commands);
  }

  /** ZADD (GT: only ever raise a time), cap, expire: three commands on one key. */
  private cappedAdd(
    key: string,
    member: string,
    score: number,
    cap: number,
    onlyRaise = false,
  ): QueuedCommand[] {
    return [
      {
        key,
        queue: (p) => (onlyRaise ? p.zadd(key, 'GT', score, member) : p.zadd(key, score, member)),
      },
      { key, queue: (p) => p.zremrangebyrank(key, 0, -cap - 1) },
      { key, queue: (p) => p.pexpire(key, this.limits.retentionMs) },
    ];
  }

  private async tops(
    operation: string,
    ids: readonly string[],
    keyOf: (id: string) => string,
    limit: number,
  ): Promise<Map<string, Scored[]>> {
    const replies = await this.run(
      operation,
      ids.map((id) => {
        const key = keyOf(id);
        return { key, queue: (p) => p.zrevrange(key, 0, limit - 1, 'WITHSCORES') };
      }),
    );
    return new Map(ids.map((id, i) => [id, pairs(replies[i])]));
  }

  private async rangesByScore(
    operation: string,
    ids: readonly string[],
    keyOf: (id: string) => string,
    limit: number,
    minScore: number,
  ): Promise<Map<string, Scored[]>> {
    const replies = await this.run(
      operation,
      ids.map((id) => {
        const key = keyOf(id);
        return {
          key,
          queue: (p) => p.zrevrangebyscore(key, '+inf', minScore, 'WITHSCORES', 'LIMIT', 0, limit),
        };
      }),
    );
    return new Map(ids.map((id, i) => [id, pairs(replies[i])]));
  }

  private postKey(postId: string) {
    return `${this.prefix}:{p:${postId}}:post`;
  }
  private engagersKey(postId: string) {
    return `${this.prefix}:{p:${postId}}:engagers`;
  }
  private blogKey(blogId: string) {
    return `${this.prefix}:{b:${blogId}}:blog`;
  }
  private blogPostsKey(blogId: string) {
    return `${this.prefix}:{b:${blogId}}:posts`;
  }
  private userKey(userId: string, index: 'follows' | 'unfollows' | 'tags' | 'recent') {
    return `${this.prefix}:{u:${userId}}:${index}`;
  }
  private tagRecentKey(tag: string) {
    return `${this.prefix}:{t:${tag}}:recent`;
  }
  private tagPopularKey(tag: string) {
    return `${this.prefix}:{t:${tag}}:popular`;
  }
  private trendKey(subject: TrendSubject, id: string, width: BucketWidth) {
    return subject === 'post'
      ? `${this.prefix}:{p:${id}}:trend:${width}`
      : `${this.prefix}:{t:${id}}:trend:${width}`;
  }
  private popularKey() {
    return `${this.prefix}:{g:popular}`;
  }
  private newBlogsKey() {
    return `${this.prefix}:{g:new-blogs}`;
  }
  private activeKey(subject: TrendSubject) {
    return `${this.prefix}:{g:trend-${subject}s}`;
  }
}

function parsePost(postId: string, fields: readonly (string | null | undefined)[]) {
  const [blogId, tags, created, reblogOf, summary] = fields;
  if (!blogId || !created) return undefined;
  return {
    postId,
    blogId,
    tags: parseTags(tags ?? null),
    createdAtMs: Number(created),
    reblogOf: reblogOf ?? '',
    summary: summary ?? '',
  } satisfies PostRecord;
}

function parseTags(json: string | null): string[] {
  if (!json) return [];
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === 'string') : [];
}

function pairs(reply: unknown): Scored[] {
  const flat = (reply ?? []) as string[];
  const result: Scored[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    result.push({ id: flat[i]!, score: Number(flat[i + 1]) });
  }
  return result;
}
