import assert from 'node:assert/strict';
import { notificationv1, type eventsv1 } from '@feedmesh/contracts';
import {
  ClientError,
  createServiceClient,
  Status,
  type RunningServer,
  type ServiceClient,
} from '@feedmesh/service-kit';
import { waitFor } from '@feedmesh/testing';
import { isAbortError } from 'abort-controller-x';
import { startNotification } from './index.js';
import { like } from './test-fixtures/events.js';
import {
  OWNER,
  POST,
  silentLogger,
  testRuntime,
  worldEvents,
  type StoreKind,
} from './test-fixtures/harness.js';

const { NotificationType, Channel } = notificationv1;
type Client = ServiceClient<typeof notificationv1.NotificationServiceDefinition>;

for (const kind of ['memory', 'redis'] as const satisfies readonly StoreKind[]) {
  describe(`NotificationService over gRPC (${kind})`, () => {
    let server: RunningServer;
    let client: Client;
    let closeClient: () => void;
    let append: (...events: eventsv1.Event[]) => Promise<void>;
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      // No digest window: each activity is its own notification, delivered at once.
      const fixture = testRuntime(kind, { NOTIFICATION_DIGEST_WINDOW_MS: '0' });
      server = await startNotification({
        config: fixture.config,
        runtime: fixture.runtime,
        logger: silentLogger,
      });
      const handle = createServiceClient(
        notificationv1.NotificationServiceDefinition,
        server.address,
        { deadlineMs: 20_000 },
      );
      client = handle.client;
      closeClient = handle.close;
      append = (...events) => fixture.runtime.eventLog.append(events);
      dispose = fixture.dispose;
      await append(...worldEvents());
    });

    afterEach(async () => {
      closeClient();
      await server.shutdown();
      await dispose();
    });

    /**
     * Appends likes of POST by these users one at a time (the log orders one user's events,
     * not different users'), each once the previous one is in the owner's inbox. Returns the
     * owner's inbox, newest first.
     */
    async function likes(...userIds: string[]): Promise<notificationv1.Notification[]> {
      let inbox = (await client.listInbox({ userId: OWNER, pageSize: 100 })).notifications;
      for (const userId of userIds) {
        const before = inbox.length;
        await append(like(userId, POST, Date.now()));
        inbox = await waitFor(`${userId}'s like in the inbox`, async () => {
          const page = await client.listInbox({ userId: OWNER, pageSize: 100 });
          return page.notifications.length > before && page.notifications;
        });
      }
      return inbox;
    }

    /** Reads a Subscribe stream in the background. */
    function subscribe(afterNotificationId: string) {
      const controller = new AbortController();
      const received: notificationv1.SubscribeResponse[] = [];
      const ended = (async () => {
        try {
          for await (const message of client.subscribe(
            { userId: OWNER, afterNotificationId },
            { signal: controller.signal },
          )) {
            received.push(message);
          }
          return undefined;
        } catch (error) {
          return isAbortError(error) ? undefined : error;
        }
      })();
      return { received, ended, cancel: () => controller.abort() };
    }

    it("delivers a like from the event log to the post owner's inbox", async () => {
      const [notification] = await likes('u-alice');
      assert.equal(notification?.title, 'alice liked your post');
      assert.deepEqual(notification?.postIds, [POST]);
      assert.equal(notification?.type, NotificationType.NOTIFICATION_TYPE_ACTIVITY);
      const page = await client.listInbox({ userId: OWNER, pageSize: 10 });
      assert.equal(page.unreadCount, 1);
      assert.equal(page.nextCursor, '');
    });

    it('answers for users it never heard of with an empty inbox and default preferences', async () => {
      const page = await client.listInbox({ userId: 'stranger', pageSize: 10 });
      assert.deepEqual(page, { notifications: [], nextCursor: '', unreadCount: 0 });
      const { preferences } = await client.getPreferences({ userId: 'stranger' });
      assert.deepEqual(preferences, {
        types: [1, 2, 3, 4].map((type) => ({
          type,
          enabled: true,
          channels: [Channel.CHANNEL_IN_APP],
        })),
        timeZone: 'UTC',
        quietStartMinute: 0,
        quietEndMinute: 0,
      });
    });

    it('marks notifications read by id and all at once, keeping the unread count', async () => {
      const [newest, middle] = await likes('u-alice', 'u-bob', 'u-carol');
      const marked = await client.markRead({
        userId: OWNER,
        notificationIds: [newest?.notificationId ?? '', middle?.notificationId ?? ''],
      });
      assert.equal(marked.unreadCount, 1);
      const unread = await client.listInbox({ userId: OWNER, pageSize: 10, unreadOnly: true });
      assert.equal(unread.notifications.length, 1);
      assert.equal(unread.notifications[0]?.title, 'alice liked your post');
      assert.equal((await client.markRead({ userId: OWNER, all: true })).unreadCount, 0);
      assert.equal((await client.listInbox({ userId: OWNER, pageSize: 10 })).unreadCount, 0);
    });

    it('pages the inbox newest first with cursors, without overlap', async () => {
      const all = await likes('u-alice', 'u-bob', 'u-carol', 'u-dave', 'u-erin');
      const pages: string[][] = [];
      let cursor = '';
      do {
        const page = await client.listInbox({ userId: OWNER, pageSize: 2, cursor });
        pages.push(page.notifications.map((n) => n.notificationId));
        cursor = page.nextCursor;
      } while (cursor !== '');
      assert.deepEqual(
        pages.map((p) => p.length),
        [2, 2, 1],
      );
      assert.deepEqual(
        pages.flat(),
        all.map((n) => n.notificationId),
      );
    });

    it('streams live notifications to a subscriber', async () => {
      const [first] = await likes('u-alice');
      const stream = subscribe('0000000000000000');
      await waitFor('the replayed notification', () => stream.received.length === 1);
      await append(like('u-bob', POST, Date.now()));
      await waitFor('the live notification', () => stream.received.length === 2);
      assert.deepEqual(
        stream.received.map((m) => [m.notification?.title, m.replayed]),
        [
          ['alice liked your post', true],
          ['bob liked your post', false],
        ],
      );
      assert.equal(stream.received[0]?.notification?.notificationId, first?.notificationId);
      stream.cancel();
      assert.equal(await stream.ended, undefined);
    });

    it('a subscriber reconnecting with its last id misses nothing and gets nothing twice', async () => {
      await likes('u-alice');
      const first = subscribe('0000000000000000');
      await waitFor('the replayed notification', () => first.received.length === 1);
      await append(like('u-bob', POST, Date.now()));
      await waitFor('the live notification', () => first.received.length === 2);
      first.cancel();
      await first.ended;

      await likes('u-carol', 'u-dave');
      const lastSeen = first.received[1]?.notification?.notificationId ?? '';
      const second = subscribe(lastSeen);
      await waitFor('the missed notifications', () => second.received.length === 2);
      await append(like('u-erin', POST, Date.now()));
      await waitFor('the next live one', () => second.received.length === 3);
      second.cancel();
      await second.ended;

      const titles = (stream: typeof first) =>
        stream.received.map((m) => [m.notification?.title, m.replayed]);
      assert.deepEqual(titles(second), [
        ['carol liked your post', true],
        ['dave liked your post', true],
        ['erin liked your post', false],
      ]);
      const ids = [...first.received, ...second.received].map(
        (m) => m.notification?.notificationId ?? '',
      );
      assert.deepEqual(ids, [...new Set(ids)].sort());
      const inbox = await client.listInbox({ userId: OWNER, pageSize: 100 });
      assert.deepEqual(
        [...ids].reverse(),
        inbox.notifications.map((n) => n.notificationId),
      );
    });

    it('ends Subscribe streams with UNAVAILABLE when the server drains', async () => {
      await likes('u-alice');
      const stream = subscribe('0000000000000000');
      await waitFor('the stream to start', () => stream.received.length === 1);
      await server.shutdown();
      const error = await stream.ended;
      assert.ok(error instanceof ClientError, `got ${String(error)}`);
      assert.equal(error.code, Status.UNAVAILABLE);
    });

    it('stores preferences normalized and gives them back with defaults filled in', async () => {
      const { preferences } = await client.setPreferences({
        userId: OWNER,
        preferences: {
          types: [
            {
              type: NotificationType.NOTIFICATION_TYPE_TRENDING,
              enabled: false,
              channels: [Channel.CHANNEL_PUSH, Channel.CHANNEL_IN_APP, Channel.CHANNEL_PUSH],
            },
          ],
          timeZone: 'europe/paris',
          quietStartMinute: 22 * 60,
          quietEndMinute: 7 * 60,
        },
      });
      const expected: notificationv1.Preferences = {
        types: [
          { type: 1, enabled: true, channels: [Channel.CHANNEL_IN_APP] },
          { type: 2, enabled: true, channels: [Channel.CHANNEL_IN_APP] },
          { type: 3, enabled: false, channels: [Channel.CHANNEL_IN_APP, Channel.CHANNEL_PUSH] },
          { type: 4, enabled: true, channels: [Channel.CHANNEL_IN_APP] },
        ],
        timeZone: 'Europe/Paris',
        quietStartMinute: 1320,
        quietEndMinute: 420,
      };
      assert.deepEqual(preferences, expected);
      assert.deepEqual((await client.getPreferences({ userId: OWNER })).preferences, expected);
    });
  });
}

