import { gatewayv1, searchv1, type commonv1 } from '@feedmesh/contracts';
import type { Logger } from '@feedmesh/service-kit';
import { plannedDeadlineMs } from './caller-deadline.js';
import type { Downstream } from './downstream.js';
import { valuePerCandidate } from './feed/scorers.js';

/**
 * Search at the gateway: text relevance from the search service, then, for a known reader,
 * the page's hits re-scored by the ranker and blended with their text score. Either stage
 * past the text search fails open to text order, and the response says which ranking it used.
 */
export class PersonalSearch {
  constructor(
    private readonly downstream: Downstream,
    private readonly logger: Logger,
    private readonly options: {
      readonly deadlineMs: number;
      /** Kept back from a caller's deadline for the answer to reach it, ms. */
      readonly responseMarginMs: number;
      readonly textWeight: number;
      readonly model: string;
    },
  ) {}

  /**
   * One Search, within SEARCH_DEADLINE_MS, or less when the caller stops waiting sooner
   * (`callerRemainingMs`: what is left of its deadline, undefined when it sent none; then that,
   * less the response margin): the text search and the re-ranking share it, and a re-ranking
   * that runs out of it fails open.
   */
  async search(
    request: gatewayv1.SearchRequest,
    requestId: string,
    signal: AbortSignal,
    callerRemainingMs?: number,
  ): Promise<gatewayv1.SearchResponse> {
    const { deadlineMs, responseMarginMs } = this.options;
    const deadline =
      Date.now() + plannedDeadlineMs(deadlineMs, callerRemainingMs, responseMarginMs);
    const response = await this.downstream.search.search(
      {
        query: request.query,
        tags: request.tags,
        blogId: request.blogId,
        order: request.order,
        pageSize: request.pageSize,
        cursor: request.cursor,
      },
      { deadline: new Date(deadline), signal },
    );
    const degraded: commonv1.Degradation[] = [];
    let hits = response.hits;
    let ranking = gatewayv1.SearchRanking.SEARCH_RANKING_TEXT;
    // A recency-ordered page keeps its time order.
    const byRelevance = request.order !== searchv1.SearchOrder.SEARCH_ORDER_RECENCY;
    if (request.userId && byRelevance && hits.length > 1) {
      try {
        hits = await this.rerank(request.userId, hits, new Date(deadline), signal);
        ranking = gatewayv1.SearchRanking.SEARCH_RANKING_PERSONALIZED;
      } catch (error) {
        this.logger.warn({ err: error }, 'personal re-ranking failed open');
        degraded.push({
          component: 'ranker',
          reason: `personal re-ranking unavailable; text relevance only (${error instanceof Error ? error.message : error})`,
        });
      }
    }
    return {
      requestId,
      hits,
      totalHits: response.totalHits,
      nextCursor: response.nextCursor,
      ranking,
      degraded,
    };
  }

  private async rerank(
    userId: string,
    hits: searchv1.SearchHit[],
    deadline: Date,
    signal: AbortSignal,
  ): Promise<searchv1.SearchHit[]> {
    const features = await this.downstream.featureStore.getFeatures(
      { userId, postIds: hits.map((h) => h.postId) },
      { deadline, signal },
    );
    const ranked = await this.downstream.ranker.rank(
      {
        model: this.options.model,
        modelVersion: '',
        user: features.user,
        candidates: features.candidates,
        weights: [],
      },
      { deadline, signal },
    );
    const text = relativeToBest(hits.map((h) => h.score));
    const personal = minMax(Array.from(valuePerCandidate(ranked, hits.length)));
    const w = this.options.textWeight;
    return hits
      .map((hit, i) => ({ ...hit, score: w * (text[i] ?? 0) + (1 - w) * (personal[i] ?? 0) }))
      .sort((a, b) => b.score - a.score);
  }
}

/** Text scores (BM25, never negative) as a share of the best hit's: near-ties stay near. */
function relativeToBest(values: readonly number[]): number[] {
  const best = Math.max(...values);
  return values.map((v) => (best > 0 ? v / best : 0));
}

/** Model values (any sign) to [0, 1]. */
function minMax(values: readonly number[]): number[] {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return values.map((v) => (max > min ? (v - min) / (max - min) : 0.5));
}
