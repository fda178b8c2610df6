import assert from 'node:assert/strict';
import { commonv1, notificationv1 } from '@feedmesh/contracts';
import type { InboxSettings, InboxStore, NotificationDraft } from './inbox-store.js';
import { isNotificationId } from './notification-id.js';
import { T0 } from './test-fixtures/events.js';

export interface InboxFixture {
  readonly store: InboxStore;
  dispose(): Promise<void>;
}

export type OpenInbox = (settings: InboxSettings) => Promise<InboxFixture>;

const SETTINGS: InboxSettings = { cap: 500, ttlMs: 60 * 60 * 1000, dedupeMemoryMs: 60 * 60 * 1000 };

function draft(title: string, createdAtMs = T0): NotificationDraft {
  return {
    type: notificationv1.NotificationType.NOTIFICATION_TYPE_ACTIVITY,
    activityKind: commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE,
    title,
    body: 'alice, bob and carol',
    postIds: ['post-1'],
    actorIds: ['alice', 'bob', 'carol'],
    count: 3,
    createdAtMs,
  };
}

/** The InboxStore semantics, run against each implementation. */
export function describeInboxStoreContract(name: string, open: OpenInbox): void {
  describe(`${name}: the InboxStore contract`, () => {
    let fixture: InboxFixture | undefined;

    async function openStore(settings: Partial<InboxSettings> = {}): Promise<InboxStore> {
      fixture = await open({ ...SETTINGS, ...settings });
      return fixture.store;
    }

    /** Appends `count` notifications titled n0, n1... and returns their ids, oldest first. */
    async function fill(store: InboxStore, userId: string, count: number): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const result = await store.append(userId, draft(`n${i}`), `key-${i}`, T0);
        assert.equal(result.status, 'delivered');
        if (result.status === 'delivered') ids.push(result.notification.notificationId);
      }
      return ids;
    }

    afterEach(async () => {
      await fixture?.dispose();
      fixture = undefined;
    });

    it('gives increasing 16-digit ids, even within one millisecond and with the clock going back', async () => {
      const store = await openStore();
      const times = [T0, T0, T0, T0 - 60_000, T0 + 1];
      const ids: string[] = [];
      for (const [i, at] of times.entries()) {
        const result = await store.append('u1', draft(`n${i}`, at), `key-${i}`, at);
        assert.equal(result.status, 'delivered');
        if (result.status === 'delivered') ids.push(result.notification.notificationId);
      }
      assert.ok(ids.every(isNotificationId), `ids: ${ids.join(', ')}`);
      assert.deepEqual([...ids].sort(), ids);
      assert.equal(new Set(ids).size, ids.length);
    });

    it('stores the notification as given, unread, for its user only', async () => {
      const store = await openStore();
      const result = await store.append('u1', draft('alice liked your post'), 'k', T0);
      assert.equal(result.status, 'delivered');
      const page = await store.page('u1', { pageSize: 10, unreadOnly: false });
      assert.equal(page.unreadCount, 1);
      assert.deepEqual(page.notifications, [
        {
          ...draft('alice liked your post'),
          notificationId: result.status === 'delivered' ? result.notification.notificationId : '',
          userId: 'u1',
          read: false,
        },
      ]);
      const other = await store.page('u2', { pageSize: 10, unreadOnly: false });
      assert.deepEqual(other, { notifications: [], nextBefore: undefined, unreadCount: 0 });
    });

    it('delivers a dedupe key once and names the first delivery on a repeat', async () => {
      const store = await openStore();
      assert.equal(await store.wasDelivered('u1', 'digest:e1', T0), false);
      const first = await store.append('u1', draft('first'), 'digest:e1', T0);
      const second = await store.append('u1', draft('second'), 'digest:e1', T0 + 1);
      assert.equal(first.status, 'delivered');
      assert.deepEqual(second, {
        status: 'duplicate',
        notificationId: first.status === 'delivered' ? first.notification.notificationId : '',
      });
      assert.equal(await store.wasDelivered('u1', 'digest:e1', T0 + 2), true);
      assert.equal(await store.wasDelivered('u2', 'digest:e1', T0 + 2), false);
      const page = await store.page('u1', { pageSize: 10, unreadOnly: false });
      assert.deepEqual(
        page.notifications.map((n) => n.title),
        ['first'],
      );
    });

    it('pages newest first without overlap or gap, and says when there is no more', async () => {
      const store = await openStore();
      const ids = await fill(store, 'u1', 23);
      const seen: string[] = [];
      let before: string | undefined;
      let pages = 0;
      do {
        const page = await store.page('u1', { pageSize: 10, before, unreadOnly: false });
        seen.push(...page.notifications.map((n) => n.notificationId));
        before = page.nextBefore;
        pages += 1;
      } while (before !== undefined);
      assert.equal(pages, 3);
      assert.deepEqual(seen, [...ids].reverse());
    });

    it('ends on an exactly full last page without an empty extra page', async () => {
      const store = await openStore();
      await fill(store, 'u1', 10);
      const page = await store.page('u1', { pageSize: 10, unreadOnly: false });
      assert.equal(page.notifications.length, 10);
      assert.equal(page.nextBefore, undefined);
    });

    it('marks ids read, ignores unknown ones, and lists only unread ones when asked', async () => {
      const store = await openStore();
      const ids = await fill(store, 'u1', 5);
      const unread = await store.markRead('u1', [ids[1] ?? '', ids[3] ?? '', '9999999999999999']);
      assert.equal(unread, 3);
      assert.equal(await store.unreadCount('u1'), 3);
      const page = await store.page('u1', { pageSize: 10, unreadOnly: true });
      assert.deepEqual(
        page.notifications.map((n) => n.notificationId),
        [ids[4], ids[2], ids[0]],
      );
      assert.equal(page.unreadCount, 3);
      const all = await store.page('u1', { pageSize: 10, unreadOnly: false });
      assert.deepEqual(
        all.notifications.map((n) => n.read),
        [false, true, false, true, false],
      );
    });

    it('pages unread-only results with cursors too', async () => {
      const store = await openStore();
      const ids = await fill(store, 'u1', 9);
      await store.markRead(
        'u1',
        ids.filter((_, i) => i % 2 === 1),
      );
      const first = await store.page('u1', { pageSize: 3, unreadOnly: true });
      const second = await store.page('u1', {
        pageSize: 3,
        before: first.nextBefore,
        unreadOnly: true,
      });
      assert.deepEqual(
        [...first.notifications, ...second.notifications].map((n) => n.notificationId),
        [ids[8], ids[6], ids[4], ids[2], ids[0]],
      );
      assert.equal(second.nextBefore, undefined);
    });

    it('marks everything read at once', async () => {
      const store = await openStore();
      await fill(store, 'u1', 4);
      assert.equal(await store.markRead('u1', 'all'), 0);
      const page = await store.page('u1', { pageSize: 10, unreadOnly: true });
      assert.deepEqual(page.notifications, []);
      assert.equal(await store.markRead('nobody', 'all'), 0);
    });

    it('keeps only the newest `cap` notifications, and forgets dropped ones as unread', async () => {
      const store = await openStore({ cap: 5 });
      const ids = await fill(store, 'u1', 8);
      const page = await store.page('u1', { pageSize: 100, unreadOnly: false });
      assert.deepEqual(
        page.notifications.map((n) => n.notificationId),
        ids.slice(3).reverse(),
      );
      assert.equal(page.unreadCount, 5);
      assert.equal(await store.markRead('u1', [ids[0] ?? '']), 5);
    });

    it('reads oldest first after an id, from the start with an empty id, up to a limit', async () => {
      const store = await openStore();
      const ids = await fill(store, 'u1', 6);
      const after = await store.after('u1', ids[2] ?? '', 10);
      assert.deepEqual(
        after.map((n) => n.notificationId),
        ids.slice(3),
      );
      const fromStart = await store.after('u1', '', 4);
      assert.deepEqual(
        fromStart.map((n) => n.notificationId),
        ids.slice(0, 4),
      );
      assert.deepEqual(await store.after('u1', ids[5] ?? '', 10), []);
      assert.deepEqual(await store.after('nobody', '', 10), []);
    });

    it('knows its newest id, and an empty inbox has none', async () => {
      const store = await openStore();
      assert.equal(await store.latestId('u1'), '');
      const ids = await fill(store, 'u1', 3);
      assert.equal(await store.latestId('u1'), ids[2]);
    });

    it('finds one notification by id, with its read flag, and nothing for unknown ids', async () => {
      const store = await openStore();
      const ids = await fill(store, 'u1', 2);
      await store.markRead('u1', [ids[0] ?? '']);
      const first = await store.find('u1', ids[0] ?? '');
      const second = await store.find('u1', ids[1] ?? '');
      assert.deepEqual([first?.notificationId, first?.read], [ids[0], true]);
      assert.deepEqual(
        [second?.notificationId, second?.userId, second?.read],
        [ids[1], 'u1', false],
      );
      assert.equal(await store.find('u1', '0000000000000001'), undefined);
      assert.equal(await store.find('u2', ids[0] ?? ''), undefined);
    });
  });
}
