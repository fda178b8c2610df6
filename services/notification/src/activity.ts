import { commonv1, notificationv1 } from '@feedmesh/contracts';

/**
 * Something done to a user's post or blog, resolved to the user who should hear about it:
 * the trigger's output and the digest's input.
 */
export interface Activity {
  /** The event it came from: the unit of de-duplication. */
  readonly eventId: string;
  readonly atMs: number;
  /** The owner of the blog the post is on, or of the followed blog. */
  readonly recipientId: string;
  readonly actorId: string;
  /** LIKE, REBLOG or REPLY; UNSPECIFIED for a follow. */
  readonly kind: commonv1.EngagementKind;
  /** The post acted on; empty for a follow. */
  readonly postId: string;
  /** The recipient's blog it happened on. */
  readonly blogId: string;
}

/** Engagements that notify the post's owner; SHARE, CLICK, HIDE and REPORT never do. */
export const NOTIFYING_ENGAGEMENTS: ReadonlySet<commonv1.EngagementKind> = new Set([
  commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE,
  commonv1.EngagementKind.ENGAGEMENT_KIND_REBLOG,
  commonv1.EngagementKind.ENGAGEMENT_KIND_REPLY,
]);

/**
 * What a digest is about, and so which pending digest an activity joins. Fields a type does
 * not use are empty (or UNSPECIFIED):
 * - ACTIVITY: activity of one kind on one post (`postId`), or follows of one blog (`blogId`);
 * - NEW_POST: new posts of the recipient's favourite blogs, all blogs together;
 * - TRENDING: one trending tag (`topic`);
 * - REACTIVATION: one "what you missed" digest (`topic` names the lapse it answers: the time of
 *   the last session before it, ms, in decimal).
 */
export interface DigestSubject {
  readonly userId: string;
  readonly type: notificationv1.NotificationType;
  readonly activityKind: commonv1.EngagementKind;
  readonly postId: string;
  readonly blogId: string;
  readonly topic: string;
}

export function subjectOf(activity: Activity): DigestSubject {
  return {
    userId: activity.recipientId,
    type: notificationv1.NotificationType.NOTIFICATION_TYPE_ACTIVITY,
    activityKind: activity.kind,
    postId: activity.postId,
    blogId: activity.blogId,
    topic: '',
  };
}

/**
 * The identity of a digest's subject. `|` never occurs in ids, and the topic (which may hold
 * any tag) comes last, so the parts cannot run into each other.
 */
export function groupKeyOf(subject: DigestSubject): string {
  const { userId, type, activityKind, postId, blogId, topic } = subject;
  return `${userId}|${type}|${activityKind}|${postId}|${blogId}|${topic}`;
}
