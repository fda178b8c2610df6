import type { eventsv1 } from '@feedmesh/contracts';
import type { ActivityTrigger } from './activity.trigger.js';
import { subjectOf, type Activity } from './activity.js';
import type { DigestStore } from './digest-store.js';
import type { DirectoryStore, EntityRef } from './directory-store.js';
import type { NotificationMetrics } from './metrics.js';

/**
 * The `notification` group's handler: keeps the directory (who owns what) and feeds activity
 * through the trigger into the digest. Events that name a post or blog not recorded yet are
 * parked on it and resumed when it is: the log orders a post's own events, not a post's
 * events relative to the likes of it, so a like can come first. Parking costs little (bounded
 * lists with a TTL); dropping would lose notifications whenever one partition lags another.
 * Parked events that expire are the difference between the `parked` and `resumed` counts.
 */
export class NotificationEventHandler {
  constructor(
    private readonly directory: DirectoryStore,
    private readonly trigger: ActivityTrigger,
    private readonly digests: DigestStore,
    private readonly onDigested: (activity: Activity) => void,
    private readonly metrics: NotificationMetrics,
    private readonly clock: () => number,
  ) {}

  readonly handle = async (event: eventsv1.Event): Promise<void> => {
    const payload = event.payload;
    switch (payload?.$case) {
      case 'blogCreated': {
        const { blogId, ownerUserId, name } = payload.value;
        // Consumers go on past what the gateway should have refused rather than dead-letter it.
        if (blogId === '' || ownerUserId === '') return;
        await this.directory.recordBlog(blogId, ownerUserId, name, event.atMs);
        return this.resume({ kind: 'blog', id: blogId });
      }
      case 'postCreated': {
        const { postId, blogId } = payload.value;
        if (postId === '' || blogId === '') return;
        await this.directory.recordPost(postId, blogId);
        return this.resume({ kind: 'post', id: postId });
      }
      case 'postDeleted':
        if (payload.value.postId === '') return;
        return this.directory.recordPostDeleted(payload.value.postId);
      case 'engagement':
      case 'follow':
        return this.onActivity(event, false);
      default:
        return;
    }
  };

  private async onActivity(event: eventsv1.Event, resumed: boolean): Promise<void> {
    const result = await this.trigger.evaluate(event);
    if (resumed) this.metrics.activity('resumed');
    switch (result.kind) {
      case 'ignored':
        this.metrics.activity(result.reason);
        return;
      case 'waiting':
        await this.directory.park(result.on, event, this.clock());
        this.metrics.activity('parked');
        return;
      case 'activity': {
        const { activity } = result;
        const added = await this.digests.add(
          {
            subject: subjectOf(activity),
            eventId: activity.eventId,
            actorId: activity.actorId,
            atMs: activity.atMs,
          },
          this.clock(),
        );
        this.metrics.activity(added === 'added' ? 'digested' : 'duplicate');
        if (added === 'added') this.onDigested(activity);
        return;
      }
    }
  }

  /**
   * Re-runs what waited on `entity`, then forgets exactly those events (others may have been
   * parked meanwhile). A failure midway leaves them parked: the digest ignores the ones
   * already done when they come round again.
   */
  private async resume(entity: EntityRef): Promise<void> {
    const waiting = await this.directory.parked(entity, this.clock());
    if (waiting.length === 0) return;
    for (const event of waiting) await this.onActivity(event, true);
    await this.directory.unpark(entity, waiting.length);
  }
}
