/**
 * The indexes candidate generation keeps, behind one small interface (the contract suite,
 * `candidate-store.contract.ts`, holds implementations to it). The service keeps them in
 * process, rebuilt from the event log: see README "State" for why not Redis.
 *
 * Writes come from the event log and carry event times, so a replay builds the same state;
 * decisions that need configuration (half-lives, weights, what counts as trending) are made by
 * the `CandidateIndexer` before it calls the store, which only keeps what it is given.
 */

/** A post as PostCreated described it. */
export interface PostRecord {
  readonly postId: string;
  readonly blogId: string;
  /** Normalized (see `normalizeTag`), without duplicates. */
  readonly tags: readonly string[];
  readonly createdAtMs: number;
  /** Root post of a reblog; empty for an original. */
  readonly reblogOf: string;
  /** The first 280 characters of the text. */
  readonly summary: string;
}

/** A post as sources read it: everything but the summary, which only the answer needs. */
export type PostInfo = Omit<PostRecord, 'summary'>;

/** A live post with what engagement has taught about it. */
export interface PostState extends PostInfo {
  /** Forward-decayed popularity log-score (see decay.ts); undefined before any engagement. */
  readonly popularity: number | undefined;
  /** Positive engagements ever counted. */
  readonly engagements: number;
}

export interface PostStats {
  readonly popularity: Float64Array;
  readonly createdAtMs: Float64Array;
}

/** What an engagement needs to know about its post before it is recorded. */
export type PostForWrite =
  | { readonly state: 'live'; readonly post: PostInfo }
  | { readonly state: 'deleted' }
  /** Not created yet (or expired): the engagement may arrive before its PostCreated. */
  | { readonly state: 'unknown' };

export interface BlogRecord {
  readonly blogId: string;
  readonly ownerUserId: string;
  readonly name: string;
  readonly createdAtMs: number;
}

/** A member of an index with its score: a log-score or a time, as the method says. */
export interface Scored {
  readonly id: string;
  readonly score: number;
}

export type TrendSubject = 'tag' | 'post';

/** How far the co-engagement walk reaches; see `CoEngagementCandidateSource`. */
export interface CoEngagementWalk {
  /** The user's most recent engagements the walk starts from. */
  readonly seeds: number;
  /** Most recent engagers read per seed post. */
  readonly engagersPerSeed: number;
  /** Engagers followed at most: those the walk reaches with the most weight. */
  readonly maxEngagers: number;
  /** Most recent engagements read per engager. */
  readonly postsPerEngager: number;
  /** Popularity damping β: arrival weight / engagements^β. */
  readonly damping: number;
}

/** How far the session walk reaches (`SessionCandidateSource`). */
export interface SessionWalk {
  /** The user's most recent engagements the walk starts from. */
  readonly seeds: number;
  /** Most recent engagers read per seed post. */
  readonly engagersPerSeed: number;
  /**
   * Neighbours read on each side of the seed in an engager's time-ordered engagements; the
   * one d places away weighs 1/sqrt(d).
   */
  readonly window: number;
  /** Popularity damping β: arrival weight / engagements^β. */
  readonly damping: number;
}

/** Bucket widths for trend counts: fine buckets for short windows, coarse for long ones. */
export type BucketWidth = '5m' | '1h';

/**
 * One engagement as the indexer decided to record it. Absent parts are not recorded: a CLICK
 * adds popularity but is not a co-engagement, a HIDE adds nothing.
 */
export interface EngagementWrite {
  readonly userId: string;
  readonly postId: string;
  readonly atMs: number;
  /** The post's tags when it is known; empty when its PostCreated has not arrived yet. */
  readonly tags: readonly string[];
  /** Log-increment of the post's popularity (global, per tag and on the post). */
  readonly popularity?: number;
  /** Log-increment of the user's affinity to each of `tags`. */
  readonly affinity?: number;
  /** Remembers the user as an engager of the post and the post as one of the user's. */
  readonly coEngagement?: boolean;
  readonly trend?: {
    /** Bucket indexes (floor(atMs / width)) the engagement falls in. */
    readonly buckets: Readonly<Record<BucketWidth, number>>;
    /** Log-increment of the post's and tags' recent activity (picks what to score). */
    readonly activity: number;
  };
}

