import type { FeedCandidate, FeedQuery, Filter } from '../feed-query.js';

/**
 * Keeps one candidate per root post: the original and its reblogs are the same content.
 * The one proposed by the most sources wins, then the original over a reblog. It runs after
 * deleted and spam posts are dropped, so that one of those never takes the place of a live
 * member of its root.
 */
export class DuplicateReblogFilter implements Filter {
  readonly name = 'duplicate-reblog';

  filter(_query: FeedQuery, candidates: readonly FeedCandidate[]): FeedCandidate[] {
    const best = new Map<string, FeedCandidate>();
    for (const candidate of candidates) {
      const root = candidate.reblogOf || candidate.postId;
      const current = best.get(root);
      if (current === undefined || preferred(candidate, current)) best.set(root, candidate);
    }
    const kept = new Set(best.values());
    return candidates.filter((c) => kept.has(c));
  }
}

function preferred(a: FeedCandidate, b: FeedCandidate): boolean {
  if (a.sources.length !== b.sources.length) return a.sources.length > b.sources.length;
  return a.reblogOf === '' && b.reblogOf !== '';
}
