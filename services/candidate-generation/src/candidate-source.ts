import { CANDIDATE_SOURCES, type commonv1 } from '@feedmesh/contracts';
import type { PostState } from './candidate-store.js';
import type { RequestLookup } from './request-lookup.js';

/** The sources this service runs, in the order they are reported (the contract's list). */
export const SOURCE_NAMES = CANDIDATE_SOURCES;

export type SourceName = (typeof SOURCE_NAMES)[number];

/**
 * Names the contract lists for sources not built yet. A request may budget them (an
 * experiment configured ahead of the rollout); they are reported SKIPPED, not rejected.
 */
export const PLANNED_SOURCE_NAMES: ReadonlyMap<string, string> = new Map();

/** What a source knows about the request. */
export interface SourceQuery {
  readonly userId: string;
  readonly surface: commonv1.Surface;
  /** The normalized tag of a SURFACE_TAG request. */
  readonly tag: string | undefined;
  /** Posts the caller filters anyway: a source never proposes them. */
  readonly exclude: ReadonlySet<string>;
  /** Request time from the service's clock, ms since the epoch. */
  readonly nowMs: number;
  /** Post and blog reads shared by the request's sources, so each is read once. */
  readonly lookup: RequestLookup;
}

export interface SourceBudget {
  /** Candidates at most, at least 1 (a zero budget never reaches the source). */
  readonly maxCandidates: number;
  readonly timeoutMs: number;
}

/** One source's proposal: a live post, its source-specific score and why. */
export interface ProposedCandidate {
  readonly post: PostState;
  readonly score: number;
  readonly reason: string;
}

/**
 * Proposes posts for a request from one index. Returns at most `budget.maxCandidates`
 * candidates, best first, never a deleted or excluded post. It should stop early when
 * `signal` aborts (its time budget ran out, or the caller went away): its answer would be
 * dropped anyway.
 */
export interface CandidateSource {
  readonly name: SourceName;
  /** Surfaces the source makes sense for; elsewhere it is skipped even if budgeted. */
  readonly surfaces: ReadonlySet<commonv1.Surface>;
  candidates(
    query: SourceQuery,
    budget: SourceBudget,
    signal: AbortSignal,
  ): Promise<ProposedCandidate[]>;
}

/** An index's answer for a request: a post id and the index's own score, best first. */
export interface ScoredId {
  readonly id: string;
  readonly score: number;
}

/**
 * How many ids to ask an index for to fill `maxCandidates`: a tenth more and five, since some
 * come back deleted or of blogs the user blocked, and are dropped on the way.
 */
export function withSlack(maxCandidates: number): number {
  return maxCandidates + Math.ceil(maxCandidates / 10) + 5;
}

/**
 * The first live, unexcluded posts of an index's ranked answer, up to the budget, each with
 * its index score and the source's reason: how every item-to-item and embedding source ends.
 */
export async function liveCandidates(
  ranked: readonly ScoredId[],
  query: SourceQuery,
  budget: SourceBudget,
  signal: AbortSignal,
  reason: string,
): Promise<ProposedCandidate[]> {
  const posts = await query.lookup.firstLive(
    ranked.map(({ id }) => id),
    query.exclude,
    budget.maxCandidates,
    signal,
  );
  // `firstLive` keeps the ids' order and takes each at its first place, so one forward pass
  // pairs every post with its score, without a map of the whole answer.
  const proposed: ProposedCandidate[] = [];
  let next = 0;
  for (const post of posts) {
    while (next < ranked.length && ranked[next]!.id !== post.postId) next += 1;
    if (next === ranked.length) throw new Error(`firstLive returned ${post.postId}, not asked for`);
    proposed.push({ post, score: ranked[next]!.score, reason });
  }
  return proposed;
}
