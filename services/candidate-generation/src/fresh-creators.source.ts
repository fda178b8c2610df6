import { commonv1 } from '@feedmesh/contracts';
import { blogLabel } from './blog-label.js';
import type {
  CandidateSource,
  ProposedCandidate,
  SourceBudget,
  SourceQuery,
} from './candidate-source.js';
import type { CandidateStore, Scored } from './candidate-store.js';
import { decayedValue, type HalfLife } from './decay.js';

const Surface = commonv1.Surface;

export interface FreshCreatorsSettings {
  /** A blog younger than this at request time is new, ms. */
  readonly maxAgeMs: number;
  readonly popularityHalfLife: HalfLife;
  /** Newest new blogs read per request. */
  readonly maxBlogs: number;
  /** Newest posts read per new blog: spreads exploration over many creators. */
  readonly postsPerBlog: number;
}

export const DEFAULT_FRESH_CREATORS_LIMITS = { maxBlogs: 500, postsPerBlog: 5 } as const;

/**
 * Posts ranked per request: a few times the budget, so "best-engaged first" has a choice
 * without hydrating every post of every new blog.
 */
const POOL_PER_CANDIDATE = 3;
const MIN_POOL = 150;
/** Reads of new blogs per request at most, when excluded posts leave the pool short. */
const MAX_READS = 3;

/**
 * Recent posts of new blogs, best-engaged first, newest first among equals: exploration, so
 * new creators get an audience before they have followers.
 */
export class FreshCreatorsCandidateSource implements CandidateSource {
  readonly name = 'fresh';
  readonly surfaces: ReadonlySet<commonv1.Surface> = new Set([
    Surface.SURFACE_DASHBOARD,
    Surface.SURFACE_FOR_YOU,
    Surface.SURFACE_EXPLORE,
  ]);

  constructor(
    private readonly store: CandidateStore,
    private readonly settings: FreshCreatorsSettings,
  ) {}

  async candidates(
    query: SourceQuery,
    budget: SourceBudget,
    signal: AbortSignal,
  ): Promise<ProposedCandidate[]> {
    const since = query.nowMs - this.settings.maxAgeMs;
    const pool = Math.max(POOL_PER_CANDIDATE * budget.maxCandidates, MIN_POOL);
    // No more blogs than pool slots at first: each one read contributes its newest post,
    // unless the user has seen (excluded) or hidden it. Such posts take no pool places; when
    // they leave the pool short and older new blogs exist, more blogs are read, twice as
    // many each round (bounded by maxBlogs and MAX_READS), only the ones not read before.
    // Blogs the user blocked are left out before the pool is drawn, so they take no places.
    const blocked = query.lookup.blockedBlogs;
    const postsOf = new Map<string, Scored[]>();
    let maxBlogs = Math.min(this.settings.maxBlogs, pool);
    let pooled: string[] = [];
    for (let round = 0; round < MAX_READS; round++) {
      const listed = await this.store.newBlogs(since, maxBlogs + blocked.size);
      const blogs = listed.filter((blog) => !blocked.has(blog.id)).slice(0, maxBlogs);
      if (blogs.length === 0) return [];
      signal.throwIfAborted();
      const unread = blogs.map((blog) => blog.id).filter((id) => !postsOf.has(id));
      if (unread.length > 0) {
        const byBlog = await this.store.blogPosts(unread, this.settings.postsPerBlog, since);
        for (const id of unread) postsOf.set(id, byBlog.get(id) ?? []);
      }
      pooled = roundRobin(
        blogs.map((blog) => postsOf.get(blog.id)!),
        pool,
        query.exclude,
      );
      const moreBlogs = listed.length >= maxBlogs + blocked.size;
      if (pooled.length >= pool || !moreBlogs || maxBlogs >= this.settings.maxBlogs) break;
      maxBlogs = Math.min(this.settings.maxBlogs, maxBlogs * 2);
    }
    // Ranked on the store's numbers first; only the best are read as posts.
    const stats = await this.store.postStats(pooled);
    const engagement = (i: number) => {
      const popularity = stats.popularity[i]!;
      return Number.isNaN(popularity)
        ? 0
        : decayedValue(popularity, query.nowMs, this.settings.popularityHalfLife);
    };
    const order = pooled
      .map((id, i) => ({ id, score: engagement(i), createdAtMs: stats.createdAtMs[i]! }))
      .filter(({ createdAtMs }) => !Number.isNaN(createdAtMs))
      .sort((a, b) => b.score - a.score || b.createdAtMs - a.createdAtMs || (a.id < b.id ? -1 : 1));
    const scores = new Map(order.map(({ id, score }) => [id, score]));
    const live = await query.lookup.firstLive(
      order.map(({ id }) => id),
      query.exclude,
      budget.maxCandidates,
      signal,
    );
    const ranked = live.map((post) => ({ post, score: scores.get(post.postId)! }));
    const names = await query.lookup.blogs([...new Set(ranked.map(({ post }) => post.blogId))]);
    return ranked.map(({ post, score }) => ({
      post,
      score,
      reason: `new creator ${blogLabel(post.blogId, names)}`,
    }));
  }
}

/**
 * Each blog's newest post (newest blogs first), then each one's second newest, and so on, up
 * to `limit` posts not in `exclude`: a bounded pool that still gives every new creator a chance.
 */
function roundRobin(
  perBlog: readonly Scored[][],
  limit: number,
  exclude: ReadonlySet<string>,
): string[] {
  const ids: string[] = [];
  for (let round = 0; ids.length < limit; round++) {
    let any = false;
    for (const posts of perBlog) {
      const entry = posts[round];
      if (!entry) continue;
      any = true;
      if (exclude.has(entry.id)) continue;
      ids.push(entry.id);
      if (ids.length >= limit) break;
    }
    if (!any) break;
  }
  return ids;
}
