import assert from 'node:assert/strict';
import { createRuntime, loadConfig, type RunningServer, type Runtime } from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { waitFor } from '@feedmesh/testing';
import { fetchEntityFeatures, formatEntityFeatures } from './entity-features.js';
import { featureSchema } from './feature-schema.js';
import { FEATURE_STORE_GROUP, featureStoreConfigShape, startFeatureStore } from './index.js';
import { HOUR, sampleWorld, T0 } from './test-fixtures/events.js';

describe('the features of an entity by name (feedmesh features)', () => {
  let runtime: Runtime;
  let server: RunningServer;

  before(async () => {
    const silent = createLogger('entity-features-test', { level: 'silent' });
    const config = loadConfig(featureStoreConfigShape, {
      GRPC_LISTEN: '127.0.0.1:0',
      CONSUMER_NAME: 'test',
    });
    runtime = createRuntime(config, silent);
    server = await startFeatureStore({
      config,
      runtime,
      logger: silent,
      clock: () => T0 + 18 * HOUR,
    });
    await runtime.eventLog.append(sampleWorld());
    await waitFor('the sample world to be applied', async () => {
      const { undelivered, pending } = await runtime.eventLog.lag(FEATURE_STORE_GROUP);
      return undelivered === 0 && pending === 0;
    });
  });

  after(async () => {
    await server?.shutdown();
    await runtime?.close();
  });

  it("names a user's and a post's features with the registry's types and descriptions", async () => {
    const features = await fetchEntityFeatures(server.address, { userId: 'u1', postId: 'p1' });
    assert.equal(features.schema, featureSchema.version);
    assert.deepEqual(
      features.user.features.map((f) => f.name),
      featureSchema.user.map((f) => f.name),
    );
    const follows = features.user.features.find((f) => f.name === 'user.follows');
    assert.deepEqual(
      { value: follows?.value, missing: follows?.missing, type: follows?.type },
      { value: 1, missing: false, type: 'integer' },
    );
    assert.equal(features.user.sets['following'], 1);
    assert.deepEqual(
      features.user.interests.map((i) => `${i.kind}:${i.name}`),
      ['tag:art', 'tag:cats', 'blog:b1'],
    );
    const tags = features.post?.features.find((f) => f.name === 'post.tag_count');
    assert.equal(tags?.value, 2);
    assert.match(tags?.description ?? '', /tags/i);

    const text = formatEntityFeatures(features);
    assert.match(text, /^user u1, schema fs-/);
    assert.match(text, /\n {2}user\.follows +1\n/);
    assert.match(text, /\npost p1, for user u1\n/);
    assert.match(text, /#art/);
  });

  it('shows an unknown user as defaults, flagged, not an error', async () => {
    const features = await fetchEntityFeatures(server.address, { userId: 'nobody' });
    assert.equal(features.user.known, false);
    assert.ok(features.user.features.every((f) => f.missing));
    assert.equal(features.post, undefined);
    assert.match(formatEntityFeatures(features), /^user nobody \(unknown: defaults\)/);
    assert.match(formatEntityFeatures(features), /\(default\)/);
  });
});
