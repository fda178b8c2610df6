import {
  DEFAULT_STORE_LIMITS,
  type BlogRecord,
  type BucketWidth,
  type CandidateStore,
  type CoEngagementWalk,
  type PostInfo,
  type PostStats,
  type EngagementWrite,
  type PostForWrite,
  type PostRecord,
  type PostState,
  type Scored,
  type SessionWalk,
  type StoreLimits,
  type TrendSubject,
} from './candidate-store.js';
import { TopK } from '@feedmesh/embeddings';
import { logSumExp } from './decay.js';
import { Interner } from './interner.js';
import { ScoredSet } from './scored-set.js';
import { SlabLists } from './slab-lists.js';
import { TextPool } from './text-pool.js';
import { PRUNE_SLACK } from './trend-buckets.js';

/** Sizes of the indexes, for benchmarks and the state-size gauge. */
export interface CandidateStoreStats {
  readonly posts: number;
  readonly livePosts: number;
  readonly users: number;
  readonly blogs: number;
  readonly tags: number;
  /** Entries of the per-entity lists (engagers, engagements, follows, tags, buckets). */
  readonly listEntries: number;
  /** Bytes held by the typed arrays and text (not counting the id strings and maps). */
  readonly arrayBytes: number;
}

const WIDTHS = ['5m', '1h'] as const;

/**
 * The in-process indexes: every index the sources read, with the caps of `StoreLimits`.
 *
 * Built for the large world (a million posts): ids are interned to numbers, per-post data
 * sits in typed-array columns, summaries in a text pool, and every short per-entity list in
 * `SlabLists`, so the heap holds few objects and the collector's pauses stay short. Only the
 * capped global rankings (popular, per-tag popular, new blogs, active trend subjects) are
 * `ScoredSet`s.
 *
 * Ordering follows Redis sorted sets, which the indexes were first written for: ties read
 * in descending member order and trims drop the lowest score, then the smallest member.
 */
export class InMemoryCandidateStore implements CandidateStore {
  private readonly limits: StoreLimits;
  private readonly postIds = new Interner();
  private readonly userIds = new Interner();
  private readonly blogIds = new Interner();
  private readonly tagIds = new Interner();
  private readonly text = new TextPool();

  // Per post, by interned number. NaN: not known (no PostCreated yet, no popularity).
  private postBlog = new Int32Array(1 << 12).fill(-1);
  private postCreated = new Float64Array(1 << 12).fill(NaN);
  private postPopularity = new Float64Array(1 << 12).fill(NaN);
  private postEngagements = new Int32Array(1 << 12);
  private postDeletedAt = new Float64Array(1 << 12);
  private postReblogOf = new Int32Array(1 << 12).fill(-1);
  private postSummary = new Float64Array(1 << 12);
  /** (tag, 0) per post, in the post's order. */
  private readonly postTags = new SlabLists();

  private readonly blogRecords = new Map<string, BlogRecord>();
  /** (post, created) per blog and per tag, oldest first: the newest are read from the end. */
  private readonly blogPostLists = new SlabLists();
  private readonly tagRecentLists = new SlabLists();
  /** (blog, at) per user: current follows, and unfollows remembered as tombstones. */
  private readonly follows = new SlabLists();
  private readonly unfollows = new SlabLists();
  /** (blog, at) per user: blocked blogs and unblock tombstones; (post, at): hidden posts. */
  private readonly blocks = new SlabLists();
  private readonly unblocks = new SlabLists();
  private readonly hidden = new SlabLists();
  /** (tag, affinity log-score) per user. */
  private readonly userTagLists = new SlabLists();
  /** (post, at) per user and (user, at) per post: the latest co-engagement. */
  private readonly userRecent = new SlabLists();
  private readonly postEngagers = new SlabLists();
  /** (bucket, count) per subject and width. */
  private readonly buckets: Record<TrendSubject, Record<BucketWidth, SlabLists>> = {
    tag: { '5m': new SlabLists(), '1h': new SlabLists() },
    post: { '5m': new SlabLists(), '1h': new SlabLists() },
  };

  private readonly newBlogIndex = new ScoredSet();
  private readonly popular = new ScoredSet();
  private readonly popularByTag = new Map<string, ScoredSet>();
  private readonly activeTrend: Record<TrendSubject, ScoredSet> = {
    tag: new ScoredSet(),
    post: new ScoredSet(),
  };

