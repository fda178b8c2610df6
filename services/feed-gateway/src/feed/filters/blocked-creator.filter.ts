import type { FeedCandidate, FeedQuery, Filter } from '../feed-query.js';

export class BlockedCreatorFilter implements Filter {
  readonly name = 'blocked-creator';

  filter(query: FeedQuery, candidates: readonly FeedCandidate[]): FeedCandidate[] {
    return candidates.filter((c) => !query.user.blockedBlogs.has(c.blogId));
  }
}
