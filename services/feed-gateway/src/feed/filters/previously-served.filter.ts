import { seenBefore, type FeedCandidate, type FeedQuery, type Filter } from '../feed-query.js';

/**
 * Drops what earlier pages of this session served, and what the reader saw or engaged with
 * before (not on a tag page: `seenBefore`): the post itself and a post of the same root, since an original and its reblogs are
 * the same content. The session remembers the roots of the reblogs it served, so their
 * originals are dropped too; the feature store's lists hold the served ids alone, so of those
 * only the reblogs of a served original are.
 */
export class PreviouslyServedFilter implements Filter {
  readonly name = 'previously-served';

  filter(query: FeedQuery, candidates: readonly FeedCandidate[]): FeedCandidate[] {
    const session = query.servedInSession;
    const before = seenBefore(query);
    const served = (postId: string) => session.has(postId) || before.has(postId);
    return candidates.filter(
      (c) => !served(c.postId) && !(c.reblogOf !== '' && served(c.reblogOf)),
    );
  }
}
