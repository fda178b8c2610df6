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
import type { EmbeddingIndex } from './embedding-index.js';

const Surface = commonv1.Surface;

export interface EmbeddingsSettings {
  /** The user's most recent engagements read: never proposed, and folded into their vector. */
  readonly recentEngagements: number;
}

export const DEFAULT_EMBEDDINGS_SETTINGS: EmbeddingsSettings = { recentEngagements: 100 };

/**
 * The posts nearest the user's vector (largest inner product) in the learned embedding space:
 * taste learned across everyone's engagements, which reaches posts no co-engager touched yet,
 * including new posts folded in since the model was trained. Nothing without a model, or for a
 * user with neither a trained vector nor engagements.
 */
export class EmbeddingsCandidateSource implements CandidateSource {
  readonly name = 'embeddings';
  readonly surfaces: ReadonlySet<commonv1.Surface> = new Set([
    Surface.SURFACE_DASHBOARD,
    Surface.SURFACE_FOR_YOU,
    Surface.SURFACE_NOTIFICATIONS,
  ]);

  constructor(
    private readonly store: CandidateStore,
    private readonly index: EmbeddingIndex,
    private readonly settings: EmbeddingsSettings = DEFAULT_EMBEDDINGS_SETTINGS,
  ) {}

  async candidates(
    query: SourceQuery,
    budget: SourceBudget,
    signal: AbortSignal,
  ): Promise<ProposedCandidate[]> {
    if (this.index.trainedAtMs === undefined) return [];
    const recent =
      (await this.store.recentEngagements([query.userId], this.settings.recentEngagements)).get(
        query.userId,
      ) ?? [];
    const vector = this.index.userVector(query.userId, recent);
    if (!vector) return [];
    signal.throwIfAborted();
    const engaged = new Set(recent.map((e) => e.id));
    // Asks for enough neighbours to drop the engaged and excluded ones afterwards (a filter
    // inside the scan costs a lookup per promising vector), and a few more for posts deleted
    // or blocked since.
    const wanted = withSlack(budget.maxCandidates) + engaged.size + query.exclude.size;
    const nearest = this.index
      .search(vector, wanted)
      .filter((n) => !engaged.has(n.id) && !query.exclude.has(n.id));
    return liveCandidates(nearest, query, budget, signal, 'similar to what you engaged with');
  }
}
