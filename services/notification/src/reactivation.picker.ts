import { commonv1, type candidatesv1 } from '@feedmesh/contracts';
import { withSpan } from '@feedmesh/telemetry';
import type { DirectoryStore } from './directory-store.js';
import type { MeshClients } from './mesh-clients.js';

export interface ReactivationPickerSettings {
  /** Posts in a reactivation digest. */
  readonly posts: number;
  /** Candidates asked of candidate-generation. */
  readonly candidates: number;
  /** At most this many of the picked posts from one blog. */
  readonly perBlog: number;
  /** The ranker's model; empty for its default. */
  readonly model: string;
}

/** The posts of a reactivation digest, best first, and how they were chosen. */
export interface ReactivationPick {
  readonly postIds: readonly string[];
  /** Their blogs, distinct, in the order of the posts. */
  readonly blogIds: readonly string[];
  /** `name@version` of the ranker model, or `source-order` when the ranker could not help. */
  readonly scoredBy: string;
}

/**
 * Picks a lapsed user's best candidates the way the feed does, through the services' contracts:
 * candidate-generation `Generate` (surface NOTIFICATIONS), feature-store `GetFeatures`, ranker
 * `Rank`. Posts created since the user's last session come first ("what you missed"), older
 * ones fill in. Deleted posts and the user's own are left out; at most `perBlog` per blog.
 *
 * Candidate generation is required: when it fails the pick fails and the job retries later.
 * Features and ranking fail open: the candidates are then ordered by their rank within their
 * sources, as the gateway's degraded feed does.
 */
export class ReactivationPicker {
  constructor(
    private readonly mesh: MeshClients,
    private readonly directory: DirectoryStore,
    private readonly settings: ReactivationPickerSettings,
  ) {}

  pick(userId: string, lastSessionAtMs: number, signal?: AbortSignal): Promise<ReactivationPick> {
    return withSpan('notification.reactivation.pick', { 'feedmesh.user': userId }, async (span) => {
      const generated = await this.mesh.candidates.generate(
        {
          userId,
          surface: commonv1.Surface.SURFACE_NOTIFICATIONS,
          tag: '',
          maxCandidates: this.settings.candidates,
          sourceBudgets: [],
          excludePostIds: [],
        },
        { signal },
      );
      const usable = await this.usable(userId, generated.candidates);
      span.setAttribute('feedmesh.candidates', usable.length);
      if (usable.length === 0) return { postIds: [], blogIds: [], scoredBy: 'none' };
      const { scores, scoredBy } = await this.score(userId, usable, signal);
      span.setAttribute('feedmesh.model', scoredBy);
      const order = usable
        .map((candidate, i) => ({
          candidate,
          missed: candidate.createdAtMs > lastSessionAtMs ? 1 : 0,
          score: scores[i] ?? 0,
        }))
        .sort((a, b) => b.missed - a.missed || b.score - a.score);
      const perBlog = new Map<string, number>();
      const picked: candidatesv1.Candidate[] = [];
      for (const { candidate } of order) {
        if (picked.length >= this.settings.posts) break;
        const taken = perBlog.get(candidate.blogId) ?? 0;
        if (taken >= this.settings.perBlog) continue;
        perBlog.set(candidate.blogId, taken + 1);
        picked.push(candidate);
      }
      return {
        postIds: picked.map((c) => c.postId),
        blogIds: [...new Set(picked.map((c) => c.blogId))],
        scoredBy,
      };
    });
  }

  /** Without deleted posts and the user's own. */
  private async usable(
    userId: string,
    candidates: readonly candidatesv1.Candidate[],
  ): Promise<candidatesv1.Candidate[]> {
    const blogIds = [...new Set(candidates.map((c) => c.blogId))];
    const [posts, blogs] = await Promise.all([
      Promise.all(candidates.map((c) => this.directory.post(c.postId))),
      Promise.all(blogIds.map((blogId) => this.directory.blog(blogId))),
    ]);
    const own = new Set(blogIds.filter((_, i) => blogs[i]?.ownerUserId === userId));
    return candidates.filter((c, i) => posts[i]?.deleted !== true && !own.has(c.blogId));
  }

  private async score(
    userId: string,
    candidates: readonly candidatesv1.Candidate[],
    signal: AbortSignal | undefined,
  ): Promise<{ scores: readonly number[]; scoredBy: string }> {
    try {
      const features = await this.mesh.features.getFeatures(
        { userId, postIds: candidates.map((c) => c.postId) },
        { signal },
      );
      const ranked = await this.mesh.ranker.rank(
        {
          model: this.settings.model,
          modelVersion: '',
          user: features.user,
          candidates: features.candidates,
          weights: [],
        },
        { signal },
      );
      if (ranked.values.length !== candidates.length)
        throw new Error('ranker returned a short answer');
      const scoredBy = ranked.modelVersion
        ? `${ranked.model}@${ranked.modelVersion}`
        : ranked.model;
      return { scores: ranked.values, scoredBy };
    } catch (error) {
      if (signal?.aborted) throw error;
      return { scores: sourceRankScores(candidates), scoredBy: 'source-order' };
    }
  }
}

/**
 * The degraded order: a candidate's best rank within any source that proposed it (source
 * scores are comparable only within a source; ranks are comparable across sources).
 */
export function sourceRankScores(candidates: readonly candidatesv1.Candidate[]): number[] {
  const bySource = new Map<string, { index: number; score: number }[]>();
  candidates.forEach((candidate, index) => {
    for (const source of candidate.sources) {
      const list = bySource.get(source.source) ?? [];
      list.push({ index, score: source.score });
      bySource.set(source.source, list);
    }
  });
  const best = new Array<number>(candidates.length).fill(0);
  for (const list of bySource.values()) {
    list.sort((a, b) => b.score - a.score);
    list.forEach(({ index }, rank) => {
      best[index] = Math.max(best[index] ?? 0, 1 / (1 + rank));
    });
  }
  return best;
}
