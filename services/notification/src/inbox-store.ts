import type { notificationv1 } from '@feedmesh/contracts';
import { ExpiringMap } from './expiring-map.js';
import { nextNotificationId } from './notification-id.js';

/** A notification before delivery gives it its id. */
export type NotificationDraft = Omit<
  notificationv1.Notification,
  'notificationId' | 'userId' | 'read'
>;

export type AppendResult =
  | { readonly status: 'delivered'; readonly notification: notificationv1.Notification }
  /** The dedupe key was delivered before, as this notification. */
  | { readonly status: 'duplicate'; readonly notificationId: string };

export interface InboxPage {
  /** Newest first. */
  readonly notifications: notificationv1.Notification[];
  /** The id to continue before; undefined on the last page. */
  readonly nextBefore: string | undefined;
  readonly unreadCount: number;
}

export interface PageQuery {
  readonly pageSize: number;
  /** Only ids older than this one; undefined for the newest. */
  readonly before?: string | undefined;
  readonly unreadOnly: boolean;
}

/**
 * Each user's inbox: notifications with ids increasing per user (see notification-id.ts),
 * capped at the newest `cap`, each unread until marked read.
 *
 * `append` is idempotent on a dedupe key: the key and the notification are written together,
 * so a candidate delivered twice (a flush retried after a crash, two replicas racing) lands
 * once, whatever the policies checked before.
 */
export interface InboxStore {
  append(
    userId: string,
    draft: NotificationDraft,
    dedupeKey: string,
    nowMs: number,
  ): Promise<AppendResult>;
  /** Whether `dedupeKey` was delivered to `userId` (remembered for `dedupeMemoryMs`). */
  wasDelivered(userId: string, dedupeKey: string, nowMs: number): Promise<boolean>;
  page(userId: string, query: PageQuery): Promise<InboxPage>;
  /** Oldest first, ids after `afterId` ('' for all), at most `limit`: replay and live reads. */
  after(userId: string, afterId: string, limit: number): Promise<notificationv1.Notification[]>;
  /** The newest id, or '' for an empty inbox. */
  latestId(userId: string): Promise<string>;
  /** One notification by id; undefined when unknown or no longer kept. */
  find(userId: string, notificationId: string): Promise<notificationv1.Notification | undefined>;
  /** Marks the ids (unknown ones ignored), or every notification, read; returns the unread count. */
  markRead(userId: string, ids: readonly string[] | 'all'): Promise<number>;
  unreadCount(userId: string): Promise<number>;
}

export interface InboxSettings {
  /** Notifications kept per user; the oldest go first. */
  readonly cap: number;
  /** An inbox untouched by deliveries this long is deleted (Redis only). */
  readonly ttlMs: number;
  readonly dedupeMemoryMs: number;
}

interface UserInbox {
  /** Ascending by id. */
  readonly notifications: notificationv1.Notification[];
  readonly unread: Set<string>;
  lastId: string | undefined;
  /** Dedupe key -> the id it was delivered as. */
  readonly delivered: ExpiringMap<string>;
}

/** The embedded inbox: the same semantics as the Redis one, gone with the process. */
export class InMemoryInboxStore implements InboxStore {
  private readonly inboxes = new Map<string, UserInbox>();

  constructor(private readonly settings: InboxSettings) {}

  async append(
    userId: string,
    draft: NotificationDraft,
    dedupeKey: string,
    nowMs: number,
  ): Promise<AppendResult> {
    const inbox = this.inboxOf(userId);
    const notificationId = nextNotificationId(inbox.lastId, nowMs);
    const ttl = this.settings.dedupeMemoryMs;
    const previous = inbox.delivered.setIfAbsent(dedupeKey, notificationId, nowMs, ttl);
    if (previous !== undefined) return { status: 'duplicate', notificationId: previous };
    inbox.lastId = notificationId;
    const notification: notificationv1.Notification = {
      ...draft,
      notificationId,
      userId,
      read: false,
    };
    inbox.notifications.push(notification);
    inbox.unread.add(notificationId);
    const excess = inbox.notifications.length - this.settings.cap;
    if (excess > 0) {
      for (const dropped of inbox.notifications.splice(0, excess)) {
        inbox.unread.delete(dropped.notificationId);
      }
    }
    return { status: 'delivered', notification: { ...notification } };
  }

  async wasDelivered(userId: string, dedupeKey: string, nowMs: number): Promise<boolean> {
    return this.inboxes.get(userId)?.delivered.get(dedupeKey, nowMs) !== undefined;
  }

  async page(userId: string, query: PageQuery): Promise<InboxPage> {
    const inbox = this.inboxes.get(userId);
    if (inbox === undefined) return { notifications: [], nextBefore: undefined, unreadCount: 0 };
    const before = query.before;
    const matching = inbox.notifications
      .filter((n) => before === undefined || n.notificationId < before)
      .filter((n) => !query.unreadOnly || inbox.unread.has(n.notificationId))
      .reverse();
    const page = matching.slice(0, query.pageSize).map((n) => this.view(inbox, n));
    const last = page[page.length - 1];
    return {
      notifications: page,
      nextBefore: matching.length > query.pageSize && last ? last.notificationId : undefined,
      unreadCount: inbox.unread.size,
    };
  }

  async after(
    userId: string,
    afterId: string,
    limit: number,
  ): Promise<notificationv1.Notification[]> {
    const inbox = this.inboxes.get(userId);
    if (inbox === undefined) return [];
    return inbox.notifications
      .filter((n) => n.notificationId > afterId)
      .slice(0, limit)
      .map((n) => this.view(inbox, n));
  }

  async latestId(userId: string): Promise<string> {
    const notifications = this.inboxes.get(userId)?.notifications ?? [];
    return notifications[notifications.length - 1]?.notificationId ?? '';
  }

  async find(
    userId: string,
    notificationId: string,
  ): Promise<notificationv1.Notification | undefined> {
    const inbox = this.inboxes.get(userId);
    const found = inbox?.notifications.find((n) => n.notificationId === notificationId);
    return inbox === undefined || found === undefined ? undefined : this.view(inbox, found);
  }

  async markRead(userId: string, ids: readonly string[] | 'all'): Promise<number> {
    const inbox = this.inboxes.get(userId);
    if (inbox === undefined) return 0;
    if (ids === 'all') inbox.unread.clear();
    else for (const id of ids) inbox.unread.delete(id);
    return inbox.unread.size;
  }

  async unreadCount(userId: string): Promise<number> {
    return this.inboxes.get(userId)?.unread.size ?? 0;
  }

  private inboxOf(userId: string): UserInbox {
    let inbox = this.inboxes.get(userId);
    if (inbox === undefined) {
      inbox = {
        notifications: [],
        unread: new Set(),
        lastId: undefined,
        delivered: new ExpiringMap(),
      };
      this.inboxes.set(userId, inbox);
    }
    return inbox;
  }

  private view(
    inbox: UserInbox,
    notification: notificationv1.Notification,
  ): notificationv1.Notification {
    return { ...notification, read: !inbox.unread.has(notification.notificationId) };
  }
}
