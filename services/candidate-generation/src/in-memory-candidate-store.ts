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
import { logSumExp } from './decay.js';
import { ScoredSet } from './scored-set.js';
import { pruneBuckets } from './trend-buckets.js';

interface PostEntry {
  record?: PostRecord;
  popularity?: number;
  engagements: number;
  deletedAtMs?: number;
}

interface FollowState {
  readonly follows: ScoredSet;
  readonly unfollows: ScoredSet;
}

type BucketCounts = Map<number, number>;

/**
 * The embedded store (playground, unit tests): the same indexes and caps as the Redis store,
 * in maps. Keys do not expire here; caps bound every per-entity list.
 */
export class InMemoryCandidateStore implements CandidateStore {
  private readonly limits: StoreLimits;
  private readonly postEntries = new Map<string, PostEntry>();
  private readonly blogRecords = new Map<string, BlogRecord>();
  private readonly postsByBlog = new Map<string, ScoredSet>();
  private readonly newBlogIndex = new ScoredSet();
  private readonly popular = new ScoredSet();
  private readonly popularByTag = new Map<string, ScoredSet>();
  private readonly recentByTag = new Map<string, ScoredSet>();
  private readonly followsByUser = new Map<string, FollowState>();
  private readonly tagsByUser = new Map<string, ScoredSet>();
  private readonly engagementsByUser = new Map<string, ScoredSet>();
  private readonly engagersByPost = new Map<string, ScoredSet>();
  private readonly activeTrend: Record<TrendSubject, ScoredSet> = {
    tag: new ScoredSet(),
    post: new ScoredSet(),
  };
  private readonly trendBuckets: Record<
    TrendSubject,
    Record<BucketWidth, Map<string, BucketCounts>>
  > = {
    tag: { '5m': new Map(), '1h': new Map() },
    post: { '5m': new Map(), '1h': new Map() },
  };

  constructor(limits: Partial<StoreLimits> = {}) {
    this.limits = { ...DEFAULT_STORE_LIMITS, ...limits };
  }

  async putPost(post: PostRecord): Promise<boolean> {
    const entry = this.postEntries.get(post.postId);
    if (entry?.deletedAtMs !== undefined) return false;
    if (entry) entry.record = post;
    else this.postEntries.set(post.postId, { record: post, engagements: 0 });
    const blogPosts = setIn(this.postsByBlog, post.blogId);
    blogPosts.set(post.postId, post.createdAtMs);
    blogPosts.trim(this.limits.postsPerBlog);
    for (const tag of post.tags) {
      const recent = setIn(this.recentByTag, tag);
      recent.set(post.postId, post.createdAtMs);
      recent.trim(this.limits.recentPostsPerTag);
    }
    return true;
  }

  async deletePost(postId: string, atMs: number): Promise<void> {
    const entry = this.postEntries.get(postId);
    if (entry?.deletedAtMs !== undefined) return;
    const record = entry?.record;
    if (record) {
      this.postsByBlog.get(record.blogId)?.delete(postId);
      for (const tag of record.tags) {
        this.recentByTag.get(tag)?.delete(postId);
        this.popularByTag.get(tag)?.delete(postId);
      }
    }
    this.popular.delete(postId);
    this.activeTrend.post.delete(postId);
    this.engagersByPost.delete(postId);
    for (const width of ['5m', '1h'] as const) this.trendBuckets.post[width].delete(postId);
    this.postEntries.set(postId, { engagements: 0, deletedAtMs: atMs });
  }

  async putBlog(blog: BlogRecord): Promise<void> {
    this.blogRecords.set(blog.blogId, blog);
    this.newBlogIndex.set(blog.blogId, blog.createdAtMs);
    this.newBlogIndex.trim(this.limits.newBlogs);
  }

  async setFollow(userId: string, blogId: string, atMs: number, following: boolean) {
    let state = this.followsByUser.get(userId);
    if (!state) {
      state = { follows: new ScoredSet(), unfollows: new ScoredSet() };
      this.followsByUser.set(userId, state);
    }
    const followedAt = state.follows.get(blogId) ?? -1;
    const unfollowedAt = state.unfollows.get(blogId) ?? -1;
    if (following) {
      if (atMs <= followedAt || atMs <= unfollowedAt) return;
      state.follows.set(blogId, atMs);
      state.unfollows.delete(blogId);
    } else {
      if (atMs < followedAt || atMs <= unfollowedAt) return;
      state.follows.delete(blogId);
      state.unfollows.set(blogId, atMs);
    }
    state.follows.trim(this.limits.followsPerUser);
    state.unfollows.trim(this.limits.followsPerUser);
  }

  async postForWrite(postId: string): Promise<PostForWrite> {
    const entry = this.postEntries.get(postId);
    if (entry?.deletedAtMs !== undefined) return { state: 'deleted' };
    if (entry?.record) return { state: 'live', post: entry.record };
    return { state: 'unknown' };
  }

