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
 * Scores are comparable only within a source, so only ranks are used. At equal weights each
 * source's k-th candidate weighs the same as any other source's k-th, so the cut at `max` keeps
 * every source's best (round-robin by rank); a source of lower weight keeps its best only where
 * they score above the cut. A post several sources agree on rises above one only a single
 * source proposed: on ml-latest-small this beats the plain round-robin union (see
 * EVALUATION.md). A post's sources are listed best rank first; ties go to the source
 * listed first.
 */
export function mergeCandidates(
  answers: readonly SourceAnswer[],
  max: number,
  view: candidatesv1.CandidateView = candidatesv1.CandidateView.CANDIDATE_VIEW_FULL,
  /** The fusion constant; only offline replays (evaluation/fusion-replay.ts) try others. */
  rrfK: number = RRF_K,
): candidatesv1.Candidate[] {
  // The ranking view carries no tags and a reason on the best source only (see the proto).
  const ranking = view === candidatesv1.CandidateView.CANDIDATE_VIEW_RANKING;
  // About two thousand proposals a request, so no object per post or per proposal until the
  // cut: entries (one per post) and proposals (one per post and source) are columns of typed
  // arrays, each entry's proposals a list kept in (rank, source) order.
  let total = 0;
  for (const answer of answers) total += answer.candidates.length;
  const entryOf = new Map<string, number>();
  const posts: ProposedCandidate['post'][] = [];
  const fused = new Float64Array(total);
  const firstProposal = new Int32Array(total);
  /** The last source that proposed the entry: a source proposing a post twice counts once. */
  const lastSource = new Int32Array(total);
  /** Per proposal: (rank, source index) as rank * 64 + index, which sorts by both. */
  const order = new Int32Array(total);
  const nextProposal = new Int32Array(total);
  const proposals: ProposedCandidate[] = [];
  for (let sourceIndex = 0; sourceIndex < answers.length; sourceIndex++) {
    const { candidates, weight = 1 } = answers[sourceIndex]!;
    for (let i = 0; i < candidates.length; i++) {
      const proposal = candidates[i]!;
      let entry = entryOf.get(proposal.post.postId);
      if (entry === undefined) {
        entry = posts.length;
        entryOf.set(proposal.post.postId, entry);
        posts.push(proposal.post);
        firstProposal[entry] = -1;
      } else if (lastSource[entry] === sourceIndex) {
        continue;
      }
      lastSource[entry] = sourceIndex;
      fused[entry]! += weight / (rrfK + i + 1);
      const p = proposals.length;
      proposals.push(proposal);
      order[p] = i * 64 + sourceIndex;
      let before = -1;
      let after = firstProposal[entry]!;
      while (after !== -1 && order[after]! < order[p]!) {
        before = after;
        after = nextProposal[after]!;
      }
      nextProposal[p] = after;
      if (before === -1) firstProposal[entry] = p;
      else nextProposal[before] = p;
    }
  }
  const ranked = Array.from({ length: posts.length }, (_, entry) => entry).sort(
    (a, b) => fused[b]! - fused[a]! || order[firstProposal[a]!]! - order[firstProposal[b]!]!,
  );
  const kept = ranked.length > max ? ranked.slice(0, max) : ranked;
  return kept.map((entry) => {
    const post = posts[entry]!;
    const sources: candidatesv1.SourceScore[] = [];
    for (let p = firstProposal[entry]!; p !== -1; p = nextProposal[p]!) {
      const proposal = proposals[p]!;
      sources.push({
        source: answers[order[p]! & 63]!.source,
        score: proposal.score,
        reason: ranking && sources.length > 0 ? '' : proposal.reason,
      });
    }
    return {
      postId: post.postId,
      blogId: post.blogId,
      sources,
      createdAtMs: post.createdAtMs,
      reblogOf: post.reblogOf,
      tags: ranking ? [] : [...post.tags],
      // Read by the generator for the kept candidates only: sources never need it.
      summary: '',
    };
  });
}
