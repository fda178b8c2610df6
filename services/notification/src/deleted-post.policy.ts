import type { DirectoryStore } from './directory-store.js';
import {
  leaveOut,
  linkedPostIds,
  nothingLeft,
  type NotificationCandidate,
} from './notification-candidate.js';
import { DELIVER, type NotificationPolicy, type PolicyVerdict } from './notification-policy.js';

/**
 * Posts deleted while a candidate waited are left out of it (it would link nowhere), and a
 * candidate with nothing left is dropped:
 * - ACTIVITY is about its one post ("3 people liked your post"): once the owner deleted it,
 *   there is nothing to open and nothing to tell, so it is dropped. Follows link no post.
 * - NEW_POST counts every post digested, linked or not (it links to the 20 most recent), less
 *   the deleted ones it links to: it is dropped when that count is 0, and otherwise sent with
 *   it and the live links, none when every linked post was deleted but older posts remain.
 * - TRENDING and REACTIVATION are their posts: dropped when none is left.
 * What deletions and other policies (blocked) leave out together is judged by the pipeline
 * (`nothing-left`), so the words never say "0 new posts".
 */
export class DeletedPostPolicy implements NotificationPolicy {
  readonly name = 'deleted-post';

  constructor(private readonly directory: DirectoryStore) {}

  async decide(candidate: NotificationCandidate): Promise<PolicyVerdict> {
    const postIds = linkedPostIds(candidate);
    if (postIds.length === 0) return DELIVER;
    const posts = await Promise.all(postIds.map((postId) => this.directory.post(postId)));
    const deletedPostIds = postIds.filter((_, i) => posts[i]?.deleted === true);
    if (deletedPostIds.length === 0) return DELIVER;
    if (candidate.subject.postId !== '') return { action: 'drop', reason: 'post-deleted' };
    return nothingLeft(
      candidate,
      leaveOut(candidate, new Set(), new Map(), new Set(deletedPostIds)),
    )
      ? { action: 'drop', reason: 'post-deleted' }
      : {
          action: 'leave-out',
          postIds: [],
          actors: new Map(),
          deletedPostIds,
          reason: 'post-deleted',
        };
  }
}
