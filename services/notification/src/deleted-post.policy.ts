import type { DirectoryStore } from './directory-store.js';
import { linkedPostIds, type NotificationCandidate } from './notification-candidate.js';
import { DELIVER, type NotificationPolicy, type PolicyVerdict } from './notification-policy.js';

/**
 * Drops a candidate whose posts were all deleted while it waited: it would link nowhere. One
 * deleted post among several leaves the rest worth sending; the renderer leaves it out.
 */
export class DeletedPostPolicy implements NotificationPolicy {
  readonly name = 'deleted-post';

  constructor(private readonly directory: DirectoryStore) {}

  async decide(candidate: NotificationCandidate): Promise<PolicyVerdict> {
    const postIds = linkedPostIds(candidate);
    if (postIds.length === 0) return DELIVER;
    const posts = await Promise.all(postIds.map((postId) => this.directory.post(postId)));
    return posts.every((post) => post?.deleted === true)
      ? { action: 'drop', reason: 'post-deleted' }
      : DELIVER;
  }
}
