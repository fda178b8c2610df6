import { commonv1 } from '@feedmesh/contracts';
import type { FeedCandidate, FeedQuery, Selector } from '../feed-query.js';
import type { MixerParams } from './mixer-params.js';
import { withMinimumInPage } from './slot-quota.js';

/**
 * Balances followed blogs against recommendations on the dashboard (the-algorithm's mixer):
 * with `inNetworkShare` s, at least s of the page comes from blogs the reader follows and at
 * least 1 - s from others, each side its best first, when both sides have enough candidates.
 * Other surfaces, and an unset share, keep score order.
 */
export class InNetworkBalanceSelector implements Selector {
  readonly name = 'in-network-balance';

  constructor(private readonly params: (query: FeedQuery) => MixerParams) {}

  select(query: FeedQuery, candidates: readonly FeedCandidate[]): FeedCandidate[] {
    const sides = inNetworkSides(query, this.params(query));
    if (!sides) return [...candidates];
    const { followed, inNetwork } = sides;
    const balanced = withMinimumInPage(candidates, query.pageSize, inNetwork, followed);
    return withMinimumInPage(
      balanced,
      query.pageSize,
      query.pageSize - inNetwork,
      (c) => !followed(c),
    );
  }
}

/**
 * The split the balance keeps on this query's page: which candidates are in network, and how
 * many of the page's slots are theirs (the rest are the others'); undefined when it does not
 * apply (an unset share, another surface). Later selectors keep it when they move candidates.
 */
export function inNetworkSides(
  query: FeedQuery,
  params: MixerParams,
): { followed: (candidate: FeedCandidate) => boolean; inNetwork: number } | undefined {
  const share = params.inNetworkShare;
  if (share === undefined || query.surface !== commonv1.Surface.SURFACE_DASHBOARD) {
    return undefined;
  }
  return {
    followed: (c) => query.user.followedBlogs.has(c.blogId),
    inNetwork: Math.round(share * query.pageSize),
  };
}
