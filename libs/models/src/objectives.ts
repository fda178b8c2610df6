/**
 * What a ranking model predicts for a (user, post) pair, by the names models are stored
 * under. The ranker maps them to `rankerv1.Objective`; the order here is the order of a
 * model's outputs unless the model says otherwise.
 */
export const OBJECTIVES = ['like', 'reblog', 'reply', 'follow', 'hide'] as const;

export type ObjectiveName = (typeof OBJECTIVES)[number];

export function isObjectiveName(value: string): value is ObjectiveName {
  return (OBJECTIVES as readonly string[]).includes(value);
}

/**
 * What a fresh model weighs its objectives by when a request names no weights: engagement
 * that spreads a post (reblog) or builds a relationship (follow) counts more than a like,
 * and "show less" counts heavily against.
 */
export const DEFAULT_OBJECTIVE_WEIGHTS: Readonly<Record<ObjectiveName, number>> = Object.freeze({
  like: 1,
  reblog: 2,
  reply: 1.5,
  follow: 3,
  hide: -4,
});
