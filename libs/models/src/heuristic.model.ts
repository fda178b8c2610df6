import {
  MODEL_FORMAT,
  type FeatureTransform,
  type LogisticModelDocument,
} from './model-document.js';
import { DEFAULT_OBJECTIVE_WEIGHTS, OBJECTIVES, type ObjectiveName } from './objectives.js';

/** The registry name and version under which the ranker serves the built-in model. */
export const HEURISTIC_MODEL_NAME = 'heuristic';
export const HEURISTIC_MODEL_VERSION = 'builtin-1';

interface HeuristicFeature {
  readonly name: string;
  readonly transform: FeatureTransform;
  /** Log-odds added per unit of the (transformed) feature, per objective; absent means 0. */
  readonly effect: Readonly<Partial<Record<ObjectiveName, number>>>;
}

/**
 * Hand-set weights over the feature store's most telling features, so a fresh deployment
 * ranks sensibly before the trainer has published anything. Each row reads "one more unit of
 * this feature multiplies the odds of that objective by e^effect":
 *
 * - `post.like_rate_7d`, `post.hide_rate_7d`: Bayesian rates in [0, 1]; what others did with the
 *   post is the strongest cold signal (a 10-point like rate ~ +0.6 log-odds of a like).
 * - `post.likes_1d`, `post.reblogs_1d`: decayed counts, log1p so a viral post cannot swamp
 *   everything else (one e-fold of likes ~ +0.25).
 * - `post.age_hours`: log1p; older posts slowly lose (a day old ~ -0.5 vs an hour old).
 * - `user_blog.follows` (0/1), `user_blog.engagements_30d`, `user_tag.affinity_max`: the user's
 *   own relationship with the creator and the post's tags; following makes follow moot.
 * - `user_blog.hides_30d`: the user said "show less" of this creator before.
 *
 * Every feature defaults to 0, the neutral value, so a cold user or post, or a feature the
 * store does not serve, simply contributes nothing. Intercepts are rough site-wide base rates.
 */
const FEATURES: readonly HeuristicFeature[] = [
  { name: 'post.like_rate_7d', transform: 'identity', effect: { like: 6, reblog: 4, reply: 2 } },
  { name: 'post.hide_rate_7d', transform: 'identity', effect: { like: -3, hide: 8 } },
  { name: 'post.likes_1d', transform: 'log1p', effect: { like: 0.25, reblog: 0.2, reply: 0.1 } },
  { name: 'post.reblogs_1d', transform: 'log1p', effect: { reblog: 0.3, like: 0.1 } },
  {
    name: 'post.age_hours',
    transform: 'log1p',
    effect: { like: -0.15, reblog: -0.15, reply: -0.2 },
  },
  {
    name: 'user_blog.follows',
    transform: 'identity',
    effect: { like: 0.8, reblog: 0.5, reply: 0.6, follow: -4, hide: -0.5 },
  },
  {
    name: 'user_blog.engagements_30d',
    transform: 'log1p',
    effect: { like: 0.6, reblog: 0.4, reply: 0.5, follow: 0.8, hide: -0.3 },
  },
  { name: 'user_blog.hides_30d', transform: 'log1p', effect: { like: -1, hide: 1.5, follow: -2 } },
  {
    name: 'user_tag.affinity_max',
    transform: 'log1p',
    effect: { like: 0.5, reblog: 0.4, reply: 0.2, follow: 0.3, hide: -0.2 },
  },
];

const INTERCEPTS: Readonly<Record<ObjectiveName, number>> = {
  like: -3, // ~5% of impressions
  reblog: -4.5, // ~1%
  reply: -5.5, // ~0.4%
  follow: -6, // ~0.25%
  hide: -5, // ~0.7%
};

export function heuristicModel(): LogisticModelDocument {
  return {
    format: MODEL_FORMAT,
    family: 'logistic',
    description: 'Built-in hand-set weights; served until a trained model is promoted.',
    features: FEATURES.map((f) => ({ name: f.name, default: 0, transform: f.transform })),
    normalization: { mean: FEATURES.map(() => 0), scale: FEATURES.map(() => 1) },
    objectives: OBJECTIVES.map((objective) => ({
      objective,
      intercept: INTERCEPTS[objective],
      coefficients: FEATURES.map((f) => f.effect[objective] ?? 0),
    })),
    defaultWeights: { ...DEFAULT_OBJECTIVE_WEIGHTS },
  };
}
