import {
  PostingBurstDetector,
  type PostingBurst,
  type PostingBurstDetectorOptions,
} from './burst-detector.js';
import {
  NearDuplicateIndex,
  type NearDuplicate,
  type NearDuplicateIndexOptions,
} from './near-duplicate-index.js';
import { spamScore, type QualityThresholds } from './quality-signals.js';
import type { PostUnderstanding } from './understand-post.js';

export interface SpamSignalTrackerOptions {
  readonly burst?: PostingBurstDetectorOptions;
  readonly nearDuplicates?: NearDuplicateIndexOptions;
  readonly thresholds?: QualityThresholds;
}

export interface PostSpamSignals {
  readonly burst: PostingBurst;
  /** Earlier posts of other blogs with near-identical text, most similar first. */
  readonly reposts: readonly NearDuplicate[];
  /** The post's spam score with its burst and reposts counted. */
  readonly spamScore: number;
}

/**
 * The stateful spam signals of a stream of posts: posting bursts per blog and reposted text
 * across blogs. One per consumer; it rebuilds from the log like the consumer's other state.
 */
export class SpamSignalTracker {
  readonly bursts: PostingBurstDetector;
  readonly nearDuplicates: NearDuplicateIndex;
  readonly #thresholds: QualityThresholds;

  constructor(options: SpamSignalTrackerOptions = {}) {
    this.bursts = new PostingBurstDetector(options.burst);
    this.nearDuplicates = new NearDuplicateIndex(options.nearDuplicates);
    this.#thresholds = options.thresholds ?? {};
  }

  /** Records a new post (idempotent per post id for the index) and returns its signals. */
  observe(
    post: { readonly postId: string; readonly blogId: string; readonly createdAtMs: number },
    understanding: PostUnderstanding,
  ): PostSpamSignals {
    const burst = this.bursts.record(post.blogId, post.createdAtMs);
    const reposts =
      understanding.signals.wordCount >= 5
        ? this.nearDuplicates.findReposts(post.blogId, understanding.minhash, post.postId)
        : [];
    if (understanding.signals.wordCount >= 5) {
      this.nearDuplicates.add(post.postId, post.blogId, understanding.minhash);
    }
    return {
      burst,
      reposts,
      spamScore: spamScore(
        understanding.signals,
        { burstRatio: burst.burstRatio, repostSimilarity: reposts[0]?.similarity ?? 0 },
        this.#thresholds,
      ),
    };
  }

  forget(postId: string): void {
    this.nearDuplicates.remove(postId);
  }
}
