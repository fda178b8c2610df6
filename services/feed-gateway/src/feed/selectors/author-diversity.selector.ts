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
    const shown = new Map<string, number>();
    const ordered: FeedCandidate[] = [];
    // Only the page needs the greedy pass; what follows keeps score order.
    while (head.length > 0 && ordered.length < query.pageSize) {
      let bestIndex = 0;
      let bestValue = -Infinity;
      head.forEach((candidate, index) => {
        const value = penalized(candidate.score, shown.get(candidate.blogId) ?? 0, decay);
        if (value > bestValue) {
          bestValue = value;
          bestIndex = index;
        }
      });
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
