import assert from 'node:assert/strict';
import { commonv1, notificationv1 } from '@feedmesh/contracts';
import { InMemoryDirectoryStore } from './directory-store.js';
import type { NotificationCandidate } from './notification-candidate.js';
import { NotificationRenderer } from './notification-text.js';
import { T0 } from './test-fixtures/events.js';

const { EngagementKind } = commonv1;

describe('NotificationRenderer', () => {
  const directory = new InMemoryDirectoryStore({ entryTtlMs: 1, parkTtlMs: 1, parkCap: 1 });
  const renderer = new NotificationRenderer(directory);

  before(async () => {
    await directory.recordBlog('b-alice', 'u-alice', 'alice', T0);
    await directory.recordBlog('b-bob', 'u-bob', 'bob', T0);
    await directory.recordBlog('b-carol', 'u-carol', 'carol', T0);
  });

  function candidate(
    activityKind: commonv1.EngagementKind,
    actorIds: string[],
    extra: Partial<NotificationCandidate> = {},
  ): NotificationCandidate {
    return {
      digestId: 'e1',
      subject: {
        userId: 'owner',
        type: notificationv1.NotificationType.NOTIFICATION_TYPE_ACTIVITY,
        activityKind,
        postId: activityKind === EngagementKind.ENGAGEMENT_KIND_UNSPECIFIED ? '' : 'p1',
        blogId: 'b-owner',
        topic: '',
      },
      actorIds,
      postIds: [],
      actorCount: actorIds.length,
      count: actorIds.length,
      firstAtMs: T0,
      lastAtMs: T0,
      dedupeKey: 'digest:e1',
      ...extra,
    };
  }

  async function words(c: NotificationCandidate): Promise<[string, string]> {
    const draft = await renderer.render(c, T0);
    return [draft.title, draft.body];
  }

  it('names a single actor by their blog, or by user id when they have none', async () => {
    assert.deepEqual(await words(candidate(EngagementKind.ENGAGEMENT_KIND_LIKE, ['u-alice'])), [
      'alice liked your post',
      '',
    ]);
    assert.deepEqual(await words(candidate(EngagementKind.ENGAGEMENT_KIND_REPLY, ['u-zed'])), [
      'u-zed replied to your post',
      '',
    ]);
  });

  it('says how often one actor did it', async () => {
    const c = candidate(EngagementKind.ENGAGEMENT_KIND_REBLOG, ['u-bob'], { count: 3 });
    assert.deepEqual(await words(c), ['bob reblogged your post', '3 times']);
  });

  it('counts several actors in the title and names the most recent in the body', async () => {
    assert.deepEqual(
      await words(candidate(EngagementKind.ENGAGEMENT_KIND_LIKE, ['u-bob', 'u-alice'])),
      ['2 people liked your post', 'bob and alice'],
    );
    assert.deepEqual(
      await words(
        candidate(EngagementKind.ENGAGEMENT_KIND_UNSPECIFIED, ['u-carol', 'u-bob', 'u-alice']),
      ),
      ['3 people followed your blog', 'carol, bob and alice'],
    );
    const many = candidate(EngagementKind.ENGAGEMENT_KIND_LIKE, ['u-carol', 'u-bob', 'u-alice'], {
      actorCount: 1_234,
      count: 1_300,
    });
    assert.deepEqual(await words(many), [
      '1,234 people liked your post',
      'carol, bob, alice and 1,231 others',
    ]);
    const four = candidate(EngagementKind.ENGAGEMENT_KIND_LIKE, ['u-carol', 'u-bob', 'u-alice'], {
      actorCount: 4,
    });
    assert.deepEqual(await words(four), [
      '4 people liked your post',
      'carol, bob, alice and 1 other',
    ]);
  });

  it('counts every post of a new-post digest, not only the 20 it links to, less those deleted since', async () => {
    const postIds = Array.from({ length: 20 }, (_, i) => `news-${i}`);
    const news = candidate(EngagementKind.ENGAGEMENT_KIND_UNSPECIFIED, ['b-alice', 'b-bob'], {
      subject: {
        userId: 'fan',
        type: notificationv1.NotificationType.NOTIFICATION_TYPE_NEW_POST,
        activityKind: EngagementKind.ENGAGEMENT_KIND_UNSPECIFIED,
        postId: '',
        blogId: '',
        topic: '',
      },
      postIds,
      count: 25,
    });
    assert.deepEqual(await words(news), ['New from alice and bob', '25 new posts']);
    await directory.recordPostDeleted('news-3');
    const draft = await renderer.render(news, T0);
    assert.deepEqual([draft.body, draft.count, draft.postIds.length], ['24 new posts', 24, 19]);
  });

  it('counts the blogs of a new-post digest that lists none of them (the listed ones were left out)', async () => {
    const news = candidate(EngagementKind.ENGAGEMENT_KIND_UNSPECIFIED, [], {
      subject: {
        userId: 'fan',
        type: notificationv1.NotificationType.NOTIFICATION_TYPE_NEW_POST,
        activityKind: EngagementKind.ENGAGEMENT_KIND_UNSPECIFIED,
        postId: '',
        blogId: '',
        topic: '',
      },
      actorCount: 3,
      count: 7,
    });
    assert.deepEqual(await words(news), ['New from 3 blogs', '7 new posts']);
    assert.deepEqual(await words({ ...news, actorCount: 1, count: 1 }), [
      'New from 1 blog',
      '1 new post',
    ]);
  });

  it('fills in the rest of the notification from the candidate', async () => {
    const draft = await renderer.render(
      candidate(EngagementKind.ENGAGEMENT_KIND_LIKE, ['u-alice'], { count: 1 }),
      T0 + 5,
    );
    assert.deepEqual(
      { ...draft, title: '', body: '' },
      {
        type: notificationv1.NotificationType.NOTIFICATION_TYPE_ACTIVITY,
        activityKind: EngagementKind.ENGAGEMENT_KIND_LIKE,
        title: '',
        body: '',
        postIds: ['p1'],
        actorIds: ['u-alice'],
        count: 1,
        createdAtMs: T0 + 5,
      },
    );
  });
});
