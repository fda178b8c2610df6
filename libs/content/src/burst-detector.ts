import { InvalidArgumentError } from '@feedmesh/errors';

export interface PostingBurstDetectorOptions {
  /** The sliding window. */
  readonly windowMs?: number;
  /** A blog posting more than this many posts inside one window is bursting. */
  readonly maxPostsPerWindow?: number;
  /** Blogs tracked at most; the least recently posting are forgotten first (memory bound). */
  readonly maxBlogs?: number;
}

export interface PostingBurst {
  /** Posts by the blog inside the window ending at this post, this one included. */
  readonly postsInWindow: number;
  /** postsInWindow / maxPostsPerWindow: above 1 is a burst. */
  readonly burstRatio: number;
  readonly bursting: boolean;
}

/**
 * Per-blog posting rate over a sliding window: a blog that suddenly posts dozens of times in a
 * few minutes is a spam signal. Events may arrive a little out of order; each is counted at
 * its own time.
 */
export class PostingBurstDetector {
  readonly windowMs: number;
  readonly maxPostsPerWindow: number;
  readonly maxBlogs: number;
  /** Each blog's post times in the window, ascending; Map order is least recently posting first. */
  readonly #times = new Map<string, number[]>();

  constructor(options: PostingBurstDetectorOptions = {}) {
    this.windowMs = options.windowMs ?? 10 * 60_000;
    this.maxPostsPerWindow = options.maxPostsPerWindow ?? 20;
    this.maxBlogs = options.maxBlogs ?? 100_000;
    if (!(this.windowMs > 0)) throw new InvalidArgumentError('window_ms', 'must be positive');
    if (!(this.maxPostsPerWindow > 0)) {
      throw new InvalidArgumentError('max_posts_per_window', 'must be positive');
    }
  }

  /** Counts a post by the blog at atMs and says whether the blog is bursting. */
  record(blogId: string, atMs: number): PostingBurst {
    const times = this.#times.get(blogId) ?? [];
    this.#times.delete(blogId);
    let at = times.length;
    while (at > 0 && times[at - 1]! > atMs) at--;
    times.splice(at, 0, atMs);
    const burst = this.#burst(times.filter((t) => t > atMs - this.windowMs && t <= atMs).length);
    const newest = times[times.length - 1]!;
    while (times.length > 0 && times[0]! <= newest - this.windowMs) times.shift();
    this.#times.set(blogId, times);
    if (this.#times.size > this.maxBlogs) {
      const oldest = this.#times.keys().next().value;
      if (oldest !== undefined) this.#times.delete(oldest);
    }
    return burst;
  }

  /** The blog's current state at nowMs, without counting a post. */
  peek(blogId: string, nowMs: number): PostingBurst {
    const times = this.#times.get(blogId) ?? [];
    return this.#burst(times.filter((t) => t > nowMs - this.windowMs && t <= nowMs).length);
  }

  #burst(postsInWindow: number): PostingBurst {
    const burstRatio = postsInWindow / this.maxPostsPerWindow;
    return { postsInWindow, burstRatio, bursting: burstRatio > 1 };
  }
}