  /**
   * The posts `posts` handed out lately, by slot, reused until the post changes, when
   * `limits.postCache` is above 0 (it is 0 by default): a Generate reads about 4,000 posts,
   * each built afresh (an object and a tags array) otherwise. A reused post is old, so a
   * scavenge passes over it, but on a world too large to keep every post every one the cache
   * takes is copied and promoted once, which doubled the scavenges' pauses (BENCHMARKS.md, "Posts
   * reused across calls"). An engagement updates its popularity and count in place; a write
   * or deletion drops it. Emptied whenever it holds `limits.postCache` posts.
   *
   * Kept dense (slots 0 to the highest cached one, undefined where nothing is cached; emptied
   * by `fill`, grown by `push`): a write far past the end of a JS array, as the first read
   * after emptying it with `= []` made, turns it into a hash table for good. Every later read
   * and write then hashes, and clearing a new post's slot adds an entry, so the "cache" grew
   * with every post created.
   */
  private readonly postStates: (Mutable<PostState> | undefined)[] = [];
  private postStatesHeld = 0;

  constructor(limits: Partial<StoreLimits> = {}) {
    this.limits = { ...DEFAULT_STORE_LIMITS, ...limits };
  }

  stats(): CandidateStoreStats {
    let live = 0;
    for (let p = 0; p < this.postIds.size; p++) {
      if (!Number.isNaN(this.postCreated[p]!) && this.postDeletedAt[p] === 0) live++;
    }
    const lists = [
      this.postTags,
      this.blogPostLists,
      this.tagRecentLists,
      this.follows,
      this.unfollows,
      this.blocks,
      this.unblocks,
      this.hidden,
      this.userTagLists,
      this.userRecent,
      this.postEngagers,
      ...WIDTHS.flatMap((w) => [this.buckets.tag[w], this.buckets.post[w]]),
    ].map((list) => list.stats());
    const columns = this.postBlog.length * (4 + 8 + 8 + 4 + 8 + 4 + 8);
    return {
      posts: this.postIds.size,
      livePosts: live,
      users: this.userIds.size,
      blogs: this.blogIds.size,
      tags: this.tagIds.size,
      listEntries: lists.reduce((sum, s) => sum + s.entries, 0),
      arrayBytes: columns + this.text.bytes + lists.reduce((sum, s) => sum + s.bytes, 0),
    };
  }

  async putPost(post: PostRecord): Promise<boolean> {
    const p = this.internPost(post.postId);
    // Deleted, or stored already: the first PostCreated wins (see CandidateStore.putPost).
    if (this.postDeletedAt[p] !== 0 || !Number.isNaN(this.postCreated[p]!)) return false;
    if (p < this.postStates.length) this.postStates[p] = undefined;
    const blog = this.blogIds.intern(post.blogId);
    this.postBlog[p] = blog;
    this.postCreated[p] = post.createdAtMs;
    this.postReblogOf[p] = post.reblogOf === '' ? -1 : this.internPost(post.reblogOf);
    this.postSummary[p] = this.text.add(post.summary);
    this.postTags.clear(p);
    for (const tag of post.tags) this.postTags.push(p, this.tagIds.intern(tag), 0);
    this.addSorted(
      this.blogPostLists,
      blog,
      p,
      post.createdAtMs,
      this.postIds,
      this.limits.postsPerBlog,
    );
    for (const tag of post.tags) {
      const t = this.tagIds.find(tag);
      this.addSorted(
        this.tagRecentLists,
        t,
        p,
        post.createdAtMs,
        this.postIds,
        this.limits.recentPostsPerTag,
      );
    }
    return true;
  }

  async deletePost(postId: string, atMs: number): Promise<void> {
    const p = this.internPost(postId);
    if (this.postDeletedAt[p] !== 0) return;
    const blog = this.postBlog[p]!;
    if (blog !== -1) removeKey(this.blogPostLists, blog, p);
    for (let i = 0; i < this.postTags.length(p); i++) {
      const t = this.postTags.key(p, i);
      removeKey(this.tagRecentLists, t, p);
      this.popularByTag.get(this.tagIds.name(t))?.delete(postId);
    }
    this.popular.delete(postId);
    this.activeTrend.post.delete(postId);
    this.postEngagers.clear(p);
    for (const width of WIDTHS) this.buckets.post[width].clear(p);
    this.postTags.clear(p);
    if (p < this.postStates.length) this.postStates[p] = undefined;
    this.postBlog[p] = -1;
    this.postCreated[p] = NaN;
    this.postPopularity[p] = NaN;
    this.postEngagements[p] = 0;
    this.postDeletedAt[p] = atMs;
  }

  async putBlog(blog: BlogRecord): Promise<void> {
    this.blogIds.intern(blog.blogId);
    this.blogRecords.set(blog.blogId, blog);
    this.newBlogIndex.set(blog.blogId, blog.createdAtMs);
    this.newBlogIndex.trim(this.limits.newBlogs);
  }

