import { commonv1 } from '@feedmesh/contracts';
import type {
  CandidateSource,
  ProposedCandidate,
  SourceBudget,
  SourceQuery,
} from './candidate-source.js';
import type { CandidateStore, PostState } from './candidate-store.js';
import { decayedValue, recency, type HalfLife } from './decay.js';
import { READ_ON } from './read-on.js';

const Surface = commonv1.Surface;

export interface TagsSettings {
  readonly affinityHalfLife: HalfLife;
  readonly popularityHalfLife: HalfLife;
  readonly recencyHalfLife: HalfLife;
  /** The user's strongest tags used per request. */
  readonly maxTags: number;
  /** Tags weaker than this share of the strongest one are left out. */
  readonly minRelativeAffinity: number;
  /** Posts older than this are not proposed for being recent (CANDIDATES_RETENTION_DAYS), ms. */
  readonly maxAgeMs: number;
}

export const DEFAULT_TAGS_LIMITS = { maxTags: 5, minRelativeAffinity: 0.05 } as const;

interface WeightedTag {
  readonly tag: string;
  /** The tag's affinity relative to the strongest one, (0, 1]. */
  readonly weight: number;
}

/**
 * Posts of the user's strongest tags (on a tag page, of that tag): for each tag its most
 * popular and its newest posts, each scored half by popularity within the tag and half by
 * recency, weighted by how much the user likes the tag. The affinities are this service's
 * own, learned from engagements on tagged posts.
 */
export class TagsCandidateSource implements CandidateSource {
  readonly name = 'tags';
  readonly surfaces: ReadonlySet<commonv1.Surface> = new Set([
    Surface.SURFACE_DASHBOARD,
    Surface.SURFACE_FOR_YOU,
    Surface.SURFACE_TAG,
    Surface.SURFACE_NOTIFICATIONS,
  ]);

  constructor(
    private readonly store: CandidateStore,
    private readonly settings: TagsSettings,
  ) {}

  async candidates(
    query: SourceQuery,
    budget: SourceBudget,
    signal: AbortSignal,
  ): Promise<ProposedCandidate[]> {
    const tags = await this.tagsFor(query);
    if (tags.length === 0) return [];
    signal.throwIfAborted();
    const totalWeight = tags.reduce((sum, { weight }) => sum + weight, 0);
    const perTag = (weight: number) =>
      Math.max(10, Math.ceil((budget.maxCandidates * weight) / totalWeight)) +
      Math.min(query.exclude.size, budget.maxCandidates);
    // Posts of blogs the user blocked, hidden or deleted ones are dropped by `firstLive` only
    // after the read, and excluded ones may be more than the read's allowance: while the
    // budget is not filled and a list had more to give, read on, wider each round (bounded).
    const stats = new Map<string, { popularity: number; createdAtMs: number }>();
    let best = new Map<string, { score: number; tag: string }>();
    let live: PostState[] = [];
    for (
      let round = 0, widen = 1;
      round < READ_ON.maxReads;
      round++, widen *= READ_ON.widenFactor
    ) {
      const popularSizes = tags.map(({ weight }) => perTag(weight) * widen);
      const recentSize = perTag(tags[0]!.weight) * widen;
      const [popular, recent] = await Promise.all([
        Promise.all(tags.map(({ tag }, i) => this.store.popularPosts(tag, popularSizes[i]!))),
        this.store.recentTagPosts(
          tags.map(({ tag }) => tag),
          recentSize,
          query.nowMs - this.settings.maxAgeMs,
        ),
      ]);
      signal.throwIfAborted();
      // Scored on the store's numbers first; only the best are read as posts. Numbers read
      // in an earlier round are not read again.
      const unread = [
        ...new Set(
          tags.flatMap(({ tag }, i) => [
            ...(popular[i] ?? []).map((entry) => entry.id),
            ...(recent.get(tag) ?? []).map((entry) => entry.id),
          ]),
        ),
      ].filter((id) => !query.exclude.has(id) && !stats.has(id));
      const read = await this.store.postStats(unread);
      unread.forEach((id, i) =>
        stats.set(id, { popularity: read.popularity[i]!, createdAtMs: read.createdAtMs[i]! }),
      );

      best = new Map();
      tags.forEach(({ tag, weight }, i) => {
        const popularInTag = popular[i] ?? [];
        const top = popularInTag[0];
        const topPopularity = top
          ? decayedValue(top.score, query.nowMs, this.settings.popularityHalfLife)
          : 0;
        for (const { id } of [...popularInTag, ...(recent.get(tag) ?? [])]) {
          if (query.exclude.has(id)) continue;
          const known = stats.get(id);
          if (known === undefined || Number.isNaN(known.createdAtMs)) continue;
          const score =
            weight *
            this.itemScore(
              Number.isNaN(known.popularity) ? undefined : known.popularity,
              known.createdAtMs,
              topPopularity,
              query.nowMs,
            );
          const current = best.get(id);
          if (!current || score > current.score) best.set(id, { score, tag });
        }
      });
      const order = [...best].sort((a, b) => b[1].score - a[1].score || (a[0] < b[0] ? -1 : 1));
      // Posts read in an earlier round are not read again: the request's lookup keeps them.
      live = await query.lookup.firstLive(
        order.map(([id]) => id),
        query.exclude,
        budget.maxCandidates,
        signal,
      );
      const moreToRead =
        popular.some((entries, i) => entries.length >= popularSizes[i]!) ||
        tags.some(({ tag }) => (recent.get(tag)?.length ?? 0) >= recentSize);
      if (live.length >= budget.maxCandidates || !moreToRead) break;
    }
    const onTagPage = query.surface === Surface.SURFACE_TAG;
    return live.map((post) => {
      const { score, tag } = best.get(post.postId)!;
      return { post, score, reason: onTagPage ? `in #${tag}` : `you like #${tag}` };
    });
  }

  private async tagsFor(query: SourceQuery): Promise<WeightedTag[]> {
    if (query.surface === Surface.SURFACE_TAG) {
      return query.tag === undefined ? [] : [{ tag: query.tag, weight: 1 }];
    }
    const strongest = await this.store.userTags(query.userId, this.settings.maxTags);
    const top = strongest[0];
    if (!top) return [];
    // Relative weights need no decay factor: every affinity shares the same one.
    return strongest
      .map((entry) => ({ tag: entry.id, weight: Math.exp(entry.score - top.score) }))
      .filter(({ weight }) => weight >= this.settings.minRelativeAffinity);
  }

  private itemScore(
    popularity: number | undefined,
    createdAtMs: number,
    topPopularity: number,
    nowMs: number,
  ): number {
    const share =
      popularity === undefined || topPopularity <= 0
        ? 0
        : Math.min(
            1,
            decayedValue(popularity, nowMs, this.settings.popularityHalfLife) / topPopularity,
          );
    return 0.5 * share + 0.5 * recency(createdAtMs, nowMs, this.settings.recencyHalfLife);
  }
}
