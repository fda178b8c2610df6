/**
 * The candidate sources candidate-generation runs, in the order it reports them: the names
 * `SourceBudget.source` and `SourceScore.source` take. Shared so that a caller (an experiment's
 * `sourceBudgets`) can refuse a misspelt source when its config loads, not on every request.
 */
export const CANDIDATE_SOURCES = [
  'following',
  'tags',
  'co-engagement',
  'session',
  'embeddings',
  'related',
  'content',
  'trending',
  'popular',
  'fresh',
] as const;

export type CandidateSourceName = (typeof CANDIDATE_SOURCES)[number];
