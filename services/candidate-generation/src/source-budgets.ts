import { commonv1 } from '@feedmesh/contracts';
import type { SourceName } from './candidate-source.js';

const Surface = commonv1.Surface;

/** A source's budget as configured: candidates at most, and a time budget (else the default). */
export interface BudgetSetting {
  readonly maxCandidates: number;
  readonly timeoutMs?: number;
}

export type SurfaceBudgets = Readonly<Partial<Record<SourceName, BudgetSetting>>>;

/**
 * The default source budgets of each surface, in one place. A request's `source_budgets`
 * override a source's entry (an experiment changes the mix); sources a surface does not name
 * are off unless a request turns them on.
 *
 * - Dashboard: mostly what the user follows, some recommendations.
 * - For you: recommendations from the user's tags and co-engagement, popular and new
 *   creators for breadth, a little from follows.
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
    trending: { maxCandidates: 50 },
    popular: { maxCandidates: 50 },
    fresh: { maxCandidates: 50 },
  },
  [Surface.SURFACE_FOR_YOU]: {
    following: { maxCandidates: 50 },
    tags: { maxCandidates: 300 },
    'co-engagement': { maxCandidates: 300 },
    trending: { maxCandidates: 100 },
    popular: { maxCandidates: 200 },
    fresh: { maxCandidates: 100 },
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
    trending: { maxCandidates: 50 },
    popular: { maxCandidates: 20 },
  },
  [Surface.SURFACE_SEARCH]: {
    trending: { maxCandidates: 100 },
    popular: { maxCandidates: 100 },
  },
};
