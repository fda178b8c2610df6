import type { FeedCandidate, FeedQuery, Filter } from '../feed-query.js';

/** A post the reader hid ("show less") never comes back, nor do reblogs of it. */
export class HiddenPostFilter implements Filter {
  readonly name = 'hidden-post';

  filter(query: FeedQuery, candidates: readonly FeedCandidate[]): FeedCandidate[] {
    const hidden = query.user.hiddenPosts;
    return candidates.filter(
      (c) => !hidden.has(c.postId) && !(c.reblogOf && hidden.has(c.reblogOf)),
    );
  }
}
