import type { FeedCandidate, FeedQuery, Selector } from '../feed-query.js';
import type { MixerParams } from './mixer-params.js';

const HOUR_MS = 3_600_000;

/**
 * Lifts new posts: each score becomes score × (1 + boost · 2^(-age / half-life)), so a post
 * published now counts (1 + boost) times and one a few half-lives old about as scored; then
 * the candidates are put back in score order. A boost of 0 changes nothing.
 */
export class FreshnessSelector implements Selector {
  readonly name = 'freshness';

  constructor(
    private readonly params: (query: FeedQuery) => MixerParams,
    private readonly now: () => number,
  ) {}

  select(query: FeedQuery, candidates: readonly FeedCandidate[]): FeedCandidate[] {
    const { freshnessBoost, freshnessHalfLifeHours } = this.params(query);
    if (freshnessBoost <= 0) return [...candidates];
    const now = this.now();
    for (const candidate of candidates) {
      const ageHours = Math.max(0, now - candidate.createdAtMs) / HOUR_MS;
      const lift = 1 + freshnessBoost * 2 ** (-ageHours / freshnessHalfLifeHours);
      // Negative values (hide-weighted) move toward -Infinity less, not more.
      candidate.score = candidate.score >= 0 ? candidate.score * lift : candidate.score / lift;
    }
    return [...candidates].sort((a, b) => b.score - a.score);
  }
}
