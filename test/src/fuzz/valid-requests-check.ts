import {
  candidatesv1,
  commonv1,
  featuresv1,
  notificationv1,
  rankerv1,
  searchv1,
} from '@feedmesh/contracts';
import { createServiceClient } from '@feedmesh/service-kit';
import type { Mesh } from '../support/mesh.js';

export interface CheckResult {
  readonly rpc: string;
  readonly ok: boolean;
  readonly detail: string;
}

/**
 * After the fuzzing: every public RPC still answers a valid request, and answers it right
 * (the small world's facts: reader follows alice-art, eight posts mention charcoal).
 */
export async function checkValidRequests(mesh: Mesh): Promise<CheckResult[]> {
  const options = { deadlineMs: 10_000 };
  const fs = createServiceClient(
    featuresv1.FeatureStoreServiceDefinition,
    mesh.address('feature-store'),
    options,
  );
  const cg = createServiceClient(
    candidatesv1.CandidateGenerationServiceDefinition,
    mesh.address('candidate-generation'),
    options,
  );
  const ranker = createServiceClient(
    rankerv1.RankerServiceDefinition,
    mesh.address('ranker'),
    options,
  );
  const search = createServiceClient(
    searchv1.SearchServiceDefinition,
    mesh.address('search'),
    options,
  );
  const notification = createServiceClient(
    notificationv1.NotificationServiceDefinition,
    mesh.address('notification'),
    options,
  );
  const gateway = mesh.gateway;
  const results: CheckResult[] = [];
  const check = async (rpc: string, run: () => Promise<string | true>) => {
    try {
      const verdict = await run();
      results.push({ rpc, ok: verdict === true, detail: verdict === true ? '' : verdict });
    } catch (error) {
      results.push({ rpc, ok: false, detail: String(error) });
    }
  };
  const expect = (ok: boolean, otherwise: string): string | true => (ok ? true : otherwise);
  /** Still open after `ms`, no error: a live subscription. */
  const staysOpen = async (stream: AsyncIterable<unknown>, signal: AbortController, ms = 300) => {
    const timer = setTimeout(() => signal.abort(), ms);
    try {
      for await (const _ of stream) {
        // replayed notifications
      }
      return 'the stream ended by itself';
    } catch (error) {
      return signal.signal.aborted && (error as Error).name === 'AbortError' ? true : String(error);
    } finally {
      clearTimeout(timer);
    }
  };
  const charcoal = { query: 'charcoal', tags: [], blogId: '', order: 0, pageSize: 10, cursor: '' };
  const prefs: notificationv1.Preferences = {
    types: [{ type: 1, enabled: true, channels: [1] }],
    timeZone: 'Europe/Paris',
    quietStartMinute: 1380,
    quietEndMinute: 420,
  };

  try {
    await check('gateway GetFeed', async () => {
      const r = await gateway.getFeed({
        userId: 'after-fuzz',
        surface: commonv1.Surface.SURFACE_FOR_YOU,
        tag: '',
        pageSize: 10,
        cursor: '',
      });
      return expect(
        r.items.length > 0 && r.requestId !== '',
        `items ${r.items.length}, degraded ${JSON.stringify(r.degraded)}`,
      );
    });
    await check('gateway Search', async () => {
      const r = await gateway.search({ userId: 'reader', ...charcoal });
      return expect(r.totalHits >= 8, `total_hits ${r.totalHits}`);
    });
    await check('gateway ListNotifications', async () => {
      await gateway.listNotifications({
        userId: 'alice',
        pageSize: 10,
        cursor: '',
        unreadOnly: false,
      });
      return true;
    });
    await check('gateway SubscribeNotifications', async () => {
      const abort = new AbortController();
      return staysOpen(
        gateway.subscribeNotifications(
          { userId: 'alice', afterNotificationId: '' },
          { signal: abort.signal, deadline: undefined },
        ),
        abort,
      );
    });
    await check('gateway MarkNotificationsRead', async () => {
      const r = await gateway.markNotificationsRead({
        userId: 'alice',
        notificationIds: [],
        all: true,
      });
      return expect(r.unreadCount === 0, `unread_count ${r.unreadCount}`);
    });
    await check('gateway PublishEvents', async () => {
      const r = await gateway.publishEvents({
        events: [
          {
            eventId: `after-fuzz-${Date.now()}`,
            atMs: 0,
            payload: { $case: 'sessionStarted', value: { userId: 'after-fuzz' } },
          },
        ],
      });
      return expect(r.accepted === 1, `accepted ${r.accepted}`);
    });
    await check('candidate-generation Generate', async () => {
      const r = await cg.client.generate({
        userId: 'reader',
        surface: commonv1.Surface.SURFACE_DASHBOARD,
        tag: '',
        maxCandidates: 200,
        sourceBudgets: [],
        excludePostIds: [],
      });
      return expect(
        r.candidates.some((c) => c.blogId === 'alice-art'),
        `${r.candidates.length} candidates, none of alice-art`,
      );
    });
    await check('candidate-generation DescribePosts', async () => {
      const r = await cg.client.describePosts({ postIds: ['alice-1', 'no-such-post'] });
      return expect(
        r.posts.length === 1 &&
          r.posts[0]!.postId === 'alice-1' &&
          r.posts[0]!.blogId === 'alice-art',
        JSON.stringify(r.posts.map((p) => [p.postId, p.blogId])),
      );
    });
    await check('candidate-generation Trending', async () => {
      await cg.client.trending({ limit: 10, windowS: 0 });
      return true;
    });
    let features: featuresv1.GetFeaturesResponse | undefined;
    await check('feature-store GetFeatures', async () => {
      features = await fs.client.getFeatures({ userId: 'reader', postIds: ['alice-1', 'bob-1'] });
      const m = features.candidates!;
      return expect(
        m.rows === 2 && m.values.length === 2 * m.names.length && m.names.length > 0,
        `rows ${m.rows}, ${m.values.length} values for ${m.names.length} names`,
      );
    });
    await check('feature-store GetUserFeatures', async () => {
      const r = await fs.client.getUserFeatures({ userId: 'reader', maxListSize: 0 });
      return expect(
        r.known && r.followedBlogIds.includes('alice-art'),
        `known ${r.known}, follows ${r.followedBlogIds.join(',')}`,
      );
    });
    await check('ranker Rank', async () => {
      if (!features) return 'no features to rank';
      const r = await ranker.client.rank({
        model: '',
        modelVersion: '',
        user: features.user,
        candidates: features.candidates,
        weights: [],
      });
      return expect(
        r.values.length === 2 && r.values.every(Number.isFinite),
        `values ${JSON.stringify(r.values)}`,
      );
    });
    await check('ranker ListModels', async () => {
      const r = await ranker.client.listModels({});
      return expect(r.models.length > 0, 'no model');
    });
    await check('search Search', async () => {
      const r = await search.client.search(charcoal);
      return expect(r.totalHits >= 8, `total_hits ${r.totalHits}`);
    });
    await check('search Suggest', async () => {
      const r = await search.client.suggest({ prefix: 'ar', limit: 5, kinds: [] });
      return expect(
        r.suggestions.some((s) => s.text.includes('art')),
        JSON.stringify(r.suggestions),
      );
    });
    await check('notification ListInbox', async () => {
      await notification.client.listInbox({
        userId: 'alice',
        pageSize: 10,
        cursor: '',
        unreadOnly: false,
      });
      return true;
    });
    await check('notification MarkRead', async () => {
      const r = await notification.client.markRead({
        userId: 'alice',
        notificationIds: [],
        all: true,
      });
      return expect(r.unreadCount === 0, `unread_count ${r.unreadCount}`);
    });
    await check('notification Subscribe', async () => {
      const abort = new AbortController();
      return staysOpen(
        notification.client.subscribe(
          { userId: 'alice', afterNotificationId: '' },
          { signal: abort.signal, deadline: undefined },
        ),
        abort,
      );
    });
    await check('notification SetPreferences', async () => {
      const r = await notification.client.setPreferences({
        userId: 'after-fuzz',
        preferences: prefs,
      });
      return expect(r.preferences?.timeZone === 'Europe/Paris', JSON.stringify(r.preferences));
    });
    await check('notification GetPreferences', async () => {
      const r = await notification.client.getPreferences({ userId: 'after-fuzz' });
      return expect(r.preferences?.quietStartMinute === 1380, JSON.stringify(r.preferences));
    });
  } finally {
    for (const handle of [fs, cg, ranker, search, notification]) handle.close();
  }
  return results;
}
