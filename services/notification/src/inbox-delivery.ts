import { createHash } from 'node:crypto';
import { notificationv1, type commonv1, type eventsv1 } from '@feedmesh/contracts';
import type { EventLog } from '@feedmesh/events';
import type { Logger } from '@feedmesh/service-kit';
import type { AppendResult, InboxStore, NotificationDraft } from './inbox-store.js';
import type { ExperimentStore } from './experiment-store.js';
import type { LiveFeed } from './live-feed.js';
import type { NotificationMetrics } from './metrics.js';
import type { OpenStatsStore } from './open-stats-store.js';

/**
 * The last step: the notification into the user's inbox (once per dedupe key), a word to its
 * live subscribers, a NotificationSent event (with the user's experiment variants) so reports
 * can join opens and sessions to sends, and the send counted in the user's open statistics.
 *
 * The inbox is the record; the rest must not undo it. A failed PUBLISH is logged (live
 * streams catch up at their next change or reconnect). A failed append of the event is logged
 * and counted, not retried through the digest: redelivering a notification the user already
 * has would be worse than a missing analytics event.
 */
export class InboxDelivery {
  constructor(
    private readonly inbox: InboxStore,
    private readonly live: LiveFeed,
    private readonly eventLog: EventLog,
    private readonly experiments: ExperimentStore,
    private readonly openStats: OpenStatsStore,
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
      this.logSent(notification),
      this.openStats
        .recordSend(userId, notification.type)
        .catch((error: unknown) =>
          this.logger.warn({ err: error, userId }, 'send not counted in open statistics'),
        ),
    ]);
    return result;
  }

  /** Whether the inbox has a notification of `dedupeKey` (an append whose reply was lost). */
  wasDelivered(userId: string, dedupeKey: string, nowMs: number): Promise<boolean> {
    return this.inbox.wasDelivered(userId, dedupeKey, nowMs);
  }

  private async logSent(notification: notificationv1.Notification): Promise<void> {
    try {
      const experiments = await this.experiments.get(notification.userId).catch(() => []);
      await this.eventLog.append([sentEvent(notification, experiments)]);
    } catch (error) {
      this.metrics.sentEventFailed();
      this.logger.error(
        { err: error, userId: notification.userId, notificationId: notification.notificationId },
        'NotificationSent could not be appended to the event log',
      );
    }
  }
}

/** The event id derives from the notification, so appending it again is harmless. */
export function sentEvent(
  notification: notificationv1.Notification,
  experiments: readonly commonv1.ExperimentAssignment[] = [],
): eventsv1.Event {
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
        experiments: [...experiments],
      },
    },
  };
}

/** "ACTIVITY" for NOTIFICATION_TYPE_ACTIVITY, as the event's comment asks. */
export function typeName(type: notificationv1.NotificationType): string {
  return notificationv1.notificationTypeToJSON(type).replace(/^NOTIFICATION_TYPE_/, '');
}
