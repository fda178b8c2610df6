import { postHash } from '../cursor.js';
import type { FeedCandidate, FeedQuery, Filter } from '../feed-query.js';

/** Drops what earlier pages of this session served, and what the reader saw or engaged with before. */
export class PreviouslyServedFilter implements Filter {
  readonly name = 'previously-served';

  filter(query: FeedQuery, candidates: readonly FeedCandidate[]): FeedCandidate[] {
    const session = query.servedInSession;
    const before = query.user.served;
    // A first page has no session to hash against.
    if (session.size === 0) return candidates.filter((c) => !before.has(c.postId));
    return candidates.filter((c) => !session.has(postHash(c.postId)) && !before.has(c.postId));
  }
}
