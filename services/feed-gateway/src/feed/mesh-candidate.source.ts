import { candidatesv1, type commonv1 } from '@feedmesh/contracts';
import type { CandidateGenerationClient } from '../downstream.js';
import { fromGenerated, type FeedCandidate } from './feed-query.js';

export interface GeneratedCandidates {
  readonly candidates: FeedCandidate[];
  /** Sources that candidate-generation dropped (timed out or failed). */
  readonly droppedSources: readonly candidatesv1.SourceReport[];
}

/** Candidates from candidate-generation's sources, which run in parallel behind one call. */
export class MeshCandidateSource {
  readonly name = 'candidate-generation';

  constructor(
    private readonly client: CandidateGenerationClient,
    private readonly maxCandidates: number,
  ) {}

  async generate(
    request: {
      userId: string;
      surface: commonv1.Surface;
      tag: string;
      exclude: readonly string[];
      sourceBudgets?: readonly candidatesv1.SourceBudget[];
    },
    deadlineMs: number,
    signal: AbortSignal,
  ): Promise<GeneratedCandidates> {
    const response = await this.client.generate(
      {
        userId: request.userId,
        surface: request.surface,
        tag: request.tag,
        maxCandidates: this.maxCandidates,
        sourceBudgets: [...(request.sourceBudgets ?? [])],
        excludePostIds: request.exclude.slice(0, 5_000),
        // A thousand candidates without their summaries and tags: `describe` fetches those
        // for the page alone.
        view: candidatesv1.CandidateView.CANDIDATE_VIEW_RANKING,
      },
      { deadline: deadlineMs, signal },
    );
    return {
      candidates: response.candidates.map(fromGenerated),
      droppedSources: response.sources.filter(
        (s) =>
          s.status === candidatesv1.SourceStatus.SOURCE_STATUS_TIMED_OUT ||
          s.status === candidatesv1.SourceStatus.SOURCE_STATUS_FAILED,
      ),
    };
  }

  /** The display fields (summary, tags) of the posts a page serves, by post id. */
  async describe(
    page: readonly FeedCandidate[],
    deadlineMs: number,
    signal: AbortSignal,
  ): Promise<Map<string, candidatesv1.PostDescription>> {
    const response = await this.client.describePosts(
      { postIds: page.map((candidate) => candidate.postId) },
      { deadline: deadlineMs, signal },
    );
    return new Map(response.posts.map((post) => [post.postId, post]));
  }
}

/**
 * The last popular candidates candidate-generation returned, kept in memory: what the feed
 * serves when candidate-generation itself is down.
 */
export class PopularFallback {
  /** The last candidate list that held popular ones; filtered only when it is needed. */
  private latest: readonly FeedCandidate[] = [];

  constructor(private readonly capacity = 500) {}

  /** On every feed: a scan to the first popular candidate, no copy. */
  remember(candidates: readonly FeedCandidate[]): void {
    if (candidates.some(isPopular)) this.latest = candidates;
  }

  candidates(): FeedCandidate[] {
    return this.latest
      .filter(isPopular)
      .slice(0, this.capacity)
      .map((c) => ({ ...c, score: 0 }));
  }
}

function isPopular(candidate: FeedCandidate): boolean {
  return candidate.sources.some((s) => s.source === 'popular');
}
