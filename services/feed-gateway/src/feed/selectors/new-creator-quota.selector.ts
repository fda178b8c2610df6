import type { FeedCandidate, FeedQuery, Selector } from '../feed-query.js';
import type { MixerParams } from './mixer-params.js';
import { withMinimumInPage } from './slot-quota.js';

/**
 * Gives new creators a fair start: a share of each page (`newCreatorShare`) goes to posts of
 * new creators when there are any, the best-scored of them first, spread down the page. A
 * candidate is a new creator's when the feature store says its blog is one
 * (`blog.is_new_creator`) or the fresh-creators source proposed it.
 */
export class NewCreatorQuotaSelector implements Selector {
  readonly name = 'new-creator-quota';

  constructor(private readonly params: (query: FeedQuery) => MixerParams) {}

  select(query: FeedQuery, candidates: readonly FeedCandidate[]): FeedCandidate[] {
    const { newCreatorShare } = this.params(query);
    if (newCreatorShare <= 0) return [...candidates];
    const minimum = Math.round(newCreatorShare * query.pageSize);
    return withMinimumInPage(candidates, query.pageSize, minimum, isNewCreator);
  }
}

export function isNewCreator(candidate: FeedCandidate): boolean {
  return candidate.newCreator === true || candidate.sources.some((s) => s.source === 'fresh');
}
