import type { FeedCandidate, FeedQuery, Selector } from '../feed-query.js';
import type { MixerParams } from './mixer-params.js';

/**
 * Spreads one blog's posts out: the k-th post of a blog keeps decay^k of its score, and the
 * order is rebuilt greedily, so a prolific blog cannot fill the page.
 */
export class AuthorDiversitySelector implements Selector {
  readonly name = 'author-diversity';

  constructor(private readonly params: (query: FeedQuery) => MixerParams) {}

  select(query: FeedQuery, candidates: readonly FeedCandidate[]): FeedCandidate[] {
    const decay = this.params(query).authorDiversityDecay;
    const head = [...candidates].sort((a, b) => b.score - a.score);
    // A penalty never raises a score (decay <= 1), so once a candidate's own score cannot beat
    // the best penalized value, no later one can: the scan stops there. NaN scores leave the
    // order undefined, and then every candidate is looked at.
    const sorted = !head.some((candidate) => Number.isNaN(candidate.score));
    const shown = new Map<string, number>();
    const ordered: FeedCandidate[] = [];
    // Only the page needs the greedy pass; what follows keeps score order.
    while (head.length > 0 && ordered.length < query.pageSize) {
      let bestIndex = 0;
      let bestValue = -Infinity;
      for (let index = 0; index < head.length; index++) {
        const candidate = head[index]!;
        if (sorted && candidate.score <= bestValue) break;
        const value = penalized(candidate.score, shown.get(candidate.blogId) ?? 0, decay);
        if (value > bestValue) {
          bestValue = value;
          bestIndex = index;
        }
      }
      const [chosen] = head.splice(bestIndex, 1);
      if (!chosen) break;
      shown.set(chosen.blogId, (shown.get(chosen.blogId) ?? 0) + 1);
      ordered.push(chosen);
    }
    return ordered.concat(head);
  }
}

function penalized(score: number, seen: number, decay: number): number {
  // Scores may be negative (hide-weighted values): penalize toward -Infinity, not toward 0.
  const factor = decay ** seen;
  return score >= 0 ? score * factor : score / factor;
}
