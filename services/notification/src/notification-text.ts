import { commonv1, notificationv1 } from '@feedmesh/contracts';
import type { DirectoryStore } from './directory-store.js';
import type { NotificationDraft } from './inbox-store.js';
import type { NotificationCandidate } from './notification-candidate.js';

const { EngagementKind } = commonv1;
const { NotificationType } = notificationv1;

/** Actors named in a body; the rest are counted. */
const NAMED_ACTORS = 3;

const VERBS: ReadonlyMap<commonv1.EngagementKind, string> = new Map([
  [EngagementKind.ENGAGEMENT_KIND_LIKE, 'liked your post'],
  [EngagementKind.ENGAGEMENT_KIND_REBLOG, 'reblogged your post'],
  [EngagementKind.ENGAGEMENT_KIND_REPLY, 'replied to your post'],
  [EngagementKind.ENGAGEMENT_KIND_UNSPECIFIED, 'followed your blog'],
]);

/**
 * Words a candidate, per type:
 * - ACTIVITY: "alice liked your post", "3 people liked your post" with the body
 *   "alice, bob and carol". Actors are named by their blog (their earliest), or by user id.
 * - NEW_POST: "New from alice" / "New from alice, bob and 2 others", body "3 new posts" (every
 *   post digested less those deleted or blocked, though it links to the 20 most recent, fewer
 *   or none when some of those were deleted or blocked; blogs with no post left are neither
 *   named nor counted); "New from 3 blogs" when the blogs it lists were all left out.
 * - TRENDING: "#cats is trending", body "Popular right now in #cats".
 * - REACTIVATION: "Here's what you missed", body "5 posts picked for you, from alice and bob"
 *   (the picked posts left; blogs with none left, deleted or blocked, are not named).
 * Blogs are named by their name, or by id when the directory does not know them.
 */
export class NotificationRenderer {
  constructor(private readonly directory: DirectoryStore) {}

  async render(candidate: NotificationCandidate, nowMs: number): Promise<NotificationDraft> {
    const { subject } = candidate;
    const base = {
      type: subject.type,
      activityKind: subject.activityKind,
      actorIds: [...candidate.actorIds],
      count: candidate.count,
      createdAtMs: nowMs,
    };
    switch (subject.type) {
      case NotificationType.NOTIFICATION_TYPE_NEW_POST: {
        const [blogs, postIds] = await Promise.all([
          this.blogNames(candidate.actorIds.slice(0, NAMED_ACTORS)),
          this.livePosts(candidate.postIds),
        ]);
        // Every post digested counts, not only the LISTED_POSTS it links to; deleted ones do not
        // (the deleted-post policy left them out already, linked or not, and dropped a
        // candidate with none left; this catches a linked one deleted since).
        const count = Math.max(
          postIds.length,
          candidate.count - (candidate.postIds.length - postIds.length),
        );
        // The blogs it lists may all have been left out (blocked) while others it counts
        // remain: then it counts them.
        const from =
          blogs.length > 0
            ? listNames(blogs, candidate.actorCount)
            : `${candidate.actorCount.toLocaleString('en-US')} ${candidate.actorCount === 1 ? 'blog' : 'blogs'}`;
        return {
          ...base,
          title: `New from ${from}`,
          body: `${count.toLocaleString('en-US')} new ${count === 1 ? 'post' : 'posts'}`,
          postIds,
          count,
        };
      }
      case NotificationType.NOTIFICATION_TYPE_TRENDING:
        return {
          ...base,
          title: `#${subject.topic} is trending`,
          body: `Popular right now in #${subject.topic}`,
          postIds: await this.livePosts(candidate.postIds),
        };
      case NotificationType.NOTIFICATION_TYPE_REACTIVATION: {
        const [blogs, postIds] = await Promise.all([
          this.blogNames(candidate.actorIds.slice(0, NAMED_ACTORS)),
          this.livePosts(candidate.postIds),
        ]);
        const posts = `${postIds.length} ${postIds.length === 1 ? 'post' : 'posts'} picked for you`;
        return {
          ...base,
          title: "Here's what you missed",
          body:
            blogs.length === 0 ? posts : `${posts}, from ${listNames(blogs, candidate.actorCount)}`,
          postIds,
        };
      }
      default: {
        const named = candidate.actorIds.slice(0, NAMED_ACTORS);
        const names = await this.directory.userNames(named);
        const nameOf = (userId: string): string => names.get(userId) ?? userId;
        return {
          ...base,
          title: activityTitle(subject.activityKind, candidate.actorCount, nameOf(named[0] ?? '')),
          body: activityBody(candidate, named.map(nameOf)),
          postIds: subject.postId === '' ? [] : [subject.postId],
        };
      }
    }
  }

  private async blogNames(blogIds: readonly string[]): Promise<string[]> {
    const blogs = await Promise.all(blogIds.map((blogId) => this.directory.blog(blogId)));
    return blogIds.map((blogId, i) => blogs[i]?.name || blogId);
  }

  /** The posts not deleted meanwhile (the policies left out those deleted before they looked). */
  private async livePosts(postIds: readonly string[]): Promise<string[]> {
    const posts = await Promise.all(postIds.map((postId) => this.directory.post(postId)));
    return postIds.filter((_, i) => posts[i]?.deleted !== true);
  }
}

/** "alice", "alice and bob", "alice, bob and carol", "alice, bob, carol and 4 others". */
function listNames(names: readonly string[], total: number): string {
  const others = total - names.length;
  if (others > 0) {
    return `${names.join(', ')} and ${others.toLocaleString('en-US')} ${others === 1 ? 'other' : 'others'}`;
  }
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1] ?? ''}`;
}

export function activityTitle(
  kind: commonv1.EngagementKind,
  actorCount: number,
  firstActorName: string,
): string {
  const verb = VERBS.get(kind) ?? 'interacted with your post';
  if (actorCount <= 1) return `${firstActorName} ${verb}`;
  return `${actorCount.toLocaleString('en-US')} people ${verb}`;
}

function activityBody(candidate: NotificationCandidate, names: readonly string[]): string {
  if (candidate.actorCount <= 1) return candidate.count > 1 ? `${candidate.count} times` : '';
  return listNames(names, candidate.actorCount);
}
