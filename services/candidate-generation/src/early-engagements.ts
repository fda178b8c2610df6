import type { EngagementWrite } from './candidate-store.js';

export interface EarlyEngagementsLimits {
  /** Posts remembered at once; past it the post first remembered is forgotten. */
  readonly posts: number;
  /** Engagements remembered per post; later ones are not. */
  readonly perPost: number;
  /**
   * Engagements remembered in all (a few hundred bytes each); past it the posts first
   * remembered are forgotten. Likes of posts whose PostCreated the log no longer holds (trimmed
   * by its length cap) wait here for good, so this bounds what they can take.
   */
  readonly total: number;
}

export const DEFAULT_EARLY_ENGAGEMENTS_LIMITS: EarlyEngagementsLimits = {
  posts: 20_000,
  perPost: 100,
  total: 100_000,
};

/**
 * Engagements of posts whose PostCreated has not been applied yet, kept until it is. The log
 * orders a user's events, not a post's against its engagers' (a post is partitioned by its id,
 * a like by its user), so a like can be applied first: it is recorded at once without tags,
 * and what it gives the post's tags is credited when the post comes (`CandidateStore.creditTags`).
 * Bounded: what is forgotten only loses that credit.
 */
export class EarlyEngagements {
  private readonly byPost = new Map<string, EngagementWrite[]>();
  private waiting = 0;
  private forgotten = 0;

  constructor(private readonly limits: EarlyEngagementsLimits = DEFAULT_EARLY_ENGAGEMENTS_LIMITS) {}

  remember(engagement: EngagementWrite): void {
    let list = this.byPost.get(engagement.postId);
    if (!list) this.byPost.set(engagement.postId, (list = []));
    if (list.length >= this.limits.perPost) {
      this.forgotten += 1;
      return;
    }
    list.push(engagement);
    this.waiting += 1;
    while (this.byPost.size > this.limits.posts || this.waiting > this.limits.total) {
      const [oldest, dropped] = this.byPost.entries().next().value!;
      this.byPost.delete(oldest);
      this.waiting -= dropped.length;
      this.forgotten += dropped.length;
    }
  }

  /** The engagements remembered for `postId`, now forgotten. */
  take(postId: string): EngagementWrite[] {
    const list = this.byPost.get(postId) ?? [];
    this.byPost.delete(postId);
    this.waiting -= list.length;
    return list;
  }

  /** Engagements waiting for their posts, and engagements forgotten at the bounds since start. */
  get stats(): { readonly waiting: number; readonly forgotten: number } {
    return { waiting: this.waiting, forgotten: this.forgotten };
  }
}
