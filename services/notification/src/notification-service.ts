import { notificationv1 } from '@feedmesh/contracts';
import {
  bindService,
  requireId,
  requireIds,
  requirePageSize,
  type ServiceBinding,
} from '@feedmesh/service-kit';
import { InvalidArgumentError } from '@feedmesh/errors';
import type { CallContext } from 'nice-grpc-common';
import type { InboxStore } from './inbox-store.js';
import type { LiveFeed } from './live-feed.js';
import { effectivePreferences } from './preferences.js';
import type { PreferencesStore } from './preferences-store.js';
import {
  decodeCursor,
  encodeCursor,
  optionalNotificationId,
  validatePreferences,
} from './request-validation.js';
import { notificationStream } from './subscription.js';

export interface NotificationServiceDeps {
  readonly inbox: InboxStore;
  readonly preferences: PreferencesStore;
  readonly live: LiveFeed;
}

/** MarkRead's limit, from the proto. */
const MAX_MARK_READ_IDS = 1_000;

/** How far past the newest possible id a client's id may be: clocks of replicas differ. */
const FUTURE_ID_SLACK_US = 5 * 60 * 1_000_000;

/**
 * Refuses an id later than any notification yet: the stream would wait for it in silence. An
 * id is its delivery time in microseconds (or the user's previous id plus one), so none can be
 * much later than both now and the user's newest. An id of an inbox that expired since is
 * older than now, so a client reconnecting with it is not refused.
 */
async function refuseFutureId(inbox: InboxStore, userId: string, afterId: string): Promise<void> {
  const latest = await inbox.latestId(userId);
  const newest = Math.max(Number(latest || 0), Date.now() * 1_000);
  if (Number(afterId) > newest + FUTURE_ID_SLACK_US) {
    throw new InvalidArgumentError(
      'after_notification_id',
      `is later than any notification of this user yet (their newest: ${latest || 'none'})`,
    );
  }
}

/** The gRPC face: inbox reads and writes, live streams, preferences. Unknown users are empty. */
export function notificationService(deps: NotificationServiceDeps): ServiceBinding {
  const { inbox, preferences, live } = deps;
  return bindService(notificationv1.NotificationServiceDefinition, {
    async listInbox(request): Promise<notificationv1.ListInboxResponse> {
      const userId = requireId(request.userId, 'user_id');
      const pageSize = requirePageSize(request.pageSize, 'page_size');
      const before = decodeCursor(request.cursor, 'cursor');
      const page = await inbox.page(userId, {
        pageSize,
        before,
        unreadOnly: request.unreadOnly,
      });
      return {
        notifications: page.notifications,
        nextCursor: page.nextBefore === undefined ? '' : encodeCursor(page.nextBefore),
        unreadCount: page.unreadCount,
      };
    },

    async markRead(request): Promise<notificationv1.MarkReadResponse> {
      const userId = requireId(request.userId, 'user_id');
      if (request.all) return { unreadCount: await inbox.markRead(userId, 'all') };
      const ids = requireIds(request.notificationIds, 'notification_ids', MAX_MARK_READ_IDS);
      return { unreadCount: await inbox.markRead(userId, ids) };
    },

    async *subscribe(
      request: notificationv1.SubscribeRequest,
      context: CallContext,
    ): AsyncGenerator<notificationv1.SubscribeResponse, void, undefined> {
      const userId = requireId(request.userId, 'user_id');
      const afterId = optionalNotificationId(request.afterNotificationId, 'after_notification_id');
      if (afterId !== '') await refuseFutureId(inbox, userId, afterId);
      yield* notificationStream(inbox, live, userId, afterId, context.signal);
    },

    async getPreferences(request): Promise<notificationv1.GetPreferencesResponse> {
      const userId = requireId(request.userId, 'user_id');
      return { preferences: effectivePreferences(await preferences.get(userId)) };
    },

    async setPreferences(request): Promise<notificationv1.SetPreferencesResponse> {
      const userId = requireId(request.userId, 'user_id');
      const validated = validatePreferences(request.preferences, 'preferences');
      await preferences.set(userId, validated);
      return { preferences: effectivePreferences(validated) };
    },
  });
}
