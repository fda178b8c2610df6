import { PrefixSampler, type SeededRandom } from './random.js';
import { TOPICS } from './topics.js';
import type { WorldBlog } from './world-truth.js';

/**
 * Picks a blog to follow: by topic (a person follows blogs about what they like) or site-wide,
 * popular blogs more often, among the blogs that exist at the time.
 */
export class FollowTargetSampler {
  private readonly byTopic: TopicBlogs[];
  private readonly everywhere: TopicBlogs;

  constructor(blogs: readonly WorldBlog[]) {
    this.byTopic = TOPICS.map((_, topic) =>
      topicBlogs(
        blogs.flatMap((blog, index) => {
          const share = blog.topics.find((t) => t.topic === topic)?.weight ?? 0;
          return share > 0
            ? [{ index, weight: blog.popularity * share, at: blog.createdAtMs }]
            : [];
        }),
      ),
    );
    this.everywhere = topicBlogs(
      blogs.map((blog, index) => ({ index, weight: blog.popularity, at: blog.createdAtMs })),
    );
  }

  /** A blog about `topic` (or any blog when `topic` is undefined) created before `beforeMs`. */
  draw(random: SeededRandom, topic: number | undefined, beforeMs: number): number | undefined {
    const pool = topic === undefined ? this.everywhere : this.byTopic[topic];
    if (pool === undefined) return undefined;
    const position = pool.sampler.draw(random, countBefore(pool.createdAt, beforeMs));
    return position === undefined ? undefined : pool.blogIndexes[position];
  }
}

interface TopicBlogs {
  readonly blogIndexes: Int32Array;
  readonly createdAt: Float64Array;
  readonly sampler: PrefixSampler;
}

/** `entries` come in blog order, which is creation order, so eligibility is a prefix. */
function topicBlogs(entries: readonly { index: number; weight: number; at: number }[]): TopicBlogs {
  return {
    blogIndexes: Int32Array.from(entries.map((e) => e.index)),
    createdAt: Float64Array.from(entries.map((e) => e.at)),
    sampler: new PrefixSampler(entries.map((e) => e.weight)),
  };
}

/** How many of the ascending `times` are before `limit`. */
export function countBefore(times: Float64Array, limit: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((times[middle] as number) < limit) low = middle + 1;
    else high = middle;
  }
  return low;
}
