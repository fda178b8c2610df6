import assert from 'node:assert/strict';
import {
  encodeContentModels,
  InMemoryContentModelStore,
  trainContentModels,
} from '@feedmesh/content';
import { candidatesv1, commonv1 } from '@feedmesh/contracts';
import { createRuntime, createServiceClient, loadConfig } from '@feedmesh/service-kit';
import { contentModelsLoader } from './content-models-loader.js';
import { candidateGenerationConfigShape, startCandidateGeneration } from './index.js';
import { blogCreated, engagement, postCreated } from './test-fixtures/events.js';
import { DAY, HOUR, ids, NOW, silentLogger, TestWorld } from './test-fixtures/world.js';

/** What the trainer learned from the site's tagged posts: vinyl talk is #music. */
const TRAINING = [
  'Spinning an old vinyl record on the turntable tonight.',
  'A new stylus for the turntable; the vinyl sounds warmer.',
  'Cleaning vinyl records before they go back on the turntable.',
]
  .map((text, i) => ({ postId: `t-music-${i}`, text, tags: ['Music'] }))
  .concat(
    [
      'Sourdough bread with a lively starter and a long proof.',
      'The bread dough rose overnight; baked it in a hot oven.',
    ].map((text, i) => ({ postId: `t-baking-${i}`, text, tags: ['baking'] })),
  );

/** u1 likes #music posts about concerts: nothing in them says vinyl or turntable. */
const concertGoerEvents = () => [
  ...[
    'The band played a long encore at the concert last night.',
    'Front row at the concert; the drummer was incredible.',
  ].flatMap((text, i) => [
    postCreated(`concert-${i}`, 'gigs', NOW - 3 * DAY, { text, tags: ['music'] }),
    engagement('u1', `concert-${i}`, NOW - 2 * DAY),
  ]),
  blogCreated('newcomer', NOW - HOUR),
];

async function concertGoer(world: TestWorld) {
  await world.apply(...concertGoerEvents());
}

const untaggedVinylPost = () =>
  postCreated('new-vinyl', 'newcomer', NOW - HOUR, {
    text: 'Found a rare vinyl record for my turntable.',
  });

describe('contentModelsLoader', () => {
  it('lets the content source match an untagged post by the tag the trained models infer', async () => {
    const world = new TestWorld();
    const store = new InMemoryContentModelStore();
    await store.publish(
      encodeContentModels(trainContentModels(TRAINING, [], { encoder: { dim: 8 } })),
    );
    const loader = contentModelsLoader({
      store,
      index: world.pipeline.content,
      pollMs: 0,
      logger: silentLogger,
    });
    await loader.start();
    assert.equal(loader.version, 'v1');
    await concertGoer(world);
    await world.apply(untaggedVinylPost());
    const proposed = await world.propose('content', { userId: 'u1' });
    assert.deepEqual(ids(proposed), ['new-vinyl']);
    assert.equal(proposed[0]!.reason, 'about music, which you like');
  });

  it('leaves the same post unmatched before any models are published', async () => {
    const world = new TestWorld();
    const loader = contentModelsLoader({
      store: new InMemoryContentModelStore(),
      index: world.pipeline.content,
      pollMs: 0,
      logger: silentLogger,
    });
    await loader.start();
    assert.equal(loader.version, undefined);
    await concertGoer(world);
    await world.apply(untaggedVinylPost());
    assert.deepEqual(ids(await world.propose('content', { userId: 'u1' })), []);
  });
});

describe('candidate generation with the trainer\u2019s content models', () => {
  it('understands the posts of its history with the models published before it started', async () => {
    const config = loadConfig(candidateGenerationConfigShape, {
      GRPC_LISTEN: '127.0.0.1:0',
      EVENT_PARTITIONS: '2',
      CANDIDATES_CONTENT_MODELS_POLL_MS: '0',
    });
    const runtime = createRuntime(config, silentLogger);
    const contentModelStore = new InMemoryContentModelStore();
    await contentModelStore.publish(
      encodeContentModels(trainContentModels(TRAINING, [], { encoder: { dim: 8 } })),
    );
    await runtime.eventLog.append([...concertGoerEvents(), untaggedVinylPost()]);
    const server = await startCandidateGeneration({
      config,
      runtime,
      logger: silentLogger,
      clock: () => NOW,
      contentModelStore,
    });
    const handle = createServiceClient(
      candidatesv1.CandidateGenerationServiceDefinition,
      server.address,
      { deadlineMs: 10_000 },
    );
    try {
      const response = await handle.client.generate({
        userId: 'u1',
        surface: commonv1.Surface.SURFACE_FOR_YOU,
        maxCandidates: 100,
        sourceBudgets: [],
      });
      const post = response.candidates.find((c) => c.postId === 'new-vinyl');
      assert.deepEqual(
        post?.sources.find((s) => s.source === 'content')?.reason,
        'about music, which you like',
        JSON.stringify(response.candidates.map((c) => [c.postId, c.sources])),
      );
    } finally {
      handle.close();
      await server.shutdown();
      await runtime.close();
    }
  });
});
