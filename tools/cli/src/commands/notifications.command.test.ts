import assert from 'node:assert/strict';
import { commonv1, gatewayv1, notificationv1 } from '@feedmesh/contracts';
import { waitFor } from '@feedmesh/testing';
import { InvalidArgumentError } from '@feedmesh/errors';
import { EXIT_FAILED, EXIT_OK } from '../cli-errors.js';
import {
  runCliForTest,
  startCliForTest,
  startFakeGateway,
  type FakeGateway,
} from '../test-support/fake-gateway.js';

const liked = notificationv1.Notification.fromPartial({
  notificationId: '000000000042',
  userId: 'u1',
  type: notificationv1.NotificationType.NOTIFICATION_TYPE_ACTIVITY,
  activityKind: commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE,
  title: '12 people liked your post',
  postIds: ['p5'],
  actorIds: ['u2', 'u3'],
  count: 12,
  createdAtMs: Date.UTC(2025, 5, 1, 9, 30),
});

describe('feedmesh notifications', () => {
  let gateway: FakeGateway;
  before(async () => {
    gateway = await startFakeGateway();
    gateway.inbox = { notifications: [liked], nextCursor: 'n2', unreadCount: 1 };
  });
  after(() => gateway.stop());

  it('lists the inbox with the unread count and the next page command', async () => {
    const run = await runCliForTest([
      'notifications',
      '--user',
      'u1',
      '--unread',
      '--addr',
      gateway.address,
    ]);
    assert.equal(run.code, EXIT_OK, run.stderr);
    assert.match(run.stdout, /u1 · 1 notification \(unread only\) · 1 unread/);
    const row = run.stdout.split('\n').find((line) => line.includes('000000000042'));
    assert.match(
      row ?? '',
      /2025-06-01 09:30 │ ACTIVITY\/LIKE │ 12 people liked your post │ +12 │ p5/,
    );
    assert.match(
      run.stdout,
      /next page: npm run feedmesh -- notifications --user u1 --page-size 20 --unread --addr \S+ --cursor n2/,
    );
  });

  it('with --follow prints each notification as it arrives until interrupted, then exits 0', async () => {
    gateway.live = [
      { notification: liked, replayed: true },
      {
        notification: {
          ...liked,
          notificationId: '000000000043',
          title: 'New post from @cozy-knits',
          type: notificationv1.NotificationType.NOTIFICATION_TYPE_NEW_POST,
          activityKind: 0,
        },
        replayed: false,
      },
    ];
    const interrupt = new AbortController();
    const cli = startCliForTest(
      [
        'notifications',
        '--user',
        'u1',
        '--follow',
        '--after',
        '000000000041',
        '--addr',
        gateway.address,
      ],
      { interrupt: interrupt.signal },
    );
    await waitFor('both notifications printed', () => cli.stdout().includes('000000000043'));
    interrupt.abort();
    const run = await cli.finished;
    assert.equal(run.code, EXIT_OK, run.stderr);
    assert.match(
      run.stdout,
      /2025-06-01 09:30  ACTIVITY\/LIKE +12 people liked your post  \[000000000042\] \(replayed\)\n/,
    );
    assert.match(run.stdout, /NEW_POST +New post from @cozy-knits  \[000000000043\]\n/);
    assert.match(run.stderr, /following u1's notifications; Ctrl-C to stop/);
  });

  it('with --follow --json prints one JSON object per notification', async () => {
    gateway.live = [{ notification: liked, replayed: false }];
    const interrupt = new AbortController();
    const cli = startCliForTest(
      ['notifications', '--user', 'u1', '--follow', '--json', '--addr', gateway.address],
      {
        interrupt: interrupt.signal,
      },
    );
    await waitFor('the live notification', () => cli.stdout().split('\n').length >= 3);
    interrupt.abort();
    const run = await cli.finished;
    const [inbox, live] = run.stdout.trimEnd().split('\n');
    assert.equal(gatewayv1.ListNotificationsResponse.fromJSON(JSON.parse(inbox!)).unreadCount, 1);
    assert.deepEqual(gatewayv1.SubscribeNotificationsResponse.fromJSON(JSON.parse(live!)), {
      notification: liked,
      replayed: false,
    });
  });

  it('with --follow and no --after, follows from the newest notification listed, so nothing between the listing and the subscription is lost', async () => {
    gateway.live = [];
    for (const [flags, lists] of [
      [[], 1],
      [['--unread'], 2],
    ] as const) {
      gateway.listRequests = [];
      gateway.subscribeRequests = [];
      const interrupt = new AbortController();
      const cli = startCliForTest(
        ['notifications', '--user', 'u1', '--follow', ...flags, '--addr', gateway.address],
        { interrupt: interrupt.signal },
      );
      await waitFor('the subscription', () => gateway.subscribeRequests.length > 0);
      interrupt.abort();
      assert.equal((await cli.finished).code, EXIT_OK);
      assert.equal(gateway.subscribeRequests[0]!.afterNotificationId, '000000000042');
      // Unread only may not show the newest: it is asked of the whole inbox first.
      assert.equal(gateway.listRequests.length, lists, flags.join(' '));
      if (lists === 2) assert.deepEqual(gateway.listRequests[0]!.unreadOnly, false);
    }
  });

  it('with --follow names --after, not the wire field, when the gateway rejects its id', async () => {
    gateway.subscribeError = new InvalidArgumentError(
      'after_notification_id',
      'is not a notification id from this service',
    );
    try {
      const run = await runCliForTest([
        'notifications',
        '--user',
        'u1',
        '--follow',
        '--after',
        'bogus',
        '--addr',
        gateway.address,
      ]);
      assert.equal(run.code, EXIT_FAILED);
      assert.match(
        run.stderr,
        /\nerror: INVALID_ARGUMENT: --after "bogus": is not a notification id from this service\nhint: /,
      );
      assert.doesNotMatch(run.stderr, /after_notification_id/);
    } finally {
      gateway.subscribeError = undefined;
    }
  });
});
