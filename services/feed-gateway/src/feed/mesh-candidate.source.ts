import { candidatesv1, type commonv1 } from '@feedmesh/contracts';
import { ID_PATTERN } from '@feedmesh/service-kit';
import type { CandidateGenerationClient } from '../downstream.js';
import { fromGenerated, type FeedCandidate } from './feed-query.js';

export interface GeneratedCandidates {
  readonly candidates: FeedCandidate[];
  /** Sources that candidate-generation dropped (timed out or failed). */
  readonly droppedSources: readonly candidatesv1.SourceReport[];
  /** It returned as many candidates as it was asked for: it may have more. */
  readonly full: boolean;
  /** Candidates left out because an id of theirs is not an id (see `isWellFormed`). */
  readonly malformed: number;
}

/** A GenerateRequest's limits (candidates.proto): posts to skip, and candidates in all. */
const MAX_EXCLUDE = 5_000;
const MAX_CANDIDATES = 5_000;

/** Candidates from candidate-generation's sources, which run in parallel behind one call. */
export class MeshCandidateSource {
  readonly name = 'candidate-generation';

  constructor(
    private readonly client: CandidateGenerationClient,
    private readonly maxCandidates: number,
  ) {}

  /**
   * `exclude`, the posts the filters would drop anyway, most important first: the sources skip
   * them and propose others. Past the 5,000 a request may name, each post left out may come
   * back and be filtered, so one more candidate is asked for in its place (up to 5,000).
   */
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
    const excludePostIds = request.exclude.slice(0, MAX_EXCLUDE);
    const maxCandidates = Math.min(
      MAX_CANDIDATES,
      this.maxCandidates + request.exclude.length - excludePostIds.length,
    );
    const response = await this.client.generate(
      {
        userId: request.userId,
        surface: request.surface,
        tag: request.tag,
        maxCandidates,
        sourceBudgets: [...(request.sourceBudgets ?? [])],
        excludePostIds,
        // A thousand candidates without their summaries and tags: `describe` fetches those
        // for the page alone.
        view: candidatesv1.CandidateView.CANDIDATE_VIEW_RANKING,
      },
      { deadline: deadlineMs, signal },
    );
    const wellFormed = response.candidates.filter(isWellFormed);
    return {
      candidates: wellFormed.map(fromGenerated),
      malformed: response.candidates.length - wellFormed.length,
      droppedSources: response.sources.filter(
        (s) =>
          s.status === candidatesv1.SourceStatus.SOURCE_STATUS_TIMED_OUT ||
          s.status === candidatesv1.SourceStatus.SOURCE_STATUS_FAILED,
      ),
      full: response.candidates.length >= maxCandidates,
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
 * A candidate whose post, blog or root id is not an id (common.proto) would have the feature
 * store and DescribePosts refuse the whole page's request, and the page lose its features and
 * descriptions for one bad record: it is left out instead.
 */
function isWellFormed(candidate: candidatesv1.Candidate): boolean {
  return (
    ID_PATTERN.test(candidate.postId) &&
    ID_PATTERN.test(candidate.blogId) &&
    (candidate.reblogOf === '' || ID_PATTERN.test(candidate.reblogOf))
  );
}

/**
 * The last popular candidates candidate-generation returned for each surface and tag, kept in
 * memory: what the feed serves when candidate-generation itself is down. A page gets the list
 * of its own surface and tag or none (a #photography page never gets #knitting posts); past
 * `maxLists` lists, the one least recently remembered is forgotten.
 */
export class PopularFallback {
  /** Popular candidates (at most `capacity`) by surface and tag, least recently remembered first. */
  private readonly lists = new Map<string, readonly FeedCandidate[]>();

  constructor(
    private readonly capacity = 500,
    private readonly maxLists = 100,
  ) {}

  remember(surface: commonv1.Surface, tag: string, candidates: readonly FeedCandidate[]): void {
    const popular = candidates.filter(isPopular).slice(0, this.capacity);
    if (popular.length === 0) return;
    const key = listKey(surface, tag);
    this.lists.delete(key);
    this.lists.set(key, popular);
    if (this.lists.size > this.maxLists) this.lists.delete(this.lists.keys().next().value!);
  }

  candidates(surface: commonv1.Surface, tag: string): FeedCandidate[] {
    return (this.lists.get(listKey(surface, tag)) ?? []).map((c) => ({ ...c, score: 0 }));
  }
}

function listKey(surface: commonv1.Surface, tag: string): string {
  return `${surface}:${tag}`;
}

function isPopular(candidate: FeedCandidate): boolean {
  return candidate.sources.some((s) => s.source === 'popular');
}
