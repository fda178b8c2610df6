import { commonv1 } from '@feedmesh/contracts';
import type {
  CandidateSource,
  ProposedCandidate,
  SourceBudget,
  SourceQuery,
} from './candidate-source.js';
import type { CandidateStore } from './candidate-store.js';

const Surface = commonv1.Surface;

export interface CoEngagementSettings {
  /** The user's most recent engagements used as seeds. */
  readonly seeds: number;
  /** Most recent engagers read per seed post. */
  readonly engagersPerSeed: number;
  /** Distinct engagers followed at most (the most recent ones first). */
  readonly maxEngagers: number;
  /** Most recent engagements read per engager. */
  readonly postsPerEngager: number;
  /**
   * Exponent of the popularity damping: a post's co-engagement count is divided by its
   * engagement count to this power. 0.5 is cosine similarity's normalization; 0 would
   * propose whatever is popular among everyone.
   */
  readonly damping: number;
}

export const DEFAULT_CO_ENGAGEMENT_SETTINGS: CoEngagementSettings = {
  seeds: 20,
  engagersPerSeed: 30,
  maxEngagers: 300,
  postsPerEngager: 20,
  damping: 0.5,
};

/**
 * Item-to-item from co-engagement, computed on read: the posts the user engaged with
 * recently, the people who engaged with those, and what those people engaged with. A post
 * scores by how many of those people engaged with it, damped by its overall popularity.
 */
export class CoEngagementCandidateSource implements CandidateSource {
  readonly name = 'co-engagement';
  readonly surfaces: ReadonlySet<commonv1.Surface> = new Set([
    Surface.SURFACE_DASHBOARD,
    Surface.SURFACE_FOR_YOU,
    Surface.SURFACE_NOTIFICATIONS,
  ]);

  constructor(
    private readonly store: CandidateStore,
    private readonly settings: CoEngagementSettings = DEFAULT_CO_ENGAGEMENT_SETTINGS,
  ) {}

  async candidates(
    query: SourceQuery,
    budget: SourceBudget,
    signal: AbortSignal,
  ): Promise<ProposedCandidate[]> {
    const { settings } = this;
    const mine = await this.store.recentEngagements([query.userId], settings.seeds);
    const seeds = (mine.get(query.userId) ?? []).map((entry) => entry.id);
    if (seeds.length === 0) return [];
    signal.throwIfAborted();

    const engagersBySeed = await this.store.recentEngagers(seeds, settings.engagersPerSeed);
    const engagers = [...engagersBySeed.values()]
      .flat()
      .sort((a, b) => b.score - a.score)
      .map((entry) => entry.id)
      .filter((userId) => userId !== query.userId);
    const similar = [...new Set(engagers)].slice(0, settings.maxEngagers);
    if (similar.length === 0) return [];
    signal.throwIfAborted();

    const theirs = await this.store.recentEngagements(similar, settings.postsPerEngager);
    const seen = new Set(seeds);
    const counts = new Map<string, number>();
    for (const posts of theirs.values()) {
      for (const { id } of posts) {
        if (seen.has(id) || query.exclude.has(id)) continue;
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
    }
    // Damping needs each post's engagement count: read the strongest few times the budget.
    const shortlist = [...counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, budget.maxCandidates * 3)
      .map(([id]) => id);
    const posts = await query.lookup.posts(shortlist);
    return shortlist
      .flatMap((id) => {
        const post = posts.get(id);
        if (!post) return [];
        const score = counts.get(id)! / Math.pow(Math.max(1, post.engagements), settings.damping);
        return [{ post, score, reason: 'liked by people who liked what you liked' }];
      })
      .sort((a, b) => b.score - a.score || (a.post.postId < b.post.postId ? -1 : 1))
      .slice(0, budget.maxCandidates);
  }
}
