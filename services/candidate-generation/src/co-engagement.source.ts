import { commonv1 } from '@feedmesh/contracts';
import {
  liveCandidates,
  withSlack,
  type CandidateSource,
  type ProposedCandidate,
  type SourceBudget,
  type SourceQuery,
} from './candidate-source.js';
import type { CandidateStore, CoEngagementWalk } from './candidate-store.js';

const Surface = commonv1.Surface;

/** How far the walk reaches, and its popularity damping β (0 ranks by the walk alone). */
export type CoEngagementSettings = CoEngagementWalk;

export const DEFAULT_CO_ENGAGEMENT_SETTINGS: CoEngagementSettings = {
  seeds: 30,
  engagersPerSeed: 40,
  maxEngagers: 300,
  postsPerEngager: 40,
  damping: 0.6,
};

/**
 * Item-to-item from co-engagement, as a three-step random walk on the engagement graph
 * computed on read (RP3beta, Paudel et al. 2016): from the user's recent posts to the people
 * who engaged with them, to what those people engaged with. Each step splits its weight evenly
 * over the edges it can take, so a post engaged by everyone passes little to each of them, and
 * a person who engages with everything passes little to each post; the arrival weight is then
 * damped by the post's engagement count to the power β. On ml-latest-small it recalls as much
 * as the embeddings and more than EASE (see EVALUATION.md).
 */
export class CoEngagementCandidateSource implements CandidateSource {
  readonly name = 'co-engagement';
  readonly surfaces: ReadonlySet<commonv1.Surface> = new Set([
    Surface.SURFACE_DASHBOARD,
    Surface.SURFACE_FOR_YOU,
    Surface.SURFACE_NOTIFICATIONS,
  ]);

  constructor(
    private readonly store: CandidateStore,
    private readonly settings: CoEngagementSettings = DEFAULT_CO_ENGAGEMENT_SETTINGS,
  ) {}

  async candidates(
    query: SourceQuery,
    budget: SourceBudget,
    signal: AbortSignal,
  ): Promise<ProposedCandidate[]> {
    // The walk runs in the store, on its arrays; a few more than the budget come back, since
    // some may be of blogs the user blocked.
    const walked = await this.store.coEngagementWalk(
      query.userId,
      this.settings,
      query.exclude,
      withSlack(budget.maxCandidates),
    );
    signal.throwIfAborted();
    return liveCandidates(
      walked,
      query,
      budget,
      signal,
      'liked by people who liked what you liked',
    );
  }
}
