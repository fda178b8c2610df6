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
 * - For you: recommendations from the user's tags, co-engagement and embeddings, popular and
 *   new creators for breadth, a little from follows.
 * - Explore: what is trending and popular across the site, new creators.
 * - Tag page: the tag's posts, its popular and trending posts.
 * - Notifications: new posts from followed blogs and the user's interests, for digests.
 * - Search: no query-aware source lives here; popular and trending fill empty queries.
 */
export const DEFAULT_SOURCE_BUDGETS: Readonly<Record<number, SurfaceBudgets>> = {
  [Surface.SURFACE_DASHBOARD]: {
    following: { maxCandidates: 500 },
    tags: { maxCandidates: 150 },
    'co-engagement': { maxCandidates: 100 },
    embeddings: { maxCandidates: 100 },
    trending: { maxCandidates: 50 },
    popular: { maxCandidates: 50 },
    fresh: { maxCandidates: 50 },
  },
  // Weights from the ml-latest-small evaluation (README "Evaluation"): the two learned
  // sources carry recall; popular and tags alone recall far less, and at full weight crowd
  // them out of the cut, so they keep a share for breadth and cold start only.
  [Surface.SURFACE_FOR_YOU]: {
    following: { maxCandidates: 50 },
    tags: { maxCandidates: 250, weight: 0.1 },
    'co-engagement': { maxCandidates: 300 },
    embeddings: { maxCandidates: 300 },
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
    embeddings: { maxCandidates: 50 },
    trending: { maxCandidates: 50 },
    popular: { maxCandidates: 20 },
  },
  [Surface.SURFACE_SEARCH]: {
    trending: { maxCandidates: 100 },
    popular: { maxCandidates: 100 },
  },
};
