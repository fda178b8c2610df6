import type { Command } from '@commander-js/extra-typings';
import { gatewayv1 } from '@feedmesh/contracts';
import { ClientError, Status } from '@feedmesh/service-kit';
import { CommandFailedError, UsageError } from '../cli-errors.js';
import { wantsColor, type CliIo } from '../cli-io.js';
import { withGateway, type GatewayClient } from '../gateway-client.js';
import { followNotifications } from '../notification-follower.js';
import { id, integerIn } from '../option-parsers.js';
import { renderInbox, renderLiveNotification } from '../render/notification-list.js';
import { addressOption, explicitAddress, jsonOption } from './gateway-options.js';

export function registerNotificationsCommand(program: Command, io: CliIo): void {
  program
    .command('notifications')
    .description("list a user's notifications; --follow prints new ones as they arrive")
    .requiredOption('--user <id>', 'whose notifications', id)
    .option('--unread', 'only unread ones')
    .option('--follow', 'then stay connected and print each new one (Ctrl-C to stop)')
    .option('--after <notification-id>', 'with --follow: first replay what came after this one')
    .option('--page-size <n>', 'notifications per page', integerIn(1, 100), 20)
    .option('--cursor <cursor>', "the previous page's next cursor")
    .addOption(addressOption())
    .addOption(jsonOption())
    .action(async (options) => {
      if (options.after !== undefined && !options.follow) {
        throw new UsageError('--after only applies with --follow');
      }
      await withGateway(options.addr, async (client) => {
        // Where following starts without --after: after the newest notification there was
        // before the listing, so what arrives between the listing and the subscription is
        // replayed, not lost (and a stream that drops before its first notification resumes
        // from there too). A page other than the first, or unread only, may not show the
        // newest: it is asked first.
        const newestBefore =
          options.follow && options.after === undefined && (options.cursor || options.unread)
            ? await newestNotificationId(client, options.user)
            : undefined;
        const inbox = await client.listNotifications({
          userId: options.user,
          pageSize: options.pageSize,
          cursor: options.cursor ?? '',
          unreadOnly: options.unread ?? false,
        });
        if (options.json) {
          const json = gatewayv1.ListNotificationsResponse.toJSON(inbox);
          io.stdout.write(`${JSON.stringify(json, null, options.follow ? undefined : 2)}\n`);
        } else {
          const query = {
            userId: options.user,
            unreadOnly: options.unread ?? false,
            pageSize: options.pageSize,
            address: explicitAddress(options.addr),
          };
          io.stdout.write(renderInbox(inbox, query, { color: wantsColor(io) }));
        }
        if (!options.follow) return;

        io.stderr.write(`following ${options.user}'s notifications; Ctrl-C to stop\n`);
        try {
          await followNotifications(client, {
            userId: options.user,
            afterNotificationId:
              options.after ?? newestBefore ?? inbox.notifications[0]?.notificationId ?? '',
            signal: io.interrupt,
            onNotification: (response) => {
              if (options.json) {
                const json = gatewayv1.SubscribeNotificationsResponse.toJSON(response);
                io.stdout.write(`${JSON.stringify(json)}\n`);
              } else if (response.notification !== undefined) {
                io.stdout.write(renderLiveNotification(response.notification, response.replayed));
              }
            },
            onReconnect: (reason, delayMs) =>
              io.stderr.write(`${reason}; subscribing again in ${(delayMs / 1000).toFixed(1)} s\n`),
          });
        } catch (error) {
          throw afterRejected(error, options.after) ?? error;
        }
      });
    });
}

/**
 * The id of the user's newest notification, or empty when the inbox is empty (following then
 * starts with what comes next, as the gateway does without an id).
 */
async function newestNotificationId(client: GatewayClient, userId: string): Promise<string> {
  const newest = await client.listNotifications({
    userId,
    pageSize: 1,
    cursor: '',
    unreadOnly: false,
  });
  return newest.notifications[0]?.notificationId ?? '';
}

/**
 * The gateway names the wire field (`after_notification_id`); the person typed --after. The
 * inbox is already printed by then: whether an id is one is the notification service's call.
 */
function afterRejected(error: unknown, after: string | undefined): CommandFailedError | undefined {
  if (!(error instanceof ClientError) || error.code !== Status.INVALID_ARGUMENT) return undefined;
  const reason = /^after_notification_id:\s*(.*)$/s.exec(error.details)?.[1];
  if (reason === undefined) return undefined;
  return new CommandFailedError(
    `INVALID_ARGUMENT: --after ${JSON.stringify(after ?? '')}: ${reason}`,
    'pass the id of a notification listed above (the id column), or leave --after out',
  );
}
