import { notificationv1 } from '@feedmesh/contracts';
import type { DigestStore } from './digest-store.js';
import type { DirectoryStore, KnownPost } from './directory-store.js';
import {
  leaveOut,
  linkedPostIds,
  nothingLeft,
  type NotificationCandidate,
} from './notification-candidate.js';
import { DELIVER, type NotificationPolicy, type PolicyVerdict } from './notification-policy.js';

const { NotificationType } = notificationv1;

const DELETED: PolicyVerdict = { action: 'drop', reason: 'post-deleted' };

/**
 * Posts deleted while a candidate waited are left out of it (it would link nowhere, and they
 * are no longer news), and a candidate with nothing left is dropped. Deletions are the
 * directory's tombstones (PostDeleted), looked up by post id when the candidate is judged:
 * - ACTIVITY is about its one post ("3 people liked your post"): once the owner deleted it,
 *   there is nothing to open and nothing to tell, so it is dropped. Follows link no post.
 * - NEW_POST counts every post digested but links to the 20 most recent, so every post its
 *   digest tracks is looked up, linked or not (DigestStore.trackedPostIds: up to
 *   TRACKED_POSTS, the most recent; older ones are not known and count as live). Its count
 *   loses each deleted one; a blog whose every post in it was deleted (as many deleted as its
 *   entries, DigestStore.actorEntries) is left out of the blogs it names and counts; with no
 *   post left it is dropped. It is sent with the live links, none when every linked post was
 *   deleted but older posts remain.
 * - TRENDING and REACTIVATION are their posts: dropped when none is left. A REACTIVATION names
 *   the blogs of its picked posts ("from alice and bob"): a blog none of whose picked posts is
 *   left is no longer named. Its one entry names every picked post and blog (at most 20 of
 *   each: NOTIFICATION_REACTIVATION_POSTS), so each picked post is looked up, and a blog is left
 *   out when a deleted pick is its (the tombstone keeps the post's blog) and no live one is. A
 *   pick whose blog the directory does not know (never recorded, or forgotten) counts for no
 *   blog: live, it keeps none named; deleted, it leaves none out.
 * What deletions and other policies (blocked) leave out together is judged by the pipeline
 * (`nothing-left`), so the words never say "0 new posts".
 */
export class DeletedPostPolicy implements NotificationPolicy {
  readonly name = 'deleted-post';

  constructor(
    private readonly directory: DirectoryStore,
    private readonly digests: Pick<DigestStore, 'actorEntries' | 'trackedPostIds'>,
  ) {}

  async decide(candidate: NotificationCandidate): Promise<PolicyVerdict> {
    const postIds =
      candidate.subject.type === NotificationType.NOTIFICATION_TYPE_NEW_POST
        ? await this.trackedPostIds(candidate)
        : linkedPostIds(candidate);
    if (postIds.length === 0) return DELIVER;
    const posts = await Promise.all(postIds.map((postId) => this.directory.post(postId)));
    const deletedPosts = new Map<string, string>();
    postIds.forEach((postId, i) => {
      const post = posts[i];
      if (post?.deleted === true) deletedPosts.set(postId, post.blogId);
    });
    if (deletedPosts.size === 0) return DELIVER;
    if (candidate.subject.postId !== '') return DELETED;
    const actors =
      candidate.subject.type === NotificationType.NOTIFICATION_TYPE_REACTIVATION
        ? await this.pickedBlogsWithNothingLeft(candidate, postIds, posts)
        : await this.blogsWithNothingLeft(candidate, deletedPosts);
    return nothingLeft(candidate, leaveOut(candidate, new Set(), actors, deletedPosts))
      ? DELETED
      : { action: 'leave-out', postIds: [], actors, deletedPosts, reason: 'post-deleted' };
  }

  /** The posts a NEW_POST's digest tracks, and those it lists (kept if it was completed). */
  private async trackedPostIds(candidate: NotificationCandidate): Promise<string[]> {
    const tracked = await this.digests.trackedPostIds(candidate);
    return [...new Set([...candidate.postIds, ...tracked])];
  }

  /**
   * A REACTIVATION's blogs with a deleted pick and no live one (`posts`: the directory's entry
   * of each of `postIds`, its picks), with their entries: its actors are the blogs of its picks.
   */
  private async pickedBlogsWithNothingLeft(
    candidate: NotificationCandidate,
    postIds: readonly string[],
    posts: readonly (KnownPost | undefined)[],
  ): Promise<Map<string, number>> {
    const withDeleted = new Set<string>();
    const withLive = new Set<string>();
    postIds.forEach((_, i) => {
      const post = posts[i];
      if (post === undefined || post.blogId === '') return;
      (post.deleted ? withDeleted : withLive).add(post.blogId);
    });
    const gone = [...withDeleted].filter((blogId) => !withLive.has(blogId));
    return gone.length === 0 ? new Map() : this.digests.actorEntries(candidate, gone);
  }

  /**
   * A NEW_POST's blogs all of whose posts in it were deleted, with their entries: a blog whose
   * entries the digest no longer tracks, or with a post beyond those it tracks, stays.
   */
  private async blogsWithNothingLeft(
    candidate: NotificationCandidate,
    deletedPosts: ReadonlyMap<string, string>,
  ): Promise<Map<string, number>> {
    if (candidate.subject.type !== NotificationType.NOTIFICATION_TYPE_NEW_POST) return new Map();
    const deletedOf = new Map<string, number>();
    for (const blogId of deletedPosts.values()) {
      if (blogId !== '') deletedOf.set(blogId, (deletedOf.get(blogId) ?? 0) + 1);
    }
    if (deletedOf.size === 0) return new Map();
    const entries = await this.digests.actorEntries(candidate, [...deletedOf.keys()]);
    return new Map([...entries].filter(([blogId, made]) => (deletedOf.get(blogId) ?? 0) >= made));
  }
}
