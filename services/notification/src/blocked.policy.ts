import { notificationv1 } from '@feedmesh/contracts';
import type { BlockStore } from './block-store.js';
import type { DirectoryStore } from './directory-store.js';
import { leaveOut, type NotificationCandidate } from './notification-candidate.js';
import { DELIVER, type NotificationPolicy, type PolicyVerdict } from './notification-policy.js';

/**
 * Nothing from a blog the user blocked, even what was pending when they blocked it: its posts
 * are left out of NEW_POST, TRENDING and REACTIVATION candidates and its blog out of their
 * actors; the blog's owner is left out of the actors of ACTIVITY ("alice liked your post").
 * A candidate with nothing left (every actor, or every post it had, blocked) is dropped.
 */
export class BlockedPolicy implements NotificationPolicy {
  readonly name = 'blocked';

  constructor(
    private readonly blocks: BlockStore,
    private readonly directory: DirectoryStore,
  ) {}

  async decide(candidate: NotificationCandidate): Promise<PolicyVerdict> {
    const blocked = await this.blocks.blocked(candidate.subject.userId);
    if (blocked.size === 0) return DELIVER;
    const [posts, blockedActors] = await Promise.all([
      Promise.all(candidate.postIds.map((postId) => this.directory.post(postId))),
      // ACTIVITY's actors are users: the owners of the blocked blogs. Other types' are blogs.
      candidate.subject.type === notificationv1.NotificationType.NOTIFICATION_TYPE_ACTIVITY
        ? this.ownersOf(blocked)
        : blocked,
    ]);
    const postIds = candidate.postIds.filter((_, i) => blocked.has(posts[i]?.blogId ?? ''));
    const actorIds = candidate.actorIds.filter((actorId) => blockedActors.has(actorId));
    if (postIds.length === 0 && actorIds.length === 0) return DELIVER;
    const rest = leaveOut(candidate, new Set(postIds), new Set(actorIds));
    const nothingLeft =
      (candidate.actorCount > 0 && rest.actorCount === 0) ||
      (candidate.postIds.length > 0 && rest.postIds.length === 0);
    return nothingLeft
      ? { action: 'drop', reason: 'blocked' }
      : { action: 'leave-out', postIds, actorIds, reason: 'blocked' };
  }

  private async ownersOf(blogIds: ReadonlySet<string>): Promise<ReadonlySet<string>> {
    const blogs = await Promise.all([...blogIds].map((blogId) => this.directory.blog(blogId)));
    return new Set(blogs.flatMap((blog) => (blog === undefined ? [] : [blog.ownerUserId])));
  }
}
