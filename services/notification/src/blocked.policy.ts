import { notificationv1 } from '@feedmesh/contracts';
import type { BlockStore } from './block-store.js';
import type { DigestStore } from './digest-store.js';
import type { DirectoryStore } from './directory-store.js';
import { leaveOut, nothingLeft, type NotificationCandidate } from './notification-candidate.js';
import { DELIVER, type NotificationPolicy, type PolicyVerdict } from './notification-policy.js';

const { NotificationType } = notificationv1;

/**
 * Nothing from a blog the user blocked, even what was pending when they blocked it: its posts
 * are left out of NEW_POST, TRENDING and REACTIVATION candidates and its blog out of their
 * actors; the blog's owner is left out of the actors of ACTIVITY ("alice liked your post").
 * The counts lose what the blocked made, whether or not the candidate lists them (it lists
 * the 20 most recent actors and posts): an ACTIVITY count their every like or reply, a
 * NEW_POST count their every post (DigestStore.actorEntries). A candidate with nothing left
 * (every actor, or every post of a TRENDING or REACTIVATION, blocked; an ACTIVITY or NEW_POST
 * count down to 0) is dropped. A NEW_POST whose linked posts are all blocked but whose count
 * is not is sent without links: it links only among the 20 most recent it lists.
 */
export class BlockedPolicy implements NotificationPolicy {
  readonly name = 'blocked';

  constructor(
    private readonly blocks: BlockStore,
    private readonly directory: DirectoryStore,
    private readonly digests: Pick<DigestStore, 'actorEntries'>,
  ) {}

  async decide(candidate: NotificationCandidate): Promise<PolicyVerdict> {
    const blocked = await this.blocks.blocked(candidate.subject.userId);
    if (blocked.size === 0) return DELIVER;
    const [posts, actors] = await Promise.all([
      Promise.all(candidate.postIds.map((postId) => this.directory.post(postId))),
      this.blockedActors(candidate, blocked),
    ]);
    const postIds = candidate.postIds.filter((_, i) => blocked.has(posts[i]?.blogId ?? ''));
    if (postIds.length === 0 && actors.size === 0) return DELIVER;
    // A counted candidate lives by its count: a NEW_POST digest lists (and links to) only its
    // LISTED_POSTS most recent posts, so when those are all blocked, older posts of other blogs
    // may remain, counted but not linked; it is sent with its count and no links. TRENDING and
    // REACTIVATION are their posts: with none left, nothing is.
    return nothingLeft(candidate, leaveOut(candidate, new Set(postIds), actors))
      ? { action: 'drop', reason: 'blocked' }
      : { action: 'leave-out', postIds, actors, reason: 'blocked' };
  }

  /**
   * The candidate's actors that are blocked, with their entries: ACTIVITY's actors are users,
   * the owners of the blocked blogs; other types' are blogs.
   */
  private async blockedActors(
    candidate: NotificationCandidate,
    blocked: ReadonlySet<string>,
  ): Promise<Map<string, number>> {
    if (candidate.actorCount === 0) return new Map();
    const actorIds =
      candidate.subject.type === NotificationType.NOTIFICATION_TYPE_ACTIVITY
        ? await this.ownersOf(blocked)
        : blocked;
    return this.digests.actorEntries(candidate, [...actorIds]);
  }

  private async ownersOf(blogIds: ReadonlySet<string>): Promise<ReadonlySet<string>> {
    const blogs = await Promise.all([...blogIds].map((blogId) => this.directory.blog(blogId)));
    return new Set(blogs.flatMap((blog) => (blog === undefined ? [] : [blog.ownerUserId])));
  }
}
