import { commonv1 } from '@feedmesh/contracts';
import type { SourceName } from './candidate-source.js';

const Surface = commonv1.Surface;

/** A source's budget as configured: candidates at most, and a time budget (else the default). */
export interface BudgetSetting {
  readonly maxCandidates: number;
  readonly timeoutMs?: number;
  /**
   * The source's weight in the merge (reciprocal rank fusion): its k-th candidate adds
   * weight / (60 + k). Default 1. A request's budget overrides count and time, never this.
   */
  readonly weight?: number;
}

export type SurfaceBudgets = Readonly<Partial<Record<SourceName, BudgetSetting>>>;

/**
 * The default source budgets of each surface, in one place. A request's `source_budgets`
 * override a source's entry (an experiment changes the mix); sources a surface does not name
 * are off unless a request turns them on.
 *
 * - Dashboard: mostly what the user follows, some recommendations.
 * - For you: recommendations from the user's tags, sessions, co-engagement and embeddings, popular and
 *   new creators for breadth, a little from follows.
 * - Explore: what is trending and popular across the site, new creators.
 * - Tag page: the tag's posts, its popular and trending posts.
 * - Notifications: new posts from followed blogs and the user's interests, for digests.
 * - Content (dashboard, for you, notifications): new posts about what the user likes, by
 *   their text and tags, with no engagement needed.
 * - Search: no query-aware source lives here; popular and trending fill empty queries.
 */
export const DEFAULT_SOURCE_BUDGETS: Readonly<Record<number, SurfaceBudgets>> = {
  [Surface.SURFACE_DASHBOARD]: {
    following: { maxCandidates: 500 },
    tags: { maxCandidates: 150 },
    'co-engagement': { maxCandidates: 100 },
    session: { maxCandidates: 100 },
    embeddings: { maxCandidates: 100 },
    related: { maxCandidates: 100 },
    content: { maxCandidates: 50 },
    trending: { maxCandidates: 50 },
    popular: { maxCandidates: 50 },
    fresh: { maxCandidates: 50 },
  },
  // Weights from the ml-latest-small evaluation (README "Evaluation", EVALUATION.md): session, embeddings
  // and co-engagement carry recall, session the most; co-engagement mostly agrees with the
  // other two, so it counts half. Popular and tags alone recall far less, and at full weight
  // crowd the learned sources out of the cut, so they keep a share for breadth and cold start.
  [Surface.SURFACE_FOR_YOU]: {
    following: { maxCandidates: 50 },
    tags: { maxCandidates: 250, weight: 0.1 },
    'co-engagement': { maxCandidates: 300, weight: 0.5 },
    session: { maxCandidates: 300, weight: 1.5 },
    embeddings: { maxCandidates: 300 },
    // The trainer's item-to-item model: best of all at 100, and it disagrees with session
    // usefully (union +0.4 points at 500, EVALUATION.md); at 0.5 it adds 0.1 less.
    related: { maxCandidates: 300 },
    // New posts by what they say, before any engagement: a share, like tags, so its
    // breadth does not crowd the learned sources out of the cut.
    content: { maxCandidates: 200, weight: 0.3 },
    trending: { maxCandidates: 100, weight: 0.5 },
    popular: { maxCandidates: 150, weight: 0.1 },
    fresh: { maxCandidates: 100, weight: 0.5 },
  },
  [Surface.SURFACE_EXPLORE]: {
    trending: { maxCandidates: 300 },
    popular: { maxCandidates: 300 },
    fresh: { maxCandidates: 200 },
  },
  [Surface.SURFACE_TAG]: {
    tags: { maxCandidates: 500 },
    trending: { maxCandidates: 100 },
    popular: { maxCandidates: 300 },
  },
  [Surface.SURFACE_NOTIFICATIONS]: {
    following: { maxCandidates: 100 },
    tags: { maxCandidates: 50 },
    'co-engagement': { maxCandidates: 50 },
    session: { maxCandidates: 50 },
    embeddings: { maxCandidates: 50 },
    content: { maxCandidates: 50 },
    trending: { maxCandidates: 50 },
    popular: { maxCandidates: 20 },
  },
  [Surface.SURFACE_SEARCH]: {
    trending: { maxCandidates: 100 },
    popular: { maxCandidates: 100 },
  },
};