export interface CandidateStore {
  // Writes, from the event log.

  /**
   * Stores a post and indexes it under its blog and tags. False (nothing stored) when deleted,
   * or when the post is stored already: the first PostCreated of a post wins. No event edits a
   * post, so one delivered again (at least once), even with another blog or other tags (a
   * corrected event, an event id reused), changes nothing: its blog's and tags' lists are the
   * ones a delete cleans.
   */
  putPost(post: PostRecord): Promise<boolean>;
  /** Removes the post from every index and remembers it was deleted, so it is never re-created. */
  deletePost(postId: string, atMs: number): Promise<void>;
  putBlog(blog: BlogRecord): Promise<void>;
  /** Last write wins by `atMs`; at equal times an unfollow wins. */
  setFollow(userId: string, blogId: string, atMs: number, following: boolean): Promise<void>;
  postForWrite(postId: string): Promise<PostForWrite>;
  recordEngagement(engagement: EngagementWrite): Promise<void>;
  /**
   * Adds what `engagement`, recorded before its post was known (with no tags), gives the post's
   * `tags` now that they are: the tags' popularity and trend and the user's affinity to them.
   * Nothing for a deleted or unknown post.
   */
  creditTags(engagement: EngagementWrite): Promise<void>;
  /** Last write wins by `atMs`; at equal times an unblock wins. */
  setBlock(userId: string, blogId: string, atMs: number, blocked: boolean): Promise<void>;
  /** The user asked to see less of the post ("show less"): it is never proposed to them again. */
  hidePost(userId: string, postId: string, atMs: number): Promise<void>;

  // Reads, for requests.

  /** Live posts among `postIds`; deleted and unknown ones are left out. */
  posts(postIds: readonly string[]): Promise<Map<string, PostState>>;
  /**
   * What ranking needs of each post, in order, without building post objects: popularity
   * log-score (NaN before any engagement), creation time (NaN when unknown or deleted).
   */
  postStats(postIds: readonly string[]): Promise<PostStats>;
  /** The summaries of the live posts among `postIds`. */
  summaries(postIds: readonly string[]): Promise<Map<string, string>>;
  /**
   * The co-engagement walk (`CoEngagementCandidateSource`) run where the lists live: the
   * `limit` posts with the highest damped arrival weight, best first (score: that weight),
   * never a post the user engaged with (of their kept recent engagements, seeds or older), an
   * excluded post or a deleted one.
   */
  coEngagementWalk(
    userId: string,
    walk: CoEngagementWalk,
    exclude: ReadonlySet<string>,
    limit: number,
  ): Promise<Scored[]>;
  /**
   * The session walk (`SessionCandidateSource`): from each seed to what its engagers engaged
   * with just before and after it. The `limit` posts with the highest damped weight, best
   * first, never a post the user engaged with (seeds or older), an excluded post or a deleted one.
   */
  sessionWalk(
    userId: string,
    walk: SessionWalk,
    exclude: ReadonlySet<string>,
    limit: number,
  ): Promise<Scored[]>;
  blogs(blogIds: readonly string[]): Promise<Map<string, BlogRecord>>;
  /** What the user asked never to see: blogs they block and posts they hid. */
  hiddenFrom(userId: string): Promise<{ blogs: Set<string>; posts: Set<string> }>;
  /** Blogs the user follows, most recently followed first. */
  followedBlogs(userId: string, limit: number): Promise<string[]>;
  /** Per blog, its posts created at or after `sinceMs`, newest first (score: created time). */
  blogPosts(
    blogIds: readonly string[],
    perBlog: number,
    sinceMs: number,
  ): Promise<Map<string, Scored[]>>;
  /**
   * The newest `limit` posts created at or after `sinceMs` across the given blogs, at most
   * `perBlog` of each, newest first (score: created time): fan-out on read, merged where the
   * lists live.
   */
  newestOfBlogs(
    blogIds: readonly string[],
    limit: number,
    perBlog: number,
    sinceMs: number,
  ): Promise<Scored[]>;
  /** Blogs created at or after `sinceMs`, newest first (score: created time). */
  newBlogs(sinceMs: number, limit: number): Promise<Scored[]>;
  /** Most popular posts (score: popularity log-score), globally or within one tag. */
  popularPosts(tag: string | undefined, limit: number): Promise<Scored[]>;
  /** Per tag, its newest posts (score: created time), none created before `sinceMs`. */
  recentTagPosts(
    tags: readonly string[],
    perTag: number,
    sinceMs?: number,
  ): Promise<Map<string, Scored[]>>;
  /** The user's strongest tags (score: affinity log-score). */
  userTags(userId: string, limit: number): Promise<Scored[]>;
  /** Per user, the posts they engaged with most recently (score: time). */
  recentEngagements(userIds: readonly string[], perUser: number): Promise<Map<string, Scored[]>>;
  /** Per post, the users who engaged with it most recently (score: time). */
  recentEngagers(postIds: readonly string[], perPost: number): Promise<Map<string, Scored[]>>;
  /** Tags or posts with the most recent activity (score: activity log-score). */
  activeTrendSubjects(subject: TrendSubject, limit: number): Promise<Scored[]>;
  /** Per tag or post, its engagement counts by bucket index at the given width. */
  trendCounts(
    subject: TrendSubject,
    ids: readonly string[],
    width: BucketWidth,
  ): Promise<Map<string, Map<number, number>>>;
}

