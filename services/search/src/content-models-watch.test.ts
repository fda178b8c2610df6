import assert from 'node:assert/strict';
import {
  contentModelStoreFor,
  encodeContentModels,
  InMemoryContentModelStore,
  trainContentModels,
  type ContentModelStore,
} from '@feedmesh/content';
import { searchv1, type eventsv1 } from '@feedmesh/contracts';
import {
  createRuntime,
  createServiceClient,
  loadConfig,
  type ClientHandle,
  type RunningServer,
  type Runtime,
} from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { testRedisUrl, uniquePrefix, waitFor } from '@feedmesh/testing';
import { Redis } from 'ioredis';
import { searchConfigShape, startSearch } from './index.js';

const silent = createLogger('search-content-models-test', { level: 'silent' });

let seq = 0;
const untagged = (postId: string, text: string): eventsv1.Event => ({
  eventId: `cm-${process.pid}-${++seq}`,
  atMs: 1_000 + seq,
  payload: {
    $case: 'postCreated',
    value: { postId, blogId: 'b1', text, tags: [], mediaKind: 1, reblogOf: '' },
  },
});

/** What the trainer publishes after learning that vinyl talk is #music and bread #baking. */
const TRAINED = encodeContentModels(
  trainContentModels(
    [
      ...[
        'Spinning an old vinyl record on the turntable tonight.',
        'A new stylus for the turntable; the vinyl sounds warmer.',
        'Cleaning vinyl records before they go back on the turntable.',
      ].map((text, i) => ({ postId: `m${i}`, text, tags: ['Music'] })),
      ...[
        'Sourdough bread with a lively starter and a long proof.',
        'The bread dough rose overnight; baked it in a hot oven.',
      ].map((text, i) => ({ postId: `b${i}`, text, tags: ['baking'] })),
    ],
    [],
    { encoder: { dim: 8 } },
  ),
);

for (const kind of ['redis', 'embedded'] as const) {
  describe(`search with the trainer's content models (${kind})`, () => {
    const prefix = uniquePrefix('search-cm');
    let runtime: Runtime;
    let store: ContentModelStore;
    let server: RunningServer;
    let handle: ClientHandle<typeof searchv1.SearchServiceDefinition>;

    const byTag = async (tag: string) =>
      (
        await handle.client.search({
          query: `#${tag}`,
          tags: [],
          blogId: '',
          order: 0,
          pageSize: 100,
          cursor: '',
        })
      ).hits.map((hit) => hit.postId);

    before(async () => {
      runtime = createRuntime(
        {
          REDIS_URL: kind === 'redis' ? testRedisUrl() : undefined,
          REDIS_CLUSTER: false,
          REDIS_PREFIX: prefix,
          EVENT_PARTITIONS: 2,
          CONSUMER_NAME: 'search-cm-0',
        },
        silent,
      );
      // Redis: where the trainer job publishes; embedded: the store a playground would share.
      store = kind === 'redis' ? contentModelStoreFor(runtime) : new InMemoryContentModelStore();
      const config = loadConfig(searchConfigShape, {
        GRPC_LISTEN: '127.0.0.1:0',
        SEARCH_CONTENT_MODELS_POLL_MS: '20',
        CONSUMER_NAME: 'search-cm-0',
      });
      server = await startSearch({
        config,
        runtime,
        logger: silent,
        ...(kind === 'embedded' ? { contentModelStore: store } : {}),
      });
      handle = createServiceClient(searchv1.SearchServiceDefinition, server.address, {
        deadlineMs: 5_000,
      });
    });

    after(async () => {
      handle.close();
      await server.shutdown();
      await runtime.close();
      if (kind === 'redis') await deleteKeysUnder(prefix);
    });

    it('finds an untagged post by its inferred tag once the trainer has published models', async () => {
      await runtime.eventLog.append([
        untagged('early', 'Found a rare vinyl record for my turntable.'),
      ]);
      await waitFor(
        'the first post to be indexed',
        async () =>
          (
            await handle.client.search({
              query: 'vinyl',
              tags: [],
              blogId: '',
              order: 0,
              pageSize: 10,
              cursor: '',
            })
          ).hits.length === 1,
      );
      assert.deepEqual(await byTag('music'), [], 'no models yet: no inferred tags');

      await store.publish(TRAINED);
      // Each look appends another untagged post: the first indexed after the models load is
      // found by the tag its text implies.
      let probe = 0;
      const found = await waitFor('a post tagged by the published models', async () => {
        await runtime.eventLog.append([
          untagged(`late-${++probe}`, 'A turntable and a stack of vinyl records.'),
        ]);
        const hits = await byTag('music');
        return hits.length > 0 ? hits : undefined;
      });
      assert.ok(
        found.every((id) => id.startsWith('late-')),
        JSON.stringify(found),
      );
      assert.ok(!found.includes('early'), 'posts indexed before keep their tags');
      assert.deepEqual(await byTag('baking'), []);
    });
  });
}

/**
 * Deletes the test's keys with few, large SCAN steps: the shared test Redis holds millions of
 * keys of other suites' worlds, and a step of 1,000 takes thousands of round trips.
 */
async function deleteKeysUnder(prefix: string): Promise<void> {
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 2 });
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 200_000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
  await redis.quit();
}
