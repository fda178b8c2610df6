import { commonv1 } from '@feedmesh/contracts';
import {
  liveCandidates,
  withSlack,
  type CandidateSource,
  type ProposedCandidate,
  type SourceBudget,
  type SourceQuery,
} from './candidate-source.js';
import type { CandidateStore } from './candidate-store.js';
import type { RelatedIndex } from './related-index.js';

const Surface = commonv1.Surface;

export interface RelatedSettings {
  /** The user's most recent engagements read: the model's seeds, never proposed. */
  readonly recentEngagements: number;
}

export const DEFAULT_RELATED_SETTINGS: RelatedSettings = { recentEngagements: 100 };

/**
 * Item-to-item from the trainer's model: the posts the user's recent engagements relate to,
 * by weights the trainer fitted offline (EASE on session co-occurrence, see
 * `@feedmesh/embeddings`). Where the session source counts what came before and after a post,
 * the fitted weights explain away what popular posts share, so the two disagree usefully.
 * Nothing without a model, or for posts the model has not seen (the embeddings source covers
 * new posts).
 */
export class RelatedCandidateSource implements CandidateSource {
  readonly name = 'related';
  readonly surfaces: ReadonlySet<commonv1.Surface> = new Set([
    Surface.SURFACE_DASHBOARD,
    Surface.SURFACE_FOR_YOU,
    Surface.SURFACE_NOTIFICATIONS,
  ]);

  constructor(
    private readonly store: CandidateStore,
    private readonly index: RelatedIndex,
    private readonly settings: RelatedSettings = DEFAULT_RELATED_SETTINGS,
  ) {}

  async candidates(
    query: SourceQuery,
    budget: SourceBudget,
    signal: AbortSignal,
  ): Promise<ProposedCandidate[]> {
    if (!this.index.loaded) return [];
    const recent =
      (await this.store.recentEngagements([query.userId], this.settings.recentEngagements)).get(
        query.userId,
      ) ?? [];
    if (recent.length === 0) return [];
    signal.throwIfAborted();
    // Posts deleted or of blogs blocked since training are dropped on the way.
    const related = this.index.related(
      recent.map((e) => e.id),
      withSlack(budget.maxCandidates),
      (postId) => query.exclude.has(postId),
    );
    return liveCandidates(related, query, budget, signal, 'related to what you engaged with');
  }
}
