import assert from 'node:assert/strict';
import { testRedisUrl, uniquePrefix, waitFor } from '@feedmesh/testing';
import { Redis } from 'ioredis';
import { after, before, describe, it } from 'mocha';
import {
  InMemoryContentModelStore,
  RedisContentModelStore,
  type ContentModelStore,
} from './content-model-store.js';
import { ContentModelsWatcher } from './content-models-watcher.js';
import { encodeContentModels, trainContentModels } from './content-models.js';

const posts = [
  { postId: 'm1', text: 'vinyl record on the turntable', tags: ['Music'] },
  { postId: 'm2', text: 'a new stylus for the turntable', tags: ['music'] },
  { postId: 'b1', text: 'sourdough bread from the oven', tags: ['baking'] },
  { postId: 'b2', text: 'bread dough and a hot oven', tags: ['Baking'] },
];
const modelsAt = (trainedAtMs: number) =>
  encodeContentModels(trainContentModels(posts, [], { encoder: { dim: 4 }, trainedAtMs }));

const silent = { info() {}, warn() {} };

function contentModelStoreContract(make: () => ContentModelStore) {
  it('has no current version before the first publish', async () => {
    assert.equal(await make().current(), undefined);
  });

  it('publishes versions that a reader decodes into working models', async () => {
    const store = make();
    const v1 = await store.publish(modelsAt(10), 100, { source: 'test' });
    assert.equal(v1.version, 'v1');
    assert.equal(v1.trainedAtMs, 10);
    assert.equal(v1.examples, 4);
    assert.equal(v1.dim, 4);
    assert.deepEqual(v1.notes, { source: 'test' });
    assert.deepEqual(await store.current(), v1);
    const models = (await store.load('v1'))!;
    assert.equal(models.trainedAtMs, 10);
    const inferred = models.tagInferrer.infer(['turntable', 'vinyl'], { limit: 1 });
    assert.equal(inferred[0]?.tag, 'music');
  });

  it('makes the newest publish current and keeps only the last few', async () => {
    const store = make();
    for (const t of [1, 2, 3, 4]) await store.publish(modelsAt(t), t);
    assert.equal((await store.current())?.version, 'v4');
    assert.equal((await store.load('v4'))?.trainedAtMs, 4);
    assert.equal(await store.load('v99'), undefined);
  });
}

describe('InMemoryContentModelStore', () => {
  contentModelStoreContract(() => new InMemoryContentModelStore());
});

describe('RedisContentModelStore', () => {
  const prefix = uniquePrefix('content-models');
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 2 });
  const used: string[] = [];
  const storeAt = (keyPrefix: string, keep = 3) => {
    used.push(keyPrefix);
    return new RedisContentModelStore({ redis, keyPrefix, keep });
  };
  // The store's keys are known: deleting them beats a SCAN of a Redis shared with big worlds.
  after(async () => {
    for (const keyPrefix of used) {
      const base = `${keyPrefix}:{content-models}`;
      const last = Number(await redis.get(`${base}:seq`));
      const keys = [`${base}:seq`, `${base}:current`, `${base}:pruned`];
      for (let v = 1; v <= last; v++) keys.push(`${base}:info:v${v}`, `${base}:chunk:v${v}:0`);
      await redis.del(...keys);
    }
    await redis.quit();
  });
  let n = 0;
  contentModelStoreContract(() => storeAt(`${prefix}:${++n}`));

  it('deletes versions older than the ones it keeps', async () => {
    const store = storeAt(`${prefix}:prune`, 2);
    for (const t of [1, 2, 3]) await store.publish(modelsAt(t), t);
    assert.equal(await store.load('v1'), undefined);
    assert.equal((await store.load('v2'))?.trainedAtMs, 2);
  });
});

describe('ContentModelsWatcher', () => {
  let store: InMemoryContentModelStore;
  before(() => {
    store = new InMemoryContentModelStore();
  });

  it('hands over each newly published version once, and none before the first', async () => {
    const loaded: number[] = [];
    const watcher = new ContentModelsWatcher({
      store,
      pollMs: 5,
      logger: silent,
      onLoad: (models) => loaded.push(models.trainedAtMs),
    });
    await watcher.start();
    assert.equal(watcher.version, undefined);
    await store.publish(modelsAt(7));
    await waitFor('the first version', () => watcher.version === 'v1');
    await store.publish(modelsAt(8));
    await waitFor('the second version', () => watcher.version === 'v2');
    await watcher.refresh();
    watcher.stop();
    assert.deepEqual(loaded, [7, 8]);
  });

  it('keeps what it has when the store fails', async () => {
    const failing: ContentModelStore = {
      publish: () => Promise.reject(new Error('down')),
      current: () => Promise.reject(new Error('down')),
      load: () => Promise.reject(new Error('down')),
    };
    const watcher = new ContentModelsWatcher({
      store: failing,
      pollMs: 0,
      logger: silent,
      onLoad: () => assert.fail('nothing to load'),
    });
    await watcher.start();
    assert.equal(watcher.version, undefined);
  });
});
