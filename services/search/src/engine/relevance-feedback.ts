import type { Analyzer } from './analyzer.js';

/**
 * RM3 pseudo-relevance feedback (Lavrenko & Croft's relevance model, interpolated with the
 * query as in Abdul-Jaleel et al. 2004, and as Anserini runs it): the top documents of a
 * first pass are taken as relevant, the words they share are added to the query.
 */
export interface FeedbackParams {
  /** Documents of the first pass taken as relevant. */
  readonly docs: number;
  /** Expansion terms kept, by weight. */
  readonly terms: number;
  /** λ: the original query's share of the final weights; 1 turns feedback off. */
  readonly originalWeight: number;
}

/** A query term with its weight; `counts` marks the user's own terms (coordination). */
export interface WeightedTerm {
  readonly term: string;
  readonly weight: number;
  readonly counts: boolean;
}

/** What feedback reads of the first pass. */
export interface FeedbackSource {
  readonly analyzer: Analyzer;
  score(doc: number): number;
  /** The document's indexed text, field by field. */
  fields(doc: number): readonly string[];
}

/**
 * The expanded query: λ · P(w|Q) + (1 − λ) · P(w|R), where P(w|Q) is uniform over the
 * original terms and P(w|R) = Σ_D P(w|D) · P(D|Q) over the feedback documents, with P(D|Q)
 * their first-pass scores normalized to sum to 1, truncated to the best `terms` words and
 * renormalized. Undefined when the first pass found nothing to learn from.
 */
export function expandQuery(
  source: FeedbackSource,
  original: readonly WeightedTerm[],
  feedbackDocs: readonly number[],
  params: FeedbackParams,
): WeightedTerm[] | undefined {
  const total = feedbackDocs.reduce((sum, doc) => sum + source.score(doc), 0);
  if (feedbackDocs.length === 0 || total <= 0 || params.originalWeight >= 1) return undefined;
  const model = new Map<string, number>();
  for (const doc of feedbackDocs) {
    const counts = new Map<string, number>();
    let length = 0;
    for (const text of source.fields(doc)) {
      for (const token of source.analyzer.analyze(text)) {
        // Hashtags and mentions are also indexed as their words; count the words only.
        if (token.term.startsWith('#') || token.term.startsWith('@')) continue;
        counts.set(token.term, (counts.get(token.term) ?? 0) + 1);
        length += 1;
      }
    }
    if (length === 0) continue;
    const prior = source.score(doc) / total;
    for (const [term, count] of counts) {
      model.set(term, (model.get(term) ?? 0) + (count / length) * prior);
    }
  }
  const kept = [...model]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, params.terms);
  const keptMass = kept.reduce((sum, [, weight]) => sum + weight, 0);
  if (keptMass <= 0) return undefined;

  const lambda = params.originalWeight;
  const weights = new Map<string, number>();
  for (const clause of original) {
    weights.set(clause.term, (lambda * clause.weight) / original.length);
  }
  for (const [term, weight] of kept) {
    weights.set(term, (weights.get(term) ?? 0) + ((1 - lambda) * weight) / keptMass);
  }
  const users = new Set(original.map((clause) => clause.term));
  return [...weights].map(([term, weight]) => ({ term, weight, counts: users.has(term) }));
}