/** Caps and retention. Every index is capped; Redis keys also expire. */
export interface StoreLimits {
  /** Newest posts kept per blog. */
  readonly postsPerBlog: number;
  /** Newest posts kept per tag. */
  readonly recentPostsPerTag: number;
  /** Most popular posts kept per tag. */
  readonly popularPostsPerTag: number;
  /** Most popular posts kept globally. */
  readonly popularPosts: number;
  /** Newest blogs kept in the new-blog index. */
  readonly newBlogs: number;
  /** Most recent follows kept per user. */
  readonly followsPerUser: number;
  /** Strongest tags kept per user. */
  readonly tagsPerUser: number;
  /** Most recent engagements kept per user. */
  readonly engagementsPerUser: number;
  /** Most recently blocked blogs and hidden posts kept per user. */
  readonly blocksPerUser: number;
  readonly hiddenPostsPerUser: number;
  /** Most recent engagers kept per post. */
  readonly engagersPerPost: number;
  /** Most active tags and posts kept as trend candidates. */
  readonly trendTags: number;
  readonly trendPosts: number;
  /** Buckets of each width kept per tag or post. */
  readonly trendBuckets: Readonly<Record<BucketWidth, number>>;
  /** How long a post, blog, tag or user key lives after its last write (Redis TTL), ms. */
  readonly retentionMs: number;
  /** How long a deleted post is remembered, so a late PostCreated cannot bring it back, ms. */
  readonly tombstoneMs: number;
  /**
   * Post objects an in-process store keeps to hand out again, about 100 bytes each, emptied
   * whole when full. Default 0 (none): on the large world a cache of 200,000 or 2,000,000
   * saved no CPU per Generate and doubled each scavenge's pause, since every post it keeps
   * is copied and promoted (BENCHMARKS.md, "Posts reused across calls").
   */
  readonly postCache: number;
}

export const DAY_MS = 24 * 60 * 60 * 1000;

export const BUCKET_WIDTH_MS: Readonly<Record<BucketWidth, number>> = {
  '5m': 5 * 60 * 1000,
  '1h': 60 * 60 * 1000,
};

export const DEFAULT_STORE_LIMITS: StoreLimits = {
  postsPerBlog: 200,
  recentPostsPerTag: 1_000,
  popularPostsPerTag: 1_000,
  popularPosts: 10_000,
  newBlogs: 10_000,
  followsPerUser: 5_000,
  tagsPerUser: 200,
  engagementsPerUser: 100,
  blocksPerUser: 5_000,
  hiddenPostsPerUser: 1_000,
  engagersPerPost: 500,
  trendTags: 2_000,
  trendPosts: 5_000,
  // 5-minute buckets for a day, hourly ones for two weeks: windows up to 6 hours use the
  // former, up to 7 days the latter, each with at least as much history again as baseline.
  trendBuckets: { '5m': 288, '1h': 336 },
  retentionMs: 30 * DAY_MS,
  tombstoneMs: 7 * DAY_MS,
  postCache: 0,
};