  async recordEngagement(e: EngagementWrite): Promise<void> {
    let entry = this.postEntries.get(e.postId);
    if (entry?.deletedAtMs !== undefined) return;
    if (e.popularity !== undefined) {
      if (!entry) {
        entry = { engagements: 0 };
        this.postEntries.set(e.postId, entry);
      }
      entry.popularity = addLog(entry.popularity, e.popularity);
      entry.engagements += 1;
      logAdd(this.popular, e.postId, e.popularity, this.limits.popularPosts);
      for (const tag of e.tags) {
        logAdd(
          setIn(this.popularByTag, tag),
          e.postId,
          e.popularity,
          this.limits.popularPostsPerTag,
        );
      }
    }
    if (e.affinity !== undefined) {
      const tags = setIn(this.tagsByUser, e.userId);
      for (const tag of e.tags) logAdd(tags, tag, e.affinity, this.limits.tagsPerUser);
    }
    if (e.coEngagement) {
      const mine = setIn(this.engagementsByUser, e.userId);
      mine.raise(e.postId, e.atMs);
      mine.trim(this.limits.engagementsPerUser);
      const engagers = setIn(this.engagersByPost, e.postId);
      engagers.raise(e.userId, e.atMs);
      engagers.trim(this.limits.engagersPerPost);
    }
    if (e.trend) {
      const { buckets, activity } = e.trend;
      this.countTrend('post', e.postId, buckets);
      logAdd(this.activeTrend.post, e.postId, activity, this.limits.trendPosts);
      for (const tag of e.tags) {
        this.countTrend('tag', tag, buckets);
        logAdd(this.activeTrend.tag, tag, activity, this.limits.trendTags);
      }
    }
  }

  async posts(postIds: readonly string[]): Promise<Map<string, PostState>> {
    const found = new Map<string, PostState>();
    for (const postId of postIds) {
      const entry = this.postEntries.get(postId);
      if (!entry?.record || entry.deletedAtMs !== undefined) continue;
      found.set(postId, {
        ...entry.record,
        popularity: entry.popularity,
        engagements: entry.engagements,
      });
    }
    return found;
  }

  async blogs(blogIds: readonly string[]): Promise<Map<string, BlogRecord>> {
    const found = new Map<string, BlogRecord>();
    for (const blogId of blogIds) {
      const blog = this.blogRecords.get(blogId);
      if (blog) found.set(blogId, blog);
    }
    return found;
  }

  async followedBlogs(userId: string, limit: number): Promise<string[]> {
    return (this.followsByUser.get(userId)?.follows.top(limit) ?? []).map((s) => s.id);
  }

  async blogPosts(blogIds: readonly string[], perBlog: number, sinceMs: number) {
    return perKey(blogIds, (blogId) => this.postsByBlog.get(blogId)?.top(perBlog, sinceMs));
  }

  async newBlogs(sinceMs: number, limit: number): Promise<Scored[]> {
    return this.newBlogIndex.top(limit, sinceMs);
  }

  async popularPosts(tag: string | undefined, limit: number): Promise<Scored[]> {
    const set = tag === undefined ? this.popular : this.popularByTag.get(tag);
    return set?.top(limit) ?? [];
  }

  async recentTagPosts(tags: readonly string[], perTag: number) {
    return perKey(tags, (tag) => this.recentByTag.get(tag)?.top(perTag));
  }

  async userTags(userId: string, limit: number): Promise<Scored[]> {
    return this.tagsByUser.get(userId)?.top(limit) ?? [];
  }

  async recentEngagements(userIds: readonly string[], perUser: number) {
    return perKey(userIds, (userId) => this.engagementsByUser.get(userId)?.top(perUser));
  }

  async recentEngagers(postIds: readonly string[], perPost: number) {
    return perKey(postIds, (postId) => this.engagersByPost.get(postId)?.top(perPost));
  }

  async activeTrendSubjects(subject: TrendSubject, limit: number): Promise<Scored[]> {
    return this.activeTrend[subject].top(limit);
  }

  async trendCounts(subject: TrendSubject, ids: readonly string[], width: BucketWidth) {
    const counts = new Map<string, Map<number, number>>();
    for (const id of ids) counts.set(id, new Map(this.trendBuckets[subject][width].get(id)));
    return counts;
  }

  private countTrend(subject: TrendSubject, id: string, buckets: Record<BucketWidth, number>) {
    for (const width of ['5m', '1h'] as const) {
      const byId = this.trendBuckets[subject][width];
      let counts = byId.get(id);
      if (!counts) {
        counts = new Map();
        byId.set(id, counts);
      }
      counts.set(buckets[width], (counts.get(buckets[width]) ?? 0) + 1);
      pruneBuckets(counts, this.limits.trendBuckets[width]);
    }
  }
}

function setIn(map: Map<string, ScoredSet>, key: string): ScoredSet {
  let set = map.get(key);
  if (!set) {
    set = new ScoredSet();
    map.set(key, set);
  }
  return set;
}

function addLog(current: number | undefined, increment: number): number {
  return current === undefined ? increment : logSumExp(current, increment);
}

function logAdd(set: ScoredSet, member: string, increment: number, cap: number): void {
  set.set(member, addLog(set.get(member), increment));
  set.trim(cap);
}

function perKey(
  keys: readonly string[],
  read: (key: string) => Scored[] | undefined,
): Map<string, Scored[]> {
  return new Map(keys.map((key) => [key, read(key) ?? []]));
}
