import type { FeedCandidate, FeedQuery, Filter } from '../feed-query.js';

/** The reader's own posts are not news to them. */
export class OwnPostFilter implements Filter {
  readonly name = 'own-post';

  filter(query: FeedQuery, candidates: readonly FeedCandidate[]): FeedCandidate[] {
    return candidates.filter((c) => !query.user.ownBlogs.has(c.blogId));
  }
}
