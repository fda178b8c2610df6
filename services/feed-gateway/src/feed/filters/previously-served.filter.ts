import { seenBefore, type FeedCandidate, type FeedQuery, type Filter } from '../feed-query.js';

/**
 * Drops what earlier pages of this session served, and what the reader saw or engaged with
 * before (not on a tag page: `seenBefore`): the post itself and a post of the same root, since
 * an original and its reblogs are the same content. Both list the root of a reblog seen beside
 * it: the session in its cursor, the feature store in its served and engaged lists (from the
 * impression's `reblog_of` and the engaged post's meta). So a reblog seen, in this session or
 * an earlier one, keeps its original and the original's other reblogs off the page, and an
 * original seen keeps its reblogs off.
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
