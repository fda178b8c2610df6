import { commonv1 } from '@feedmesh/contracts';
import { blogLabel } from './blog-label.js';
import type {
  CandidateSource,
  ProposedCandidate,
  SourceBudget,
  SourceQuery,
} from './candidate-source.js';
import type { CandidateStore } from './candidate-store.js';
import { recency, type HalfLife } from './decay.js';

const Surface = commonv1.Surface;

export interface FollowingSettings {
  readonly recencyHalfLife: HalfLife;
  /** Posts older than this are not proposed, ms. */
  readonly maxAgeMs: number;
  /** Most recently followed blogs read per request. */
  readonly maxBlogs: number;
  /** Newest posts read per followed blog: also keeps one prolific blog from filling the budget. */
  readonly postsPerBlog: number;
}

export const DEFAULT_FOLLOWING_SETTINGS: Omit<FollowingSettings, 'recencyHalfLife' | 'maxAgeMs'> = {
  maxBlogs: 2_000,
  postsPerBlog: 50,
};

/**
 * Recent posts of the blogs the user follows, newest first. Fan-out on read: each blog keeps
 * its own newest posts and the request merges the followed blogs' lists, so a post reaches
 * followers without a write per follower.
 */
export class FollowingCandidateSource implements CandidateSource {
  readonly name = 'following';
  readonly surfaces: ReadonlySet<commonv1.Surface> = new Set([
    Surface.SURFACE_DASHBOARD,
    Surface.SURFACE_FOR_YOU,
    Surface.SURFACE_NOTIFICATIONS,
  ]);

  constructor(
    private readonly store: CandidateStore,
    private readonly settings: FollowingSettings,
  ) {}

  async candidates(
    query: SourceQuery,
    budget: SourceBudget,
    signal: AbortSignal,
  ): Promise<ProposedCandidate[]> {
    // Blogs the user blocked are left out before the merge, so their posts take no places.
    const blocked = query.lookup.blockedBlogs;
    const blogIds = (
      await this.store.followedBlogs(query.userId, this.settings.maxBlogs + blocked.size)
    )
      .filter((blogId) => !blocked.has(blogId))
      .slice(0, this.settings.maxBlogs);
    if (blogIds.length === 0) return [];
    signal.throwIfAborted();
    // Excluded posts (already seen) are usually the newest of a followed blog: read past them.
    const newestFirst = (
      await this.store.newestOfBlogs(
        blogIds,
        budget.maxCandidates + query.exclude.size + Math.ceil(budget.maxCandidates / 10),
        this.settings.postsPerBlog,
        query.nowMs - this.settings.maxAgeMs,
      )
    ).map((entry) => entry.id);
    const posts = await query.lookup.firstLive(
      newestFirst,
      query.exclude,
      budget.maxCandidates,
      signal,
    );
    const blogs = await query.lookup.blogs([...new Set(posts.map((post) => post.blogId))]);
    return posts.map((post) => ({
      post,
      score: recency(post.createdAtMs, query.nowMs, this.settings.recencyHalfLife),
      reason: `you follow ${blogLabel(post.blogId, blogs)}`,
    }));
  }
}
