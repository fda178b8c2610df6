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
    const share = this.params(query).inNetworkShare;
    if (share === undefined || query.surface !== commonv1.Surface.SURFACE_DASHBOARD) {
      return [...candidates];
    }
    const followed = (c: FeedCandidate) => query.user.followedBlogs.has(c.blogId);
    const inNetwork = Math.round(share * query.pageSize);
    const balanced = withMinimumInPage(candidates, query.pageSize, inNetwork, followed);
    return withMinimumInPage(
      balanced,
      query.pageSize,
      query.pageSize - inNetwork,
      (c) => !followed(c),
    );
  }
}
