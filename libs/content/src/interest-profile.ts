import { normalizeDense } from './content-encoder.js';

export interface EngagedPost {
  /** The post's content vector (ContentEncoder.encode). */
  readonly vector: ArrayLike<number>;
  /** Its canonical tags. */
  readonly tags: readonly string[];
  /** How much the engagement says (a like 1, a reblog 2, a hide -1, decayed by age...). */
  readonly weight: number;
}

export interface NamedInterest {
  readonly tag: string;
  /** Share of the profile's tag weight, in (0, 1]; the listed interests sum to at most 1. */
  readonly weight: number;
}

export interface InterestProfile {
  /** The weighted sum of the engaged posts' vectors, L2-normalized; zeros without engagement. */
  readonly vector: Float32Array;
  /** Top tags by engagement weight, discounted by how common the tag is. */
  readonly interests: readonly NamedInterest[];
  readonly engagedPosts: number;
}

export interface InterestProfileOptions {
  readonly dim: number;
  readonly maxInterests?: number;
  /**
   * Posts in the corpus carrying a tag: interests are divided by its square root, so a
   * specific tag the user engages with beats one every post carries. Absent: no discount.
   */
  readonly tagPopularity?: (tag: string) => number;
}

/**
 * A user's content interests from the posts they engaged with: a vector in the encoder's
 * space (for the content-similarity candidate source and ranker features) and named tags with
 * weights (for GetUserFeatures and `feedmesh profile`). Negative weights push away.
 */
export function buildInterestProfile(
  engaged: readonly EngagedPost[],
  options: InterestProfileOptions,
): InterestProfile {
  const vector = new Float32Array(options.dim);
  const tagWeights = new Map<string, number>();
  for (const post of engaged) {
    for (let i = 0; i < options.dim; i++) vector[i]! += post.weight * (post.vector[i] ?? 0);
    const share = post.weight / Math.max(1, post.tags.length) ** 0.5;
    for (const tag of post.tags) {
      const popularity = options.tagPopularity?.(tag) ?? 1;
      tagWeights.set(tag, (tagWeights.get(tag) ?? 0) + share / Math.sqrt(Math.max(1, popularity)));
    }
  }
  const positive = [...tagWeights].filter(([, w]) => w > 0);
  const sum = positive.reduce((s, [, w]) => s + w, 0);
  const interests = positive
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, options.maxInterests ?? 10)
    .map(([tag, w]) => ({ tag, weight: w / sum }));
  return { vector: normalizeDense(vector), interests, engagedPosts: engaged.length };
}
