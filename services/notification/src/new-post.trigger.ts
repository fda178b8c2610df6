import { commonv1, notificationv1, type eventsv1 } from '@feedmesh/contracts';
import type { DigestEntry } from './digest-store.js';
import type { DirectoryStore } from './directory-store.js';
import type { InterestStore } from './interest-store.js';

export interface NewPostTriggerSettings {
  /** A blog must be among a user's this-many strongest for its posts to notify them. */
  readonly topBlogs: number;
  /** Fans considered per post: the strongest, so a huge blog costs a bounded fan-out. */
  readonly maxFans: number;
  /** Posts older than this when consumed are not news, ms. */
  readonly maxAgeMs: number;
  /** NEW_POST digest window: posts within it merge into one notification, ms. */
  readonly windowMs: number;
}

/**
 * A new original post tells the users who count its blog among the blogs they engage with
 * most (InterestStore.amongTop), digested per recipient across blogs: "New from alice and bob".
 * Reblogs are not news from the blog (the root's owner already hears about them as ACTIVITY),
 * and neither are posts older than `maxAgeMs`, as when a new group replays history.
 */
export class NewPostTrigger {
  constructor(
    private readonly directory: DirectoryStore,
    private readonly interests: InterestStore,
    private readonly settings: NewPostTriggerSettings,
    private readonly clock: () => number,
  ) {}

  async entries(event: eventsv1.Event): Promise<DigestEntry[]> {
    if (event.payload?.$case !== 'postCreated') return [];
    const { postId, blogId, reblogOf } = event.payload.value;
    const atMs = event.atMs > 0 ? event.atMs : this.clock();
    if (postId === '' || blogId === '' || reblogOf !== '') return [];
    if (this.clock() - atMs > this.settings.maxAgeMs) return [];
    const [fans, blog] = await Promise.all([
      this.interests.fans('blog', blogId, this.settings.maxFans),
      this.directory.blog(blogId),
    ]);
    const others = fans.filter((userId) => userId !== blog?.ownerUserId);
    const recipients = await this.interests.amongTop(
      others,
      'blog',
      blogId,
      this.settings.topBlogs,
    );
    return recipients.map((userId) => ({
      subject: {
        userId,
        type: notificationv1.NotificationType.NOTIFICATION_TYPE_NEW_POST,
        activityKind: commonv1.EngagementKind.ENGAGEMENT_KIND_UNSPECIFIED,
        postId: '',
        blogId: '',
        topic: '',
      },
      // One event, many recipients: the id must differ per recipient.
      eventId: `${event.eventId}|${userId}`,
      actorIds: [blogId],
      postIds: [postId],
      atMs,
      windowMs: this.settings.windowMs,
    }));
  }
}