  async setFollow(userId: string, blogId: string, atMs: number, following: boolean) {
    this.setEdge(
      this.follows,
      this.unfollows,
      this.limits.followsPerUser,
      userId,
      blogId,
      atMs,
      following,
    );
  }

  async setBlock(userId: string, blogId: string, atMs: number, blocked: boolean) {
    this.setEdge(
      this.blocks,
      this.unblocks,
      this.limits.blocksPerUser,
      userId,
      blogId,
      atMs,
      blocked,
    );
  }

  /**
   * Turns a user's edge to a blog (a follow, a block) on or off, the latest event winning:
   * `on` holds the edges with when they were made, `off` a tombstone for each one undone, so an
   * older event that arrives late changes nothing. An undo at the very instant of its edge wins.
   */
  private setEdge(
    on: SlabLists,
    off: SlabLists,
    perUser: number,
    userId: string,
    blogId: string,
    atMs: number,
    active: boolean,
  ): void {
    const u = this.userIds.intern(userId);
    const b = this.blogIds.intern(blogId);
    const onIndex = on.indexOf(u, b);
    const offIndex = off.indexOf(u, b);
    const onAt = onIndex === -1 ? -1 : on.value(u, onIndex);
    const offAt = offIndex === -1 ? -1 : off.value(u, offIndex);
    if (active) {
      if (atMs <= onAt || atMs <= offAt) return;
      if (onIndex === -1) on.push(u, b, atMs);
      else on.setValue(u, onIndex, atMs);
      if (offIndex !== -1) off.removeAt(u, offIndex);
    } else {
      if (atMs < onAt || atMs <= offAt) return;
      if (onIndex !== -1) on.removeAt(u, onIndex);
      if (offIndex === -1) off.push(u, b, atMs);
      else off.setValue(u, offIndex, atMs);
    }
    this.trimLowest(on, u, this.blogIds, perUser);
    this.trimLowest(off, u, this.blogIds, perUser);
  }

  async hidePost(userId: string, postId: string, atMs: number): Promise<void> {
    const u = this.userIds.intern(userId);
    const p = this.internPost(postId);
    this.raiseSorted(this.hidden, u, p, atMs, this.postIds, this.limits.hiddenPostsPerUser);
  }

  async hiddenFrom(userId: string): Promise<{ blogs: Set<string>; posts: Set<string> }> {
    const u = this.userIds.find(userId);
    const blogs = new Set<string>();
    const posts = new Set<string>();
    for (let i = 0; u !== -1 && i < this.blocks.length(u); i++) {
      blogs.add(this.blogIds.name(this.blocks.key(u, i)));
    }
    for (let i = 0; u !== -1 && i < this.hidden.length(u); i++) {
      posts.add(this.postIds.name(this.hidden.key(u, i)));
    }
    return { blogs, posts };
  }

  async postForWrite(postId: string): Promise<PostForWrite> {
    const p = this.postIds.find(postId);
    if (p === -1) return { state: 'unknown' };
    if (this.postDeletedAt[p] !== 0) return { state: 'deleted' };
    const post = this.info(p);
    return post ? { state: 'live', post } : { state: 'unknown' };
  }

  async recordEngagement(e: EngagementWrite): Promise<void> {
    const p = this.internPost(e.postId);
    if (this.postDeletedAt[p] !== 0) return;
    if (e.popularity !== undefined) {
      this.postPopularity[p] = addLog(this.postPopularity[p]!, e.popularity);
      this.postEngagements[p]! += 1;
      const state = p < this.postStates.length ? this.postStates[p] : undefined;
      if (state !== undefined) {
        const popularity = this.postPopularity[p]!;
        state.popularity = Number.isNaN(popularity) ? undefined : popularity;
        state.engagements = this.postEngagements[p]!;
      }
      logAdd(this.popular, e.postId, e.popularity, this.limits.popularPosts);
    }
    if (e.coEngagement) {
      const u = this.userIds.intern(e.userId);
      this.raiseSorted(this.userRecent, u, p, e.atMs, this.postIds, this.limits.engagementsPerUser);
      this.raiseSorted(this.postEngagers, p, u, e.atMs, this.userIds, this.limits.engagersPerPost);
    }
    if (e.trend) {
      this.countTrend('post', p, e.trend.buckets);
      logAdd(this.activeTrend.post, e.postId, e.trend.activity, this.limits.trendPosts);
    }
    this.creditTagsOf(e);
  }

  async creditTags(e: EngagementWrite): Promise<void> {
    const p = this.postIds.find(e.postId);
    if (p === -1 || this.postDeletedAt[p] !== 0) return;
    this.creditTagsOf(e);
  }

