import assert from 'node:assert/strict';
import { candidatesv1, commonv1, type eventsv1 } from '@feedmesh/contracts';
import { partitionOf } from '@feedmesh/events';
import {
  createRuntime,
  createServiceClient,
  loadConfig,
  type ClientHandle,
  type RunningServer,
  type Runtime,
} from '@feedmesh/service-kit';
import { testRedis, testRedisUrl, uniquePrefix } from '@feedmesh/testing';
import { InMemoryEmbeddingStore } from '@feedmesh/embeddings';
import { candidateGenerationConfigShape, startCandidateGeneration } from './index.js';
import { blogCreated, engagement, postCreated } from './test-fixtures/events.js';
import { DAY, HOUR, MINUTE, NOW, silentLogger } from './test-fixtures/world.js';

const PARTITIONS = 8;
const Definition = candidatesv1.CandidateGenerationServiceDefinition;

/**
 * The log partitions a post by its id and a like by its user, so a like can sit in a partition
 * that is read before its post's. A process that starts rebuilds its indexes from the log's
 * history: the likes must still count for the post's tags.
 */
for (const mode of ['embedded', 'Redis'] as const) {
  describe(`candidate-generation rebuilt from the log at start (${mode})`, () => {
    let runtime: Runtime;
    let server: RunningServer | undefined;
    let handle: ClientHandle<typeof Definition> | undefined;
    const prefix = uniquePrefix('cg-rebuild');

    // Readers whose likes land in the first partition, and music posts in the others.
    const [reader, ...fans] = Array.from({ length: 200 }, (_, i) => `reader${i}`)
      .filter((userId) => partitionOf(engagement(userId, 'p', NOW), PARTITIONS) === 0)
      .slice(0, 5) as [string, ...string[]];
    const musicPosts = Array.from({ length: 60 }, (_, i) => `m${i}`)
      .filter((postId) => partitionOf(postCreated(postId, 'b1', NOW), PARTITIONS) !== 0)
      .slice(0, 6);

    before(async () => {
      const config = loadConfig(candidateGenerationConfigShape, {
        GRPC_LISTEN: '127.0.0.1:0',
        REDIS_PREFIX: prefix,
        EVENT_PARTITIONS: String(PARTITIONS),
        CONSUMER_NAME: 'test-consumer',
        CANDIDATES_TRENDING_CACHE_MS: '0',
        ...(mode === 'Redis' ? { REDIS_URL: testRedisUrl() } : {}),
      });
      runtime = createRuntime(config, silentLogger);
      // Everything is in the log before the process starts: only the rebuild can read it.
      const events: eventsv1.Event[] = [blogCreated('b1', NOW - 100 * DAY, 'tunes')];
      musicPosts.forEach((postId, i) =>
        events.push(postCreated(postId, 'b1', NOW - 3 * HOUR + i * MINUTE, { tags: ['music'] })),
      );
      // The reader likes the first three; others like the last three.
      musicPosts.slice(0, 3).forEach((postId, i) => {
        events.push(engagement(reader, postId, NOW - 2 * HOUR + i * MINUTE));
      });
      musicPosts.slice(3).forEach((postId, i) => {
        fans.forEach((fan, n) => {
          events.push(engagement(fan, postId, NOW - 30 * MINUTE + (i * 4 + n) * MINUTE));
        });
      });
      await runtime.eventLog.append(events);
      server = await startCandidateGeneration({
        config,
        runtime,
        logger: silentLogger,
        clock: () => NOW,
        embeddingStore: new InMemoryEmbeddingStore(),
      });
      handle = createServiceClient(Definition, server.address, { deadlineMs: 10_000 });
    });

    after(async () => {
      handle?.close();
      await server?.shutdown();
      await runtime?.close();
      if (mode === 'Redis') await testRedis(prefix).cleanup();
    });

    it('credits the tags of a post to the likes of it that sit in an earlier partition', async () => {
      const response = await handle!.client.generate({
        userId: reader,
        surface: commonv1.Surface.SURFACE_FOR_YOU,
        maxCandidates: 20,
        sourceBudgets: [{ source: 'tags', maxCandidates: 20, timeoutMs: 0 }],
      });
      const fromTags = response.candidates.filter((c) =>
        c.sources.some((s) => s.source === 'tags'),
      );
      const proposed = new Set(fromTags.map((c) => c.postId));
      assert.ok(
        musicPosts.slice(3).every((postId) => proposed.has(postId)),
        `the tags source proposes the music posts the reader has not liked: ${[...proposed].join(', ')}`,
      );
      assert.ok(
        fromTags.every((c) => c.sources.some((s) => s.reason === 'you like #music')),
        JSON.stringify(fromTags.map((c) => c.sources)),
      );
    });

    it('counts the likes of a post towards its tags trending', async () => {
      const response = await handle!.client.trending({ limit: 10, windowS: 3_600 });
      const music = response.tags.find((t) => t.tag === 'music');
      assert.ok(music, `#music trends: ${JSON.stringify(response.tags)}`);
      assert.equal(music.observed, 12, 'the twelve likes of the last half hour');
    });
  });
}
