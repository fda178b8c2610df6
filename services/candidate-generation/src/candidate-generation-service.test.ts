import assert from 'node:assert/strict';
import { candidatesv1, commonv1, type eventsv1 } from '@feedmesh/contracts';
import {
  createRuntime,
  createServiceClient,
  loadConfig,
  Status,
  ClientError,
  type ClientHandle,
  type RunningServer,
  type Runtime,
} from '@feedmesh/service-kit';
import {
  embeddingStoreFor,
  InMemoryEmbeddingStore,
  trainEmbeddings,
  type EmbeddingStore,
} from '@feedmesh/embeddings';
import { testRedis, testRedisUrl, uniquePrefix, waitFor } from '@feedmesh/testing';
import { candidateGenerationConfigShape, SOURCE_NAMES, startCandidateGeneration } from './index.js';
import {
  blogCreated,
  engagement,
  follow,
  postCreated,
  postDeleted,
} from './test-fixtures/events.js';
import { DAY, HOUR, MINUTE, NOW, silentLogger } from './test-fixtures/world.js';

const { Surface } = commonv1;
const Definition = candidatesv1.CandidateGenerationServiceDefinition;

for (const mode of ['embedded', 'Redis'] as const) {
  describe(`CandidateGenerationService over gRPC (${mode})`, () => {
    let runtime: Runtime;
    let server: RunningServer;
    let handle: ClientHandle<typeof Definition>;
    let cleanup: () => Promise<void>;

    before(async () => {
      const prefix = uniquePrefix('cg-service');
      const config = loadConfig(candidateGenerationConfigShape, {
        GRPC_LISTEN: '127.0.0.1:0',
        REDIS_PREFIX: prefix,
        EVENT_PARTITIONS: '2',
        CONSUMER_NAME: 'test-consumer',
        CANDIDATES_TRENDING_CACHE_MS: '0',
        ...(mode === 'Redis' ? { REDIS_URL: testRedisUrl() } : {}),
      });
      runtime = createRuntime(config, silentLogger);
      // The trainer's side: embeddings published before the service starts (Redis: where the
      // trainer job publishes; embedded: a store the playground would share).
      const embeddingStore: EmbeddingStore =
        mode === 'Redis' ? embeddingStoreFor(runtime) : new InMemoryEmbeddingStore();
      await embeddingStore.publish(
        trainEmbeddings(
          [
            { userId: 'u1', postId: 'p0', weight: 1 },
            { userId: 'fan0', postId: 'p0', weight: 1 },
            { userId: 'fan0', postId: 'p1', weight: 1 },
            { userId: 'fan1', postId: 'p1', weight: 1 },
          ],
          [{ postId: 'p1', blogId: 'b1', tags: ['cats'] }],
          { trainedAtMs: NOW - DAY, factors: 2, iterations: 3 },
        ),
      );
      server = await startCandidateGeneration({
        config,
        runtime,
        logger: silentLogger,
        clock: () => NOW,
        embeddingStore,
      });
      handle = createServiceClient(Definition, server.address, { deadlineMs: 10_000 });
      cleanup = async () => {
        if (mode === 'Redis') await testRedis(prefix).cleanup();
      };
      await publish(
        blogCreated('b1', NOW - 300 * DAY, 'catblog'),
        blogCreated('b2', NOW - 2 * DAY, 'newbie'),
        postCreated('p1', 'b1', NOW - 2 * HOUR, { tags: ['cats'], text: 'a cat' }),
        postCreated('p2', 'b2', NOW - HOUR, { tags: ['cats'] }),
        postCreated('p3', 'b1', NOW - HOUR, { tags: ['dogs'] }),
        follow('u1', 'b1', NOW - 10 * DAY),
        postDeleted('p3', NOW - MINUTE),
      );
      for (let i = 0; i < 12; i++) {
        await publish(engagement(`fan${i}`, 'p1', NOW - 30 * MINUTE + i * MINUTE));
      }
      // Every event applied before the first test: a test comparing two answers must not see
      // the consumer apply the last likes between them (the trending score went 11 -> 12).
      const everything = await runtime.eventLog.endMark();
      await waitFor('the consumer to apply every event', () =>
        runtime.eventLog.handledUpTo(config.CANDIDATES_CONSUMER_GROUP, everything),
      );
    });

    after(async () => {
      handle?.close();
      await server?.shutdown();
      await runtime?.close();
      await cleanup?.();
    });

    function publish(...events: eventsv1.Event[]): Promise<void> {
      return runtime.eventLog.append(events);
    }

    it('answers Generate from the event log: followed, popular and new-creator posts', async () => {
      const response = await waitFor('the consumer to apply the events', async () => {
        const r = await handle.client.generate({
          userId: 'u1',
          surface: Surface.SURFACE_DASHBOARD,
          maxCandidates: 100,
          // Checked on its own below.
          sourceBudgets: [{ source: 'embeddings', maxCandidates: 0, timeoutMs: 0 }],
        });
        const ids = r.candidates.map((c) => c.postId).sort();
        return ids.join() === 'p1,p2' && r.candidates[0]?.sources.length === 3 ? r : undefined;
      });
      const p1 = response.candidates.find((c) => c.postId === 'p1')!;
      assert.deepEqual(
        p1.sources.map((s) => [s.source, s.reason]),
        [
          ['following', 'you follow @catblog'],
          ['trending', 'trending in #cats'],
          ['popular', 'popular right now'],
        ],
      );
      assert.equal(p1.summary, 'a cat');
      assert.deepEqual(p1.tags, ['cats']);
      const p2 = response.candidates.find((c) => c.postId === 'p2')!;
      assert.deepEqual(
        p2.sources.map((s) => [s.source, s.reason]),
        [['fresh', 'new creator @newbie']],
      );
      const embedded = await handle.client.generate({
        userId: 'u1',
        surface: Surface.SURFACE_FOR_YOU,
        maxCandidates: 100,
        sourceBudgets: [{ source: 'embeddings', maxCandidates: 10, timeoutMs: 0 }],
      });
      assert.ok(
        embedded.candidates.some((c) => c.sources.some((s) => s.source === 'embeddings')),
        'the published embeddings are served',
      );
      const statuses = new Map(response.sources.map((r) => [r.source, r.status]));
      assert.equal(statuses.get('following'), candidatesv1.SourceStatus.SOURCE_STATUS_OK);
      assert.equal(statuses.size, SOURCE_NAMES.length);
    });

    it('leaves display fields out of a RANKING view, and DescribePosts gives them for the served', async () => {
      const request = {
        userId: 'u1',
        surface: Surface.SURFACE_DASHBOARD,
        maxCandidates: 100,
        sourceBudgets: [{ source: 'embeddings', maxCandidates: 0, timeoutMs: 0 }],
      };
      await waitFor('the consumer to apply the events', async () => {
        const r = await handle.client.generate(request);
        return r.candidates.find((c) => c.postId === 'p1')?.sources.length === 3 ? r : undefined;
      });
      const full = await handle.client.generate(request);
      const ranking = await handle.client.generate({
        ...request,
        view: candidatesv1.CandidateView.CANDIDATE_VIEW_RANKING,
      });
      const p1 = ranking.candidates.find((c) => c.postId === 'p1')!;
      assert.equal(p1.summary, '');
      assert.deepEqual(p1.tags, []);
      assert.deepEqual(
        p1.sources.map((s) => [s.source, s.reason]),
        [
          ['following', 'you follow @catblog'],
          ['trending', ''],
          ['popular', ''],
        ],
      );
      // The same candidates, in the same order, with the same blogs, times and scores.
      assert.deepEqual(
        ranking.candidates.map((c) => [
          c.postId,
          c.blogId,
          c.createdAtMs,
          c.sources.map((s) => s.score),
        ]),
        full.candidates.map((c) => [
          c.postId,
          c.blogId,
          c.createdAtMs,
          c.sources.map((s) => s.score),
        ]),
      );

      const described = await handle.client.describePosts({
        postIds: ['p2', 'nope', 'p3', 'p1'],
      });
      assert.deepEqual(
        described.posts.map((p) => [p.postId, p.blogId, p.tags, p.summary]),
        [
          ['p2', 'b2', ['cats'], 'post p2'],
          ['p1', 'b1', ['cats'], 'a cat'],
        ],
        'in request order; the unknown p-nope and the deleted p3 are left out',
      );
      assert.equal(described.posts[1]!.createdAtMs, NOW - 2 * HOUR);
    });

    it('serves Trending with observed and expected counts', async () => {
      const response = await waitFor('the burst to be counted', async () => {
        const r = await handle.client.trending({ limit: 10, windowS: 3_600 });
        return r.tags[0]?.observed === 12 ? r : undefined;
      });
      assert.deepEqual(
        response.tags.map((t) => [t.tag, t.observed, t.expected]),
        [['cats', 12, 0]],
      );
      assert.deepEqual(
        response.posts.map((p) => [p.postId, p.blogId]),
        [['p1', 'b1']],
      );
      assert.ok(response.tags[0]!.score > 2);
      const limited = await handle.client.trending({ limit: 1, windowS: 0 });
      assert.equal(limited.tags.length, 1);
    });

    it('rejects a bad request with INVALID_ARGUMENT naming the field', async () => {
      const generate = await handle.client
        .generate({
          userId: 'u1',
          surface: Surface.SURFACE_FOR_YOU,
          maxCandidates: 10,
          sourceBudgets: [
            { source: 'popular', maxCandidates: 1, timeoutMs: 0 },
            { source: 'psychic', maxCandidates: 1, timeoutMs: 0 },
          ],
        })
        .catch((e: unknown) => e);
      assert.ok(generate instanceof ClientError);
      assert.equal(generate.code, Status.INVALID_ARGUMENT);
      assert.match(generate.details, /^source_budgets\[1\]\.source: unknown source "psychic"/);

      const view = await handle.client
        .generate({
          userId: 'u1',
          surface: Surface.SURFACE_FOR_YOU,
          maxCandidates: 10,
          view: 9 as candidatesv1.CandidateView,
        })
        .catch((e: unknown) => e);
      assert.ok(view instanceof ClientError);
      assert.match(view.details, /^view: unknown value 9/);

      for (const [postIds, field] of [
        [[], /^post_ids: is required/],
        [['p1', ''], /^post_ids\[1\]: /],
        [Array.from({ length: 501 }, (_, i) => `p${i}`), /^post_ids: must have at most 500/],
      ] as const) {
        const describe = await handle.client
          .describePosts({ postIds: [...postIds] })
          .catch((e: unknown) => e);
        assert.ok(describe instanceof ClientError);
        assert.equal(describe.code, Status.INVALID_ARGUMENT);
        assert.match(describe.details, field);
      }

      const trending = await handle.client
        .trending({ limit: 0, windowS: 0 })
        .catch((e: unknown) => e);
      assert.ok(trending instanceof ClientError);
      assert.equal(trending.code, Status.INVALID_ARGUMENT);
      assert.match(trending.details, /^limit: /);
    });
  });
}
