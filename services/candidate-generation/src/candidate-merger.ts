import { candidatesv1 } from '@feedmesh/contracts';
import type { ProposedCandidate } from './candidate-source.js';

export interface SourceAnswer {
  readonly source: string;
  /** Best first. */
  readonly candidates: readonly ProposedCandidate[];
  /** Weight in the fusion; default 1. */
  readonly weight?: number;
}

/**
 * Reciprocal-rank-fusion constant: a source's k-th candidate adds 1 / (RRF_K + k). 60 is the
 * value of Cormack, Clarke and Büttcher (2009); larger flattens the head of each list.
 */
export const RRF_K = 60;

/**
 * De-duplicates the sources' answers into at most `max` candidates, keeping every source that
 * proposed a post, ordered by weighted reciprocal rank fusion: a post scores the sum over the
 * sources that proposed it of weight / (RRF_K + its rank there), ranks counted from 1.
 *
 * Scores are comparable only within a source, so only ranks are used. Each source's k-th
 * candidate weighs the same as any other source's k-th, so the cut at `max` keeps every
 * source's best (round-robin by rank), and a post several sources agree on rises above one
 * only a single source proposed: on ml-latest-small this beats the plain round-robin union (see
 * README "Evaluation"). A post's sources are listed best rank first; ties go to the source
 * listed first.
 */
export function mergeCandidates(
  answers: readonly SourceAnswer[],
  max: number,
  view: candidatesv1.CandidateView = candidatesv1.CandidateView.CANDIDATE_VIEW_FULL,
): candidatesv1.Candidate[] {
  // The ranking view carries no tags and a reason on the best source only (see the proto).
  const ranking = view === candidatesv1.CandidateView.CANDIDATE_VIEW_RANKING;
  interface Entry {
    readonly post: ProposedCandidate['post'];
    fused: number;
    /** (rank, source index) of each proposal, as rank * 64 + index: sorts by both. */
    readonly orders: number[];
    readonly scores: candidatesv1.SourceScore[];
  }
  const merged = new Map<string, Entry>();
  answers.forEach(({ source, candidates, weight = 1 }, sourceIndex) => {
    candidates.forEach(({ post, score, reason }, i) => {
      let entry = merged.get(post.postId);
      if (!entry) {
        entry = { post, fused: 0, orders: [], scores: [] };
        merged.set(post.postId, entry);
      } else if (entry.scores.some((s) => s.source === source)) {
        return;
      }
      entry.fused += weight / (RRF_K + i + 1);
      const order = i * 64 + sourceIndex;
      let slot = entry.orders.length;
      while (slot > 0 && entry.orders[slot - 1]! > order) slot--;
      // push when appending: splice allocates an array for what it removes, every time.
      if (slot === entry.orders.length) {
        entry.orders.push(order);
        entry.scores.push({ source, score, reason });
      } else {
        entry.orders.splice(slot, 0, order);
        entry.scores.splice(slot, 0, { source, score, reason });
      }
    });
  });
  const kept = [...merged.values()]
    .sort((a, b) => b.fused - a.fused || a.orders[0]! - b.orders[0]!)
    .slice(0, max);
  return kept.map(({ post, scores }) => ({
    postId: post.postId,
    blogId: post.blogId,
    sources: ranking
      ? scores.map((score, i) => (i === 0 ? score : { ...score, reason: '' }))
      : scores,
    createdAtMs: post.createdAtMs,
    reblogOf: post.reblogOf,
    tags: ranking ? [] : [...post.tags],
    // Read by the generator for the kept candidates only: sources never need it.
    summary: '',
  }));
}
