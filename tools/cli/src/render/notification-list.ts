import Table from 'cli-table3';
import { commonv1, notificationv1, type gatewayv1 } from '@feedmesh/contracts';
import type { RenderOptions } from './feed-table.js';
import { clip, counted, feedmeshCommand, formatTime } from './text.js';

export interface InboxQuery {
  readonly userId: string;
  readonly unreadOnly: boolean;
  readonly pageSize: number;
  readonly address?: string | undefined;
}

/** The inbox for people: newest first, one row each, then the unread count and next page. */
export function renderInbox(
  response: gatewayv1.ListNotificationsResponse,
  query: InboxQuery,
  options: RenderOptions,
): string {
  const lines = [
    `${query.userId} · ${counted(response.notifications.length, 'notification')}` +
      `${query.unreadOnly ? ' (unread only)' : ''} · ${response.unreadCount} unread`,
  ];
  if (response.notifications.length > 0) {
    const table = new Table({
      head: ['id', 'when', 'type', 'title', 'count', 'posts', 'read'],
      colAligns: ['left', 'left', 'left', 'left', 'right', 'left', 'center'],
      style: options.color ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] },
    });
    for (const n of response.notifications) {
      table.push([
        n.notificationId,
        formatTime(n.createdAtMs),
        typeName(n),
        clip(n.title, 48),
        n.count,
        clip(n.postIds.join(' '), 20),
        n.read ? 'yes' : '',
      ]);
    }
    lines.push(table.toString());
  }
  if (response.nextCursor !== '') {
    const args = ['notifications', '--user', query.userId, '--page-size', String(query.pageSize)];
    if (query.unreadOnly) args.push('--unread');
    if (query.address !== undefined) args.push('--addr', query.address);
    args.push('--cursor', response.nextCursor);
    lines.push(`next page: ${feedmeshCommand(args)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** One line for a notification as it arrives on a live subscription. */
export function renderLiveNotification(
  notification: notificationv1.Notification,
  replayed: boolean,
): string {
  const body = notification.body === '' ? '' : ` — ${clip(notification.body, 80)}`;
  return (
    `${formatTime(notification.createdAtMs)}  ${typeName(notification).padEnd(12)} ` +
    `${notification.title}${body}  [${notification.notificationId}]${replayed ? ' (replayed)' : ''}\n`
  );
}

/** `ACTIVITY/LIKE`, `NEW_POST`, ... */
function typeName(notification: notificationv1.Notification): string {
  const type = notificationv1
    .notificationTypeToJSON(notification.type)
    .replace('NOTIFICATION_TYPE_', '');
  const kind = notification.activityKind;
  return kind === commonv1.EngagementKind.ENGAGEMENT_KIND_UNSPECIFIED
    ? type
    : `${type}/${commonv1.engagementKindToJSON(kind).replace('ENGAGEMENT_KIND_', '')}`;
}
