import assert from 'node:assert/strict';
import { candidatesv1, commonv1, featuresv1, type eventsv1 } from '@feedmesh/contracts';
import { createServiceClient } from '@feedmesh/service-kit';
import { deleteKeys, testRedis, testRedisUrl, uniquePrefix, waitFor } from '@feedmesh/testing';
import { Mesh } from './support/mesh.js';
import { loadSmallWorld } from './support/world-loading.js';
import { everyStageBudget } from '@feedmesh/feed-gateway';

const FOR_YOU = commonv1.Surface.SURFACE_FOR_YOU;
const LIKE = commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE;

/** What the fan liked: posts of established blogs about records and turntables. */
const VINYL_POSTS = [
  'Spinning a first pressing of the album on vinyl tonight; the turntable hums warmly.',
  'Vinyl records sound warmer: a turntable, a good stylus and the whole album, side A to B.',
  'Cleaned my vinyl collection today, every record back in its sleeve, the turntable dusted.',
];

describe('content understanding end to end: a new blog’s first post reaches the people it is about', function () {
  this.timeout(120_000);

  const prefix = uniquePrefix('content-e2e');
  let mesh: Mesh | undefined;
  let eventCount = 0;

  const publish = async (...payloads: eventsv1.Event['payload'][]) => {
    await mesh!.gateway.publishEvents({
      events: payloads.map((payload) => ({
        eventId: `content-${eventCount++}-${Date.now()}`,
        atMs: 0,
        payload,
      })),
    });
  };
  const post = (postId: string, blogId: string, text: string, tags: string[] = []) =>
    ({
      $case: 'postCreated',
      value: { postId, blogId, text, tags, mediaKind: 1, reblogOf: '' },
    }) as const;

  before(async function () {
    mesh = await Mesh.start({
      redisUrl: testRedisUrl(),
      prefix,
      serviceEnv: {
        'feed-gateway': {
          FEED_DEADLINE_MS: '2000',
          // Generous budgets on a busy 2-core machine: the test is about behaviour.
          ...everyStageBudget(1000),
        },
      },
    });
    await loadSmallWorld(mesh.gateway);
  });

  after(async function () {
    await mesh?.stop();
    const redis = testRedis(prefix);
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('puts an untagged post whose text matches a user’s interests in their for-you feed, saying why', async () => {
    const gateway = mesh!.gateway;
    await publish(
      ...VINYL_POSTS.map((text, i) => post(`records-${i}`, `blog-${i}`, text, ['music'])),
    );
    await publish(
      ...VINYL_POSTS.map((_, i) => ({
        $case: 'engagement' as const,
        value: { userId: 'vinyl-fan', postId: `records-${i}`, kind: LIKE },
      })),
    );
    await publish(
      {
        $case: 'blogCreated',
        value: { blogId: 'crate-digger', ownerUserId: 'cd', name: 'crate-digger', title: '' },
      },
      post(
        'crate-1',
        'crate-digger',
        'Found a rare vinyl pressing at the flea market this morning; it plays beautifully.',
      ),
    );

    // Candidate generation proposes it by content as soon as it has read the events; asked
    // directly, so that the feed below is asked once and its page is the first one served.
    const candidates = createServiceClient(
      candidatesv1.CandidateGenerationServiceDefinition,
      mesh!.address('candidate-generation'),
      { deadlineMs: 5_000 },
    );
    try {
      await waitFor(
        'crate-1 proposed by the content source',
        async () => {
          const response = await candidates.client.generate({
            userId: 'vinyl-fan',
            surface: FOR_YOU,
            tag: '',
            maxCandidates: 500,
            sourceBudgets: [],
            excludePostIds: [],
          });
          return response.candidates
            .find((c) => c.postId === 'crate-1')
            ?.sources.some((s) => s.source === 'content');
        },
        { timeoutMs: 10_000, intervalMs: 100 },
      );
    } finally {
      candidates.close();
    }

    // The gateway leaves out what the user liked as the feature store says; on a busy machine
    // it may apply the likes after candidate generation has: wait for it too.
    const features = createServiceClient(
      featuresv1.FeatureStoreServiceDefinition,
      mesh!.address('feature-store'),
      { deadlineMs: 5_000 },
    );
    try {
      await waitFor(
        'the feature store to have applied the likes',
        async () => {
          const user = await features.client.getUserFeatures({
            userId: 'vinyl-fan',
            maxListSize: 0,
          });
          return VINYL_POSTS.every((_, i) => user.engagedPostIds.includes(`records-${i}`));
        },
        { timeoutMs: 10_000, intervalMs: 100 },
      );
    } finally {
      features.close();
    }

    const feed = await gateway.getFeed({
      userId: 'vinyl-fan',
      surface: FOR_YOU,
      tag: '',
      pageSize: 20,
      cursor: '',
    });
    const item = feed.items.find((i) => i.postId === 'crate-1');
    assert.ok(
      item,
      `crate-1 not on the first page: ${JSON.stringify(feed.items.map((i) => [i.postId, i.source]))}`,
    );
    assert.ok(item.sources.includes('content'), `sources: ${item.sources.join(',')}`);
    assert.equal(item.source, 'content', `reason: ${item.reason}`);
    assert.match(item.reason, /^about (vinyl|pressing|plays?), which you like$/);
    for (let i = 0; i < VINYL_POSTS.length; i++) {
      assert.ok(
        !feed.items.some((served) => served.postId === `records-${i}`),
        'a post the user liked is not served again',
      );
    }
  });

  it('leaves a new post about something else out of the content source', async () => {
    await publish(
      post('crate-2', 'crate-digger', 'Baked sourdough bread with rye flour; the crumb is open.'),
    );
    const candidates = createServiceClient(
      candidatesv1.CandidateGenerationServiceDefinition,
      mesh!.address('candidate-generation'),
      { deadlineMs: 5_000 },
    );
    try {
      // The new-creators source proposes every new blog's posts: once crate-2 is among its
      // candidates, candidate generation has read it, and content had its chance.
      const response = await waitFor(
        'crate-2 read by candidate generation',
        async () => {
          const r = await candidates.client.generate({
            userId: 'vinyl-fan',
            surface: FOR_YOU,
            tag: '',
            maxCandidates: 500,
            sourceBudgets: [
              { source: 'content', maxCandidates: 100, timeoutMs: 0 },
              { source: 'fresh', maxCandidates: 100, timeoutMs: 0 },
            ],
            excludePostIds: [],
          });
          return r.candidates.some((c) => c.postId === 'crate-2') ? r : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 100 },
      );
      const byContent = response.candidates
        .filter((c) => c.sources.some((s) => s.source === 'content'))
        .map((c) => c.postId);
      assert.ok(!byContent.includes('crate-2'), `content proposed ${byContent.join(',')}`);
      assert.ok(byContent.includes('crate-1'), `content proposed ${byContent.join(',')}`);
    } finally {
      candidates.close();
    }
  });
});
