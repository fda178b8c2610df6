import { commonv1 } from '@feedmesh/contracts';
import type {
  CandidateSource,
  ProposedCandidate,
  SourceBudget,
  SourceQuery,
} from './candidate-source.js';
import type { CandidateStore, PostState } from './candidate-store.js';
import { decayedValue, type HalfLife } from './decay.js';
import { READ_ON } from './read-on.js';

const Surface = commonv1.Surface;

/**
 * The most engaged-with posts by decayed engagement: site-wide, or within the tag on a tag
 * page. Needs nothing about the user, so it is the cold-start answer and the fallback.
 */
export class PopularCandidateSource implements CandidateSource {
  readonly name = 'popular';
  readonly surfaces: ReadonlySet<commonv1.Surface> = new Set([
    Surface.SURFACE_DASHBOARD,
    Surface.SURFACE_FOR_YOU,
    Surface.SURFACE_EXPLORE,
    Surface.SURFACE_TAG,
    Surface.SURFACE_SEARCH,
    Surface.SURFACE_NOTIFICATIONS,
  ]);

  constructor(
    private readonly store: CandidateStore,
    private readonly halfLife: HalfLife,
  ) {}

  async candidates(
    query: SourceQuery,
    budget: SourceBudget,
    signal: AbortSignal,
  ): Promise<ProposedCandidate[]> {
    const tag = query.surface === Surface.SURFACE_TAG ? query.tag : undefined;
    // Excluded posts are often the popular ones (already seen): the first read allows for
    // them. Posts of blogs the user blocked and deleted ones are dropped by `firstLive` only
    // after the read, so while the budget is not filled and the ranking had more, it is read
    // on, wider each time (READ_ON: bounded), each post looked up once.
    const scores = new Map<string, number>();
    const posts: PostState[] = [];
    let limit = budget.maxCandidates + query.exclude.size;
    for (let round = 0, read = 0; round < READ_ON.maxReads; round++) {
      const ranked = await this.store.popularPosts(tag, limit);
      const fresh = ranked.slice(read);
      for (const entry of fresh) scores.set(entry.id, entry.score);
      const live = await query.lookup.firstLive(
        fresh.map((entry) => entry.id),
        query.exclude,
        budget.maxCandidates - posts.length,
        signal,
      );
      posts.push(...live);
      if (posts.length >= budget.maxCandidates || ranked.length < limit) break;
      read = ranked.length;
      limit *= READ_ON.widenFactor;
    }
    const reason = tag === undefined ? 'popular right now' : `popular in #${tag}`;
    return posts.map((post) => ({
      post,
      score: decayedValue(scores.get(post.postId)!, query.nowMs, this.halfLife),
      reason,
    }));
  }
}
