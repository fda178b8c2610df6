import { setTimeout as sleep } from 'node:timers/promises';
import type { gatewayv1 } from '@feedmesh/contracts';
import { ClientError, Status } from '@feedmesh/service-kit';
import { isAbortError, withoutResolutionNote } from './cli-errors.js';
import type { GatewayClient } from './gateway-client.js';

export interface FollowOptions {
  readonly userId: string;
  /** Replay what came after this notification first; empty for only new ones. */
  readonly afterNotificationId: string;
  /** Ends the subscription; `followNotifications` then resolves. */
  readonly signal: AbortSignal;
  readonly onNotification: (response: gatewayv1.SubscribeNotificationsResponse) => void;
  readonly onReconnect: (reason: string, delayMs: number) => void;
}

/** Failures a live subscription outlives: the gateway restarting or draining. */
const RECONNECTABLE = new Set([Status.UNAVAILABLE, Status.CANCELLED, Status.DEADLINE_EXCEEDED]);

/**
 * Streams a user's notifications until the signal aborts, like `tail -F`: when the stream
 * drops, it subscribes again after the last notification it printed, so it misses nothing and
 * prints nothing twice (the gateway's replay contract). Other errors are thrown.
 */
export async function followNotifications(
  client: GatewayClient,
  options: FollowOptions,
): Promise<void> {
  let after = options.afterNotificationId;
  let failures = 0;
  while (!options.signal.aborted) {
    let reason: string;
    try {
      const stream = client.subscribeNotifications(
        { userId: options.userId, afterNotificationId: after },
        // A subscription lives as long as the user wants: no deadline.
        { signal: options.signal, deadline: undefined },
      );
      for await (const response of stream) {
        failures = 0;
        options.onNotification(response);
        after = response.notification?.notificationId || after;
      }
      reason = 'the gateway ended the stream';
    } catch (error) {
      if (options.signal.aborted || isAbortError(error)) return;
      if (!(error instanceof ClientError) || !RECONNECTABLE.has(error.code)) throw error;
      reason = `${Status[error.code]}: ${withoutResolutionNote(error.details)}`;
    }
    failures += 1;
    const delayMs = Math.min(5_000, 250 * 2 ** Math.min(failures, 5));
    options.onReconnect(reason, delayMs);
    try {
      await sleep(delayMs, undefined, { signal: options.signal });
    } catch {
      return;
    }
  }
}
