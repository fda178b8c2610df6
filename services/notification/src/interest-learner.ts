import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import type { DirectoryLookups, DirectoryStore } from './directory-store.js';
import type { InterestStore } from './interest-store.js';

const { EngagementKind } = commonv1;

/**
 * How much an engagement says about caring for the post's blog and tags. Reblogging and
 * replying cost the user more than a like, a click less; a follow is a standing statement.
 */
const ENGAGEMENT_WEIGHTS: ReadonlyMap<commonv1.EngagementKind, number> = new Map([
  [EngagementKind.ENGAGEMENT_KIND_LIKE, 1],
  [EngagementKind.ENGAGEMENT_KIND_REBLOG, 3],
  [EngagementKind.ENGAGEMENT_KIND_REPLY, 2],
  [EngagementKind.ENGAGEMENT_KIND_SHARE, 2],
  [EngagementKind.ENGAGEMENT_KIND_CLICK, 0.5],
]);
const FOLLOW_WEIGHT = 5;

/** "Show less" and reports: no new-post notifications from that blog, whatever came before. */
const REJECTIONS: ReadonlySet<commonv1.EngagementKind> = new Set([
  EngagementKind.ENGAGEMENT_KIND_HIDE,
  EngagementKind.ENGAGEMENT_KIND_REPORT,
]);

export type LearnResult = 'learned' | 'ignored' | 'waiting';

/**
 * Whether an engagement of this kind takes interest back (a hide or report) rather than adds
 * to it. Adds commute (scores are sums); taking back does not commute with them.
 */
export function forgetsInterest(kind: commonv1.EngagementKind): boolean {
  return REJECTIONS.has(kind);
}

/**
 * Learns from the log which blogs and tags each user engages with most (InterestStore), for the
 * NEW_POST and TRENDING triggers. It learns from the whole history, stale or not: decay by event
 * time makes old engagements count little, and a new consumer group must rebuild interests
 * from the beginning. Engagements with one's own blog teach nothing.
 */
export class InterestLearner {
  constructor(
    private readonly directory: DirectoryStore,
    private readonly interests: InterestStore,
  ) {}

  /** 'waiting' when the post is not known yet: the event should be parked on it. */
  async learnEngagement(
    event: eventsv1.Event,
    lookups: DirectoryLookups = this.directory,
  ): Promise<LearnResult> {
    if (event.payload?.$case !== 'engagement') return 'ignored';
    const { userId, postId, kind } = event.payload.value;
    const weight = ENGAGEMENT_WEIGHTS.get(kind);
    if (userId === '' || postId === '' || (weight === undefined && !REJECTIONS.has(kind))) {
      return 'ignored';
    }
    const post = await lookups.post(postId);
    if (post?.deleted) return 'ignored';
    if (post === undefined || post.blogId === '') return 'waiting';
    const blog = await lookups.blog(post.blogId);
    if (blog?.ownerUserId === userId) return 'ignored';
    if (weight === undefined) {
      await this.interests.forget(userId, 'blog', post.blogId);
      return 'learned';
    }
    await Promise.all([
      this.interests.add(userId, 'blog', post.blogId, weight, event.atMs),
      ...post.tags.map((tag) => this.interests.add(userId, 'tag', tag, weight, event.atMs)),
    ]);
    return 'learned';
  }

  async learnFollow(userId: string, blogId: string, atMs: number): Promise<void> {
    if (userId === '' || blogId === '') return;
    const blog = await this.directory.blog(blogId);
    if (blog?.ownerUserId === userId) return;
    await this.interests.add(userId, 'blog', blogId, FOLLOW_WEIGHT, atMs);
  }

  /** Unfollow and Block: the user said they want less of the blog. */
  async forgetBlog(userId: string, blogId: string): Promise<void> {
    if (userId === '' || blogId === '') return;
    await this.interests.forget(userId, 'blog', blogId);
  }
}