  /** What an engagement adds to its post's tags: popularity and trend, the user's affinity. */
  private creditTagsOf(e: EngagementWrite): void {
    if (e.tags.length === 0) return;
    if (e.popularity !== undefined) {
      for (const tag of e.tags) {
        let set = this.popularByTag.get(tag);
        if (!set) this.popularByTag.set(tag, (set = new ScoredSet()));
        logAdd(set, e.postId, e.popularity, this.limits.popularPostsPerTag);
      }
    }
    if (e.affinity !== undefined) {
      const u = this.userIds.intern(e.userId);
      for (const tag of e.tags) {
        const t = this.tagIds.intern(tag);
        const i = this.userTagLists.indexOf(u, t);
        if (i === -1) this.userTagLists.push(u, t, e.affinity);
        else this.userTagLists.setValue(u, i, logSumExp(this.userTagLists.value(u, i), e.affinity));
        this.trimLowest(this.userTagLists, u, this.tagIds, this.limits.tagsPerUser);
      }
    }
    if (e.trend) {
      for (const tag of e.tags) {
        this.countTrend('tag', this.tagIds.intern(tag), e.trend.buckets);
        logAdd(this.activeTrend.tag, tag, e.trend.activity, this.limits.trendTags);
      }
    }
  }

  async posts(postIds: readonly string[]): Promise<Map<string, PostState>> {
    const found = new Map<string, PostState>();
    for (const postId of postIds) {
      const p = this.postIds.find(postId);
      if (p === -1 || this.postDeletedAt[p] !== 0) continue;
      const createdAtMs = this.postCreated[p]!;
      if (Number.isNaN(createdAtMs)) continue;
      let state = p < this.postStates.length ? this.postStates[p] : undefined;
      if (state === undefined) {
        const popularity = this.postPopularity[p]!;
        const reblog = this.postReblogOf[p]!;
        state = {
          postId,
          blogId: this.blogIds.name(this.postBlog[p]!),
          tags: this.tagNames(p),
          createdAtMs,
          reblogOf: reblog === -1 ? '' : this.postIds.name(reblog),
          popularity: Number.isNaN(popularity) ? undefined : popularity,
          engagements: this.postEngagements[p]!,
        };
        this.keepPostState(p, state);
      }
      found.set(postId, state);
    }
    return found;
  }

  private keepPostState(p: number, state: Mutable<PostState>): void {
    const cache = this.limits.postCache;
    if (cache <= 0) return;
    if (this.postStatesHeld >= cache) {
      this.postStates.fill(undefined);
      this.postStatesHeld = 0;
    }
    while (this.postStates.length <= p) this.postStates.push(undefined);
    this.postStates[p] = state;
    this.postStatesHeld += 1;
  }

  /** Whether the post was created and not deleted. */
  isLive(postId: string): boolean {
    const p = this.postIds.find(postId);
    return p !== -1 && this.postDeletedAt[p] === 0 && !Number.isNaN(this.postCreated[p]!);
  }

  async postStats(postIds: readonly string[]): Promise<PostStats> {
    const popularity = new Float64Array(postIds.length).fill(NaN);
    const createdAtMs = new Float64Array(postIds.length).fill(NaN);
    postIds.forEach((postId, i) => {
      const p = this.postIds.find(postId);
      if (p === -1 || this.postDeletedAt[p] !== 0) return;
      popularity[i] = this.postPopularity[p]!;
      createdAtMs[i] = this.postCreated[p]!;
    });
    return { popularity, createdAtMs };
  }

  async summaries(postIds: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (const postId of postIds) {
      const p = this.postIds.find(postId);
      if (p === -1 || this.postDeletedAt[p] !== 0 || Number.isNaN(this.postCreated[p]!)) continue;
      found.set(postId, this.text.get(this.postSummary[p]!));
    }
    return found;
  }

