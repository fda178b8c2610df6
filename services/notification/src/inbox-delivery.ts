import { createHash } from 'node:crypto';
import { notificationv1, type eventsv1 } from '@feedmesh/contracts';
import type { EventLog } from '@feedmesh/events';
import type { Logger } from '@feedmesh/service-kit';
import type { AppendResult, InboxStore, NotificationDraft } from './inbox-store.js';
import type { LiveFeed } from './live-feed.js';
import type { NotificationMetrics } from './metrics.js';

/**
 * The last step: the notification into the user's inbox (once per dedupe key), a word to its
 * live subscribers, and a NotificationSent event so reports can join opens to sends.
 *
 * The inbox is the record; the other two must not undo it. A failed PUBLISH is logged (live
 * streams catch up at their next change or reconnect). A failed append is logged and counted,
 * not retried through the digest: redelivering a notification the user already has would be
 * worse than a missing analytics event.
 */
export class InboxDelivery {
  constructor(
    private readonly inbox: InboxStore,
    private readonly live: LiveFeed,
    private readonly eventLog: EventLog,
    private readonly metrics: NotificationMetrics,
    private readonly logger: Logger,
  ) {}

  async deliver(
    userId: string,
    draft: NotificationDraft,
    dedupeKey: string,
    nowMs: number,
  ): Promise<AppendResult> {
    const result = await this.inbox.append(userId, draft, dedupeKey, nowMs);
    if (result.status !== 'delivered') return result;
    const { notification } = result;
    await Promise.all([
      this.live
        .publish(userId)
        .catch((error: unknown) =>
          this.logger.warn({ err: error, userId }, 'live publish failed; streams catch up later'),
        ),
      this.eventLog.append([sentEvent(notification)]).catch((error: unknown) => {
        this.metrics.sentEventFailed();
        this.logger.error(
          { err: error, userId, notificationId: notification.notificationId },
          'NotificationSent could not be appended to the event log',
        );
      }),
    ]);
    return result;
  }
}

/** The event id derives from the notification, so appending it again is harmless. */
export function sentEvent(notification: notificationv1.Notification): eventsv1.Event {
  const digest = createHash('sha256')
    .update(`${notification.userId}\n${notification.notificationId}`)
    .digest('hex')
    .slice(0, 40);
  return {
    eventId: `notification-sent:${digest}`,
    atMs: notification.createdAtMs,
    payload: {
      $case: 'notificationSent',
      value: {
        userId: notification.userId,
        notificationId: notification.notificationId,
        type: typeName(notification.type),
        experiments: [],
      },
    },
  };
}

/** "ACTIVITY" for NOTIFICATION_TYPE_ACTIVITY, as the event's comment asks. */
export function typeName(type: notificationv1.NotificationType): string {
  return notificationv1.notificationTypeToJSON(type).replace(/^NOTIFICATION_TYPE_/, '');
}
