import type { candidatesv1 } from '@feedmesh/contracts';
import type { ProposedCandidate } from './candidate-source.js';

export interface SourceAnswer {
  readonly source: string;
  /** Best first. */
  readonly candidates: readonly ProposedCandidate[];
}

/**
 * De-duplicates the sources' answers into at most `max` candidates, keeping every source that
 * proposed a post.
 *
 * Scores are comparable only within a source, so proposals are compared by relative rank:
 * a source's k-th of n candidates sits at k/n. Walking all proposals in that order interleaves
 * the sources in proportion to what each returned, so cutting at `max` keeps each source's
 * best; and a post's sources are listed in the same order, the source that ranked it
 * highest (relatively) first. Ties go to the source listed first.
 */
export function mergeCandidates(
  answers: readonly SourceAnswer[],
  max: number,
): candidatesv1.Candidate[] {
  const proposals = answers.flatMap(({ source, candidates }, sourceIndex) =>
    candidates.map((proposed, i) => ({
      source,
      sourceIndex,
      position: (i + 1) / candidates.length,
      proposed,
    })),
  );
  proposals.sort((a, b) => a.position - b.position || a.sourceIndex - b.sourceIndex);

  const merged = new Map<string, candidatesv1.Candidate>();
  for (const { source, proposed } of proposals) {
    const { post, score, reason } = proposed;
    let candidate = merged.get(post.postId);
    if (!candidate) {
      candidate = {
        postId: post.postId,
        blogId: post.blogId,
        sources: [],
        createdAtMs: post.createdAtMs,
        reblogOf: post.reblogOf,
        tags: [...post.tags],
        summary: post.summary,
      };
      merged.set(post.postId, candidate);
    }
    if (!candidate.sources.some((s) => s.source === source)) {
      candidate.sources.push({ source, score, reason });
    }
  }
  return [...merged.values()].slice(0, max);
}
