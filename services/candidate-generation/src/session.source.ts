import { commonv1 } from '@feedmesh/contracts';
import {
  liveCandidates,
  withSlack,
  type CandidateSource,
  type ProposedCandidate,
  type SourceBudget,
  type SourceQuery,
} from './candidate-source.js';
import type { CandidateStore, SessionWalk } from './candidate-store.js';

const Surface = commonv1.Surface;

export type SessionSettings = SessionWalk;

export const DEFAULT_SESSION_SETTINGS: SessionSettings = {
  seeds: 30,
  engagersPerSeed: 40,
  window: 20,
  damping: 0.5,
};

/**
 * Item-to-item from engagement sessions: the posts other people engaged with just before or
 * just after a post this user engaged with, nearer in their sequence weighing more (1/sqrt of
 * the distance), damped by popularity like the co-engagement walk. Co-engagement counts two
 * posts engaged by one person at any time apart; engagements close together share a mood, a
 * browsing path, a page the site showed, and say more. On ml-latest-small it recalls more than
 * the co-engagement walk or the embeddings alone (see EVALUATION.md).
 */
export class SessionCandidateSource implements CandidateSource {
  readonly name = 'session';
  readonly surfaces: ReadonlySet<commonv1.Surface> = new Set([
    Surface.SURFACE_DASHBOARD,
    Surface.SURFACE_FOR_YOU,
    Surface.SURFACE_NOTIFICATIONS,
  ]);

  constructor(
    private readonly store: CandidateStore,
    private readonly settings: SessionSettings = DEFAULT_SESSION_SETTINGS,
  ) {}

  async candidates(
    query: SourceQuery,
    budget: SourceBudget,
    signal: AbortSignal,
  ): Promise<ProposedCandidate[]> {
    const walked = await this.store.sessionWalk(
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
      'engaged right before or after what you engaged with',
    );
  }
}
