import type { DirectoryStore } from './directory-store.js';
import type { NotificationCandidate } from './notification-candidate.js';
import { DELIVER, type NotificationPolicy, type PolicyVerdict } from './notification-policy.js';

/** Drops activity on a post deleted while its digest was pending: it would link nowhere. */
export class DeletedPostPolicy implements NotificationPolicy {
  readonly name = 'deleted-post';

  constructor(private readonly directory: DirectoryStore) {}

  async decide(candidate: NotificationCandidate): Promise<PolicyVerdict> {
    const { postId } = candidate.subject;
    if (postId === '') return DELIVER;
    const post = await this.directory.post(postId);
    return post?.deleted ? { action: 'drop', reason: 'post-deleted' } : DELIVER;
  }
}