  async coEngagementWalk(
    userId: string,
    walk: CoEngagementWalk,
    exclude: ReadonlySet<string>,
    limit: number,
  ): Promise<Scored[]> {
    const u = this.userIds.find(userId);
    if (u === -1 || limit <= 0) return [];
    const scratch = this.walkScratch();
    const { reach, arrival, mark, users, posts } = scratch;
    users.length = 0;
    posts.length = 0;
    const stamp = ++scratch.stamp;
    // Everything the user engaged with (the seeds and older) and excluded posts are marked, so
    // the last step skips them without a lookup.
    const seedCount = Math.min(walk.seeds, this.userRecent.length(u));
    for (let i = 0; i < this.userRecent.length(u); i++) mark[this.userRecent.key(u, i)] = stamp;
    for (const postId of exclude) {
      const p = this.postIds.find(postId);
      if (p !== -1) mark[p] = stamp;
    }
    // Step 2: seed → engager.
    for (let i = this.userRecent.length(u) - seedCount; i < this.userRecent.length(u); i++) {
      const seed = this.userRecent.key(u, i);
      const n = this.postEngagers.length(seed);
      const from = Math.max(0, n - walk.engagersPerSeed);
      let others = 0;
      for (let j = from; j < n; j++) if (this.postEngagers.key(seed, j) !== u) others++;
      for (let j = from; j < n; j++) {
        const v = this.postEngagers.key(seed, j);
        if (v === u) continue;
        if (reach[v] === 0) users.push(v);
        reach[v]! += 1 / others;
      }
    }
    const strongest = new TopK(Math.min(walk.maxEngagers, users.length));
    for (const v of users) strongest.offer(reach[v]!, v);
    // Step 3: engager → post.
    for (let i = 0; i < strongest.size; i++) {
      const v = strongest.slots[i]!;
      const n = this.userRecent.length(v);
      const from = Math.max(0, n - walk.postsPerEngager);
      const share = reach[v]! / (n - from);
      for (let j = from; j < n; j++) {
        const q = this.userRecent.key(v, j);
        if (mark[q] === stamp) continue;
        if (arrival[q] === 0) posts.push(q);
        arrival[q]! += share;
      }
    }
    for (const v of users) reach[v] = 0;
    const damped = dampingPowers(walk.damping);
    const best = new TopK(Math.min(limit, posts.length));
    for (const q of posts) {
      const weight = arrival[q]!;
      arrival[q] = 0;
      if (this.postDeletedAt[q] !== 0 || Number.isNaN(this.postCreated[q]!)) continue;
      best.offer(weight / damped(this.postEngagements[q]!), q);
    }
    return best
      .sorted()
      .map(({ slot, score }) => ({ id: this.postIds.name(slot), score }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
  }

  async sessionWalk(
    userId: string,
    walk: SessionWalk,
    exclude: ReadonlySet<string>,
    limit: number,
  ): Promise<Scored[]> {
    const u = this.userIds.find(userId);
    if (u === -1 || limit <= 0 || walk.window < 1) return [];
    const scratch = this.walkScratch();
    const { arrival, mark, posts } = scratch;
    posts.length = 0;
    const stamp = ++scratch.stamp;
    const mine = this.userRecent;
    const seedsEnd = mine.length(u);
    const seedsFrom = Math.max(0, seedsEnd - walk.seeds);
    // Everything the user engaged with is marked, not only the seeds: never proposed back.
    for (let i = 0; i < seedsEnd; i++) mark[mine.key(u, i)] = stamp;
    for (const postId of exclude) {
      const p = this.postIds.find(postId);
      if (p !== -1) mark[p] = stamp;
    }
    const near = sessionWeights(walk.window);
    for (let i = seedsFrom; i < seedsEnd; i++) {
      const seed = mine.key(u, i);
      const n = this.postEngagers.length(seed);
      const from = Math.max(0, n - walk.engagersPerSeed);
      // Each seed hands out a total weight of 1 (a row-normalized transition), so a seed
      // with many engagers does not outvote the rest of the user's history.
      let total = 0;
      for (let j = from; j < n; j++) {
        const v = this.postEngagers.key(seed, j);
        if (v === u) continue;
        const at = this.positionOf(v, seed, this.postEngagers.value(seed, j));
        if (at === -1) continue;
        const len = mine.length(v);
        total += near.prefix[Math.min(walk.window, at)]!;
        total += near.prefix[Math.min(walk.window, len - 1 - at)]!;
      }
      if (total === 0) continue;
      for (let j = from; j < n; j++) {
        const v = this.postEngagers.key(seed, j);
        if (v === u) continue;
        const at = this.positionOf(v, seed, this.postEngagers.value(seed, j));
        if (at === -1) continue;
        const lo = Math.max(0, at - walk.window);
        const hi = Math.min(mine.length(v) - 1, at + walk.window);
        for (let k = lo; k <= hi; k++) {
          if (k === at) continue;
          const q = mine.key(v, k);
          if (mark[q] === stamp) continue;
          if (arrival[q] === 0) posts.push(q);
          arrival[q]! += near.weight[Math.abs(k - at)]! / total;
        }
      }
    }
    const damped = dampingPowers(walk.damping);
    const best = new TopK(Math.min(limit, posts.length));
    for (const q of posts) {
      const weight = arrival[q]!;
      arrival[q] = 0;
      if (this.postDeletedAt[q] !== 0 || Number.isNaN(this.postCreated[q]!)) continue;
      best.offer(weight / damped(this.postEngagements[q]!), q);
    }
    return best
      .sorted()
      .map(({ slot, score }) => ({ id: this.postIds.name(slot), score }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
  }

  /**
   * Where post `p`, engaged at `atMs`, sits in user `v`'s time-ordered engagements, or -1
   * (trimmed since): a binary search on the time, then a scan over equal times.
   */
  private positionOf(v: number, p: number, atMs: number): number {
    const list = this.userRecent;
    let lo = 0;
    let hi = list.length(v);
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list.value(v, mid) < atMs) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < list.length(v) && list.value(v, k) === atMs; k++) {
      if (list.key(v, k) === p) return k;
    }
    return -1;
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
    const u = this.userIds.find(userId);
    if (u === -1) return [];
    return this.descending(this.follows, u, this.blogIds, limit).map((s) => s.id);
  }

  async blogPosts(blogIds: readonly string[], perBlog: number, sinceMs: number) {
    const result = new Map<string, Scored[]>();
    for (const blogId of blogIds) {
      result.set(
        blogId,
        this.newest(this.blogPostLists, this.blogIds.find(blogId), perBlog, sinceMs),
      );
    }
    return result;
  }

  async newestOfBlogs(blogIds: readonly string[], limit: number, perBlog: number, sinceMs: number) {
    // A k-way merge from the newest end of each blog's oldest-first list: O(limit · log blogs)
    // however many posts the followed blogs hold.
    type Head = { blog: number; at: number; stop: number };
    const heads: Head[] = [];
    for (const blogId of blogIds) {
      const b = this.blogIds.find(blogId);
      const n = b === -1 ? 0 : this.blogPostLists.length(b);
      if (n > 0) heads.push({ blog: b, at: n - 1, stop: Math.max(0, n - perBlog) });
    }
    const later = (x: Head, y: Head) => {
      const tx = this.blogPostLists.value(x.blog, x.at);
      const ty = this.blogPostLists.value(y.blog, y.at);
      if (tx !== ty) return tx > ty;
      return (
        this.postIds.name(this.blogPostLists.key(x.blog, x.at)) >
        this.postIds.name(this.blogPostLists.key(y.blog, y.at))
      );
    };
    const heap = new BinaryHeap(heads, later);
    const result: Scored[] = [];
    while (result.length < limit && heap.size > 0) {
      const head = heap.peek();
      const at = this.blogPostLists.value(head.blog, head.at);
      if (at < sinceMs) break;
      result.push({ id: this.postIds.name(this.blogPostLists.key(head.blog, head.at)), score: at });
      if (head.at > head.stop) heap.replaceTop({ ...head, at: head.at - 1 });
      else heap.pop();
    }
    return result;
  }

  async newBlogs(sinceMs: number, limit: number): Promise<Scored[]> {
    return this.newBlogIndex.top(limit, sinceMs);
  }

  async popularPosts(tag: string | undefined, limit: number): Promise<Scored[]> {
    const set = tag === undefined ? this.popular : this.popularByTag.get(tag);
    return set?.top(limit) ?? [];
  }

  async recentTagPosts(tags: readonly string[], perTag: number, sinceMs = -Infinity) {
    const result = new Map<string, Scored[]>();
    for (const tag of tags) {
      result.set(tag, this.newest(this.tagRecentLists, this.tagIds.find(tag), perTag, sinceMs));
    }
    return result;
  }

  async userTags(userId: string, limit: number): Promise<Scored[]> {
    const u = this.userIds.find(userId);
    return u === -1 ? [] : this.descending(this.userTagLists, u, this.tagIds, limit);
  }

  async recentEngagements(userIds: readonly string[], perUser: number) {
    const result = new Map<string, Scored[]>();
    for (const userId of userIds) {
      const u = this.userIds.find(userId);
      result.set(userId, this.newest(this.userRecent, u, perUser, -Infinity));
    }
    return result;
  }

  async recentEngagers(postIds: readonly string[], perPost: number) {
    const result = new Map<string, Scored[]>();
    for (const postId of postIds) {
      const p = this.postIds.find(postId);
      result.set(postId, this.newest(this.postEngagers, p, perPost, -Infinity, this.userIds));
    }
    return result;
  }

  async activeTrendSubjects(subject: TrendSubject, limit: number): Promise<Scored[]> {
    return this.activeTrend[subject].top(limit);
  }

  async trendCounts(subject: TrendSubject, ids: readonly string[], width: BucketWidth) {
    const lists = this.buckets[subject][width];
    const interner = subject === 'tag' ? this.tagIds : this.postIds;
    const counts = new Map<string, Map<number, number>>();
    for (const id of ids) {
      const owner = interner.find(id);
      const byBucket = new Map<number, number>();
      for (let i = 0; owner !== -1 && i < lists.length(owner); i++) {
        byBucket.set(lists.key(owner, i), lists.value(owner, i));
      }
      counts.set(id, byBucket);
    }
    return counts;
  }

  private scratch:
    | {
        reach: Float64Array;
        arrival: Float64Array;
        mark: Int32Array;
        stamp: number;
        users: number[];
        posts: number[];
      }
    | undefined;

  /** Per-user and per-post accumulators for the walk, reused (and zeroed after each use). */
  private walkScratch() {
    const users = this.userIds.size;
    const posts = this.postBlog.length;
    const s = this.scratch;
    if (s && s.reach.length >= users && s.arrival.length >= posts) return s;
    this.scratch = {
      reach: new Float64Array(Math.max(users * 2, 1024)),
      arrival: new Float64Array(posts),
      mark: new Int32Array(posts),
      stamp: 0,
      users: [],
      posts: [],
    };
    return this.scratch;
  }

  private internPost(postId: string): number {
    const p = this.postIds.intern(postId);
    if (p >= this.postBlog.length) {
      const size = this.postBlog.length * 2;
      this.postBlog = grow(this.postBlog, size, -1);
      this.postCreated = grow(this.postCreated, size, NaN);
      this.postPopularity = grow(this.postPopularity, size, NaN);
      this.postEngagements = grow(this.postEngagements, size, 0);
      this.postDeletedAt = grow(this.postDeletedAt, size, 0);
      this.postReblogOf = grow(this.postReblogOf, size, -1);
      this.postSummary = grow(this.postSummary, size, 0);
    }
    return p;
  }

  private tagNames(p: number): string[] {
    const tags: string[] = [];
    for (let i = 0; i < this.postTags.length(p); i++) {
      tags.push(this.tagIds.name(this.postTags.key(p, i)));
    }
    return tags;
  }

  private info(p: number): PostInfo | undefined {
    const createdAtMs = this.postCreated[p]!;
    if (Number.isNaN(createdAtMs)) return undefined;
    const reblog = this.postReblogOf[p]!;
    return {
      postId: this.postIds.name(p),
      blogId: this.blogIds.name(this.postBlog[p]!),
      tags: this.tagNames(p),
      createdAtMs,
      reblogOf: reblog === -1 ? '' : this.postIds.name(reblog),
    };
  }

  /**
   * Inserts in (value, member) order into an ascending list, or moves the key there when it
   * is already listed, then drops the lowest entries past `cap`.
   */
  private addSorted(
    lists: SlabLists,
    owner: number,
    key: number,
    value: number,
    names: Interner,
    cap: number,
  ) {
    const existing = lists.indexOf(owner, key);
    if (existing !== -1) lists.removeAt(owner, existing);
    const name = names.name(key);
    let lo = 0;
    let hi = lists.length(owner);
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const v = lists.value(owner, mid);
      if (v < value || (v === value && names.name(lists.key(owner, mid)) < name)) lo = mid + 1;
      else hi = mid;
    }
    lists.insertAt(owner, lo, key, value);
    const excess = lists.length(owner) - cap;
    if (excess > 0) lists.removeFirst(owner, excess);
  }

  /** ZADD GT on an ascending list: adds the key or raises its value, never lowers it. */
  private raiseSorted(
    lists: SlabLists,
    owner: number,
    key: number,
    value: number,
    names: Interner,
    cap: number,
  ) {
    const i = lists.indexOf(owner, key);
    if (i !== -1 && value <= lists.value(owner, i)) return;
    this.addSorted(lists, owner, key, value, names, cap);
  }

  /** The newest `limit` entries of an oldest-first list at or after `sinceMs`, newest first. */
  private newest(
    lists: SlabLists,
    owner: number,
    limit: number,
    sinceMs: number,
    names: Interner = this.postIds,
  ): Scored[] {
    const result: Scored[] = [];
    if (owner === -1) return result;
    for (let i = lists.length(owner) - 1; i >= 0 && result.length < limit; i--) {
      const score = lists.value(owner, i);
      if (score < sinceMs) break;
      result.push({ id: names.name(lists.key(owner, i)), score });
    }
    return result;
  }

  /** The entries of an unordered list, highest value first (ties: member descending). */
  private descending(lists: SlabLists, owner: number, names: Interner, limit: number): Scored[] {
    const entries: Scored[] = [];
    for (let i = 0; i < lists.length(owner); i++) {
      entries.push({ id: names.name(lists.key(owner, i)), score: lists.value(owner, i) });
    }
    entries.sort((a, b) => b.score - a.score || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    return entries.length > limit ? entries.slice(0, limit) : entries;
  }

  /** Drops the lowest values (ties: the smallest member) until `cap` are left. */
  private trimLowest(lists: SlabLists, owner: number, names: Interner, cap: number) {
    while (lists.length(owner) > cap) {
      let lowest = 0;
      for (let i = 1; i < lists.length(owner); i++) {
        const v = lists.value(owner, i);
        const low = lists.value(owner, lowest);
        if (
          v < low ||
          (v === low && names.name(lists.key(owner, i)) < names.name(lists.key(owner, lowest)))
        ) {
          lowest = i;
        }
      }
      lists.removeAt(owner, lowest);
    }
  }

  private countTrend(subject: TrendSubject, owner: number, buckets: Record<BucketWidth, number>) {
    for (const width of WIDTHS) {
      const lists = this.buckets[subject][width];
      const bucket = buckets[width];
      const i = lists.indexOf(owner, bucket);
      if (i === -1) lists.push(owner, bucket, 1);
      else lists.setValue(owner, i, lists.value(owner, i) + 1);
      const keep = this.limits.trendBuckets[width];
      if (lists.length(owner) <= keep + PRUNE_SLACK) continue;
      let newest = -Infinity;
      for (let j = 0; j < lists.length(owner); j++) newest = Math.max(newest, lists.key(owner, j));
      for (let j = lists.length(owner) - 1; j >= 0; j--) {
        if (lists.key(owner, j) <= newest - keep) lists.removeAt(owner, j);
      }
    }
  }
}

const sessionWeightCache = new Map<number, { weight: Float64Array; prefix: Float64Array }>();

/** 1/sqrt(d) for d = 1..window (weight[d]), and their running sums (prefix[d]). */
function sessionWeights(window: number): { weight: Float64Array; prefix: Float64Array } {
  let cached = sessionWeightCache.get(window);
  if (!cached) {
    const weight = new Float64Array(window + 1);
    const prefix = new Float64Array(window + 1);
    for (let d = 1; d <= window; d++) {
      weight[d] = 1 / Math.sqrt(d);
      prefix[d] = prefix[d - 1]! + weight[d]!;
    }
    cached = { weight, prefix };
    sessionWeightCache.set(window, cached);
  }
  return cached;
}

const dampingCache = new Map<number, Float64Array>();
const DAMPING_TABLE_SIZE = 4096;

/**
 * n ↦ max(1, n)^β, from a table for the engagement counts most posts have: a walk damps
 * up to ten thousand posts a request, and Math.pow was a visible part of it. Same values as
 * computing it each time, so the same ranking.
 */
function dampingPowers(damping: number): (engagements: number) => number {
  let table = dampingCache.get(damping);
  if (!table) {
    table = new Float64Array(DAMPING_TABLE_SIZE);
    for (let n = 0; n < DAMPING_TABLE_SIZE; n++) table[n] = Math.pow(Math.max(1, n), damping);
    dampingCache.set(damping, table);
  }
  const powers = table;
  return (n) => (n < DAMPING_TABLE_SIZE ? powers[n]! : Math.pow(n, damping));
}

/** A binary heap ordered by `first` (true when a comes before b). */
class BinaryHeap<T> {
  private readonly items: T[];

  constructor(
    items: T[],
    private readonly first: (a: T, b: T) => boolean,
  ) {
    this.items = items;
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  get size(): number {
    return this.items.length;
  }

  peek(): T {
    return this.items[0]!;
  }

  pop(): void {
    const last = this.items.pop()!;
    if (this.items.length > 0) {
      this.items[0] = last;
      this.down(0);
    }
  }

  replaceTop(item: T): void {
    this.items[0] = item;
    this.down(0);
  }

  private down(i: number): void {
    const items = this.items;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) return;
      const right = left + 1;
      const child = right < items.length && this.first(items[right]!, items[left]!) ? right : left;
      if (!this.first(items[child]!, items[i]!)) return;
      [items[i], items[child]] = [items[child]!, items[i]!];
      i = child;
    }
  }
}

function removeKey(lists: SlabLists, owner: number, key: number): void {
  const i = lists.indexOf(owner, key);
  if (i !== -1) lists.removeAt(owner, i);
}

function addLog(current: number, increment: number): number {
  return Number.isNaN(current) ? increment : logSumExp(current, increment);
}

function logAdd(set: ScoredSet, member: string, increment: number, cap: number): void {
  const current = set.get(member);
  set.set(member, current === undefined ? increment : logSumExp(current, increment));
  set.trim(cap);
}

function grow<T extends Int32Array | Float64Array>(array: T, size: number, fill: number): T {
  const grown = new (array.constructor as new (n: number) => T)(size);
  grown.fill(fill);
  grown.set(array);
  return grown;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
