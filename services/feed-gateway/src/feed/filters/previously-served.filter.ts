import { postHash } from '../cursor.js';
import type { FeedCandidate, FeedQuery, Filter } from '../feed-query.js';

/** Drops what earlier pages of this session served, and what the reader saw or engaged with before. */
export class PreviouslyServedFilter implements Filter {
  readonly name = 'previously-served';

  filter(query: FeedQuery, candidates: readonly FeedCandidate[]): FeedCandidate[] {
    return candidates.filter(
      (c) => !query.servedInSession.has(postHash(c.postId)) && !query.user.served.has(c.postId),
    );
  }
}
