import { commonv1 } from '@feedmesh/contracts';
import {
  withSlack,
  type CandidateSource,
  type ProposedCandidate,
  type SourceBudget,
  type SourceQuery,
} from './candidate-source.js';
import type { CandidateStore } from './candidate-store.js';
import type { ContentIndex } from './content-index.js';

const Surface = commonv1.Surface;

export interface ContentSourceSettings {
  /** The user's most recent engagements read: never proposed again. */
  readonly recentEngagements: number;
  /** Interest terms looked up per request, heaviest first. */
  readonly queryTerms: number;
  /** Newest posts read per looked-up term. */
  readonly postsPerQueryTerm: number;
  /** Posts older than this are not proposed, ms. */
  readonly maxAgeMs: number;
  /** A post this old counts half as much as an equally similar new one, ms. */
  readonly freshnessHalfLifeMs: number;
  /** Matches below this similarity (cosine) share too little to be worth proposing. */
  readonly minSimilarity: number;
}

export const DEFAULT_CONTENT_SOURCE_SETTINGS: ContentSourceSettings = {
  recentEngagements: 100,
  queryTerms: 20,
  postsPerQueryTerm: 200,
  maxAgeMs: 7 * 24 * 60 * 60 * 1000,
  freshnessHalfLifeMs: 2 * 24 * 60 * 60 * 1000,
  minSimilarity: 0.05,
};

/**
 * New posts about what the user likes, by what they say: the posts whose keywords and tags
 * overlap most with the user's interest profile (see `ContentIndex`), fresher first among
 * equals. Needs no engagement on the post, so a new blog's first post can reach the people it
 * is for; the reason names the term they share ("about vinyl, which you like").
 */
export class ContentCandidateSource implements CandidateSource {
  readonly name = 'content';
  readonly surfaces: ReadonlySet<commonv1.Surface> = new Set([
    Surface.SURFACE_DASHBOARD,
    Surface.SURFACE_FOR_YOU,
    Surface.SURFACE_NOTIFICATIONS,
  ]);

  constructor(
    private readonly store: CandidateStore,
    private readonly index: ContentIndex,
    private readonly settings: ContentSourceSettings = DEFAULT_CONTENT_SOURCE_SETTINGS,
  ) {}

  async candidates(
    query: SourceQuery,
    budget: SourceBudget,
    signal: AbortSignal,
  ): Promise<ProposedCandidate[]> {
    const { settings } = this;
    const recent =
      (await this.store.recentEngagements([query.userId], settings.recentEngagements)).get(
        query.userId,
      ) ?? [];
    signal.throwIfAborted();
    const engaged = new Set(recent.map((e) => e.id));
    const matches = this.index.match(query.userId, {
      // A few more than the budget, for posts deleted or of blocked blogs.
      limit: withSlack(budget.maxCandidates),
      createdAfterMs: query.nowMs - settings.maxAgeMs,
      queryTerms: settings.queryTerms,
      postsPerQueryTerm: settings.postsPerQueryTerm,
      skip: (postId) => engaged.has(postId) || query.exclude.has(postId),
      minSimilarity: settings.minSimilarity,
      rank: (similarity, createdAtMs) =>
        similarity * 2 ** (-Math.max(0, query.nowMs - createdAtMs) / settings.freshnessHalfLifeMs),
    });
    const byId = new Map(matches.map((m) => [m.postId, m]));
    const posts = await query.lookup.firstLive(
      matches.map((m) => m.postId),
      query.exclude,
      budget.maxCandidates,
      signal,
    );
    return posts.map((post) => {
      const match = byId.get(post.postId)!;
      return {
        post,
        score: match.similarity,
        reason: `about ${match.about}, which you like`,
      };
    });
  }
}
