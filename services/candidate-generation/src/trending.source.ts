import { commonv1 } from '@feedmesh/contracts';
import type {
  CandidateSource,
  ProposedCandidate,
  SourceBudget,
  SourceQuery,
} from './candidate-source.js';
import type { TrendingDetector } from './trending-detector.js';

const Surface = commonv1.Surface;

/**
 * Posts the trending detector finds rising over the default window, most surprising first;
 * on a tag page, those carrying the tag.
 */
export class TrendingCandidateSource implements CandidateSource {
  readonly name = 'trending';
  readonly surfaces: ReadonlySet<commonv1.Surface> = new Set([
    Surface.SURFACE_DASHBOARD,
    Surface.SURFACE_FOR_YOU,
    Surface.SURFACE_EXPLORE,
    Surface.SURFACE_TAG,
    Surface.SURFACE_SEARCH,
    Surface.SURFACE_NOTIFICATIONS,
  ]);

  constructor(
    private readonly detector: TrendingDetector,
    private readonly windowMs: number,
  ) {}

  async candidates(
    query: SourceQuery,
    budget: SourceBudget,
    signal: AbortSignal,
  ): Promise<ProposedCandidate[]> {
    const trending = await this.detector.trending(this.windowMs, query.nowMs);
    signal.throwIfAborted();
    const tag = query.surface === Surface.SURFACE_TAG ? query.tag : undefined;
    const scores = new Map(trending.posts.map((trend) => [trend.id, trend.score]));
    // Without a tag filter, every live post found is kept; with one, read them all and filter.
    const wanted = tag === undefined ? budget.maxCandidates : trending.posts.length;
    const live = await query.lookup.firstLive([...scores.keys()], query.exclude, wanted, signal);
    const tagRank = new Map(trending.tags.map((trend, rank) => [trend.id, rank]));
    return live
      .filter((post) => tag === undefined || post.tags.includes(tag))
      .slice(0, budget.maxCandidates)
      .map((post) => {
        const hottest = post.tags
          .filter((t) => tagRank.has(t))
          .sort((a, b) => tagRank.get(a)! - tagRank.get(b)!)[0];
        return {
          post,
          score: scores.get(post.postId)!,
          reason: hottest === undefined ? 'trending now' : `trending in #${hottest}`,
        };
      });
  }
}