describe('NotificationService validation', () => {
  let server: RunningServer;
  let client: Client;
  let closeClient: () => void;
  let dispose: () => Promise<void>;

  before(async () => {
    const fixture = testRuntime('memory');
    server = await startNotification({
      config: fixture.config,
      runtime: fixture.runtime,
      logger: silentLogger,
    });
    const handle = createServiceClient(
      notificationv1.NotificationServiceDefinition,
      server.address,
      { deadlineMs: 5_000 },
    );
    client = handle.client;
    closeClient = handle.close;
    dispose = fixture.dispose;
  });

  after(async () => {
    closeClient();
    await server.shutdown();
    await dispose();
  });

  async function rejection(call: () => Promise<unknown>): Promise<ClientError> {
    const error = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof ClientError, `expected a ClientError, got ${String(error)}`);
    return error;
  }

  async function firstMessage(request: notificationv1.SubscribeRequest): Promise<unknown> {
    for await (const message of client.subscribe(request)) return message;
    return undefined;
  }

  const preferences = (p: Partial<notificationv1.Preferences>) => ({
    userId: 'u1',
    preferences: { types: [], timeZone: '', quietStartMinute: 0, quietEndMinute: 0, ...p },
  });

  const cases: [string, string, () => Promise<unknown>][] = [
    ['ListInbox without a user', 'user_id', () => client.listInbox({ pageSize: 10 })],
    [
      'ListInbox with a bad user id',
      'user_id',
      () => client.listInbox({ userId: 'a b', pageSize: 10 }),
    ],
    ['ListInbox with page size 0', 'page_size', () => client.listInbox({ userId: 'u1' })],
    [
      'ListInbox with page size 101',
      'page_size',
      () => client.listInbox({ userId: 'u1', pageSize: 101 }),
    ],
    [
      'ListInbox with a made-up cursor',
      'cursor',
      () => client.listInbox({ userId: 'u1', pageSize: 10, cursor: 'not-a-cursor' }),
    ],
    [
      'MarkRead with 1,001 ids',
      'notification_ids',
      () =>
        client.markRead({
          userId: 'u1',
          notificationIds: Array.from({ length: 1_001 }, (_, i) => `n${i}`),
        }),
    ],
    [
      'MarkRead with a bad id',
      'notification_ids[1]',
      () => client.markRead({ userId: 'u1', notificationIds: ['0000000000000001', 'x y'] }),
    ],
    ['MarkRead without a user', 'user_id', () => client.markRead({ all: true })],
    [
      'Subscribe without a user',
      'user_id',
      () => firstMessage({ userId: '', afterNotificationId: '' }),
    ],
    [
      'Subscribe after an id this service never gave',
      'after_notification_id',
      () => firstMessage({ userId: 'u1', afterNotificationId: 'yesterday' }),
    ],
    [
      'Subscribe after an id later than any notification yet (the stream would wait in silence)',
      'after_notification_id',
      () => firstMessage({ userId: 'u1', afterNotificationId: '9999999999999999' }),
    ],
    [
      'GetPreferences with a 65-character user id',
      'user_id',
      () => client.getPreferences({ userId: 'u'.repeat(65) }),
    ],
    [
      'SetPreferences without preferences',
      'preferences',
      () => client.setPreferences({ userId: 'u1' }),
    ],
    [
      'SetPreferences with an unspecified type',
      'preferences.types[0].type',
      () =>
        client.setPreferences(preferences({ types: [{ type: 0, enabled: true, channels: [] }] })),
    ],
    [
      'SetPreferences with an unknown type',
      'preferences.types[0].type',
      () =>
        client.setPreferences(
          preferences({
            types: [{ type: 99 as notificationv1.NotificationType, enabled: true, channels: [] }],
          }),
        ),
    ],
    [
      'SetPreferences with a type listed twice',
      'preferences.types[1].type',
      () =>
        client.setPreferences(
          preferences({
            types: [
              { type: 1, enabled: true, channels: [] },
              { type: 1, enabled: false, channels: [] },
            ],
          }),
        ),
    ],
    [
      'SetPreferences with an unknown channel',
      'preferences.types[0].channels[1]',
      () =>
        client.setPreferences(
          preferences({
            types: [
              {
                type: 1,
                enabled: true,
                channels: [Channel.CHANNEL_PUSH, 9 as notificationv1.Channel],
              },
            ],
          }),
        ),
    ],
    [
      'SetPreferences with a made-up time zone',
      'preferences.time_zone',
      () => client.setPreferences(preferences({ timeZone: 'Mars/Olympus_Mons' })),
    ],
    [
      'SetPreferences with quiet hours starting at minute 1440',
      'preferences.quiet_start_minute',
      () => client.setPreferences(preferences({ quietStartMinute: 1440 })),
    ],
    [
      'SetPreferences with quiet hours ending at minute 5000',
      'preferences.quiet_end_minute',
      () => client.setPreferences(preferences({ quietEndMinute: 5000 })),
    ],
  ];

  for (const [what, field, call] of cases) {
    it(`rejects ${what} with INVALID_ARGUMENT naming ${field}`, async () => {
      const error = await rejection(call);
      assert.equal(error.code, Status.INVALID_ARGUMENT, error.details);
      assert.ok(error.details.startsWith(`${field}: `), error.details);
    });
  }
});
