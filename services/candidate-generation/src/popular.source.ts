import { commonv1 } from '@feedmesh/contracts';
import type {
  CandidateSource,
  ProposedCandidate,
  SourceBudget,
  SourceQuery,
} from './candidate-source.js';
import type { CandidateStore } from './candidate-store.js';
import { decayedValue, type HalfLife } from './decay.js';

const Surface = commonv1.Surface;

/**
 * The most engaged-with posts by decayed engagement: site-wide, or within the tag on a tag
 * page. Needs nothing about the user, so it is the cold-start answer and the fallback.
 */
export class PopularCandidateSource implements CandidateSource {
  readonly name = 'popular';
  readonly surfaces: ReadonlySet<commonv1.Surface> = new Set([
    Surface.SURFACE_DASHBOARD,
    Surface.SURFACE_FOR_YOU,
    Surface.SURFACE_EXPLORE,
    Surface.SURFACE_TAG,
    Surface.SURFACE_SEARCH,
    Surface.SURFACE_NOTIFICATIONS,
  ]);

  constructor(
    private readonly store: CandidateStore,
    private readonly halfLife: HalfLife,
  ) {}

  async candidates(
    query: SourceQuery,
    budget: SourceBudget,
    signal: AbortSignal,
  ): Promise<ProposedCandidate[]> {
    const tag = query.surface === Surface.SURFACE_TAG ? query.tag : undefined;
    // Excluded posts are often the popular ones (already seen): read past them.
    const ranked = await this.store.popularPosts(tag, budget.maxCandidates + query.exclude.size);
    const scores = new Map(ranked.map((entry) => [entry.id, entry.score]));
    const posts = await query.lookup.firstLive(
      ranked.map((entry) => entry.id),
      query.exclude,
      budget.maxCandidates,
      signal,
    );
    const reason = tag === undefined ? 'popular right now' : `popular in #${tag}`;
    return posts.map((post) => ({
      post,
      score: decayedValue(scores.get(post.postId)!, query.nowMs, this.halfLife),
      reason,
    }));
  }
}
