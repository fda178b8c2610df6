import assert from 'node:assert/strict';
import { ClientError, Status } from '@feedmesh/service-kit';
import type { GatewayClient } from './gateway-client.js';
import { followNotifications } from './notification-follower.js';

describe('followNotifications', () => {
  it("reports a dropped stream without grpc-js's empty resolution note", async () => {
    const stop = new AbortController();
    const client = {
      async *subscribeNotifications() {
        throw new ClientError(
          '/feedmesh.gateway.v1.FeedGatewayService/SubscribeNotifications',
          Status.UNAVAILABLE,
          'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ',
        );
      },
    } as unknown as GatewayClient;
    const reasons: string[] = [];
    await followNotifications(client, {
      userId: 'u1',
      afterNotificationId: '',
      signal: stop.signal,
      onNotification: () => undefined,
      onReconnect: (reason) => {
        reasons.push(reason);
        stop.abort();
      },
    });
    assert.deepEqual(reasons, [
      'UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1.',
    ]);
  });
});
