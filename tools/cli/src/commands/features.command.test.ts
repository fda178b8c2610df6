import assert from 'node:assert/strict';
import { featuresv1 } from '@feedmesh/contracts';
import { EXIT_FAILED, EXIT_OK } from '../cli-errors.js';
import { runCliForTest, startFakeGateway, type FakeGateway } from '../test-support/fake-gateway.js';
import {
  startFakeFeatureStore,
  type FakeFeatureStore,
} from '../test-support/fake-feature-store.js';

describe('feedmesh features', () => {
  let store: FakeFeatureStore;
  let gateway: FakeGateway;
  before(async () => {
    [store, gateway] = await Promise.all([startFakeFeatureStore(), startFakeGateway()]);
    store.user = featuresv1.GetUserFeaturesResponse.fromPartial({
      schema: 'fs-test',
      known: true,
      features: { names: ['user.follows'], values: [16], missing: Buffer.alloc(1) },
    });
  });
  after(() => Promise.all([store.stop(), gateway.stop()]));

  it("prints the user's features by name", async () => {
    const run = await runCliForTest(['features', '--user', 'u113', '--addr', store.address]);
    assert.equal(run.code, EXIT_OK, run.stderr);
    assert.match(run.stdout, /user u113, schema fs-test/);
    assert.match(run.stdout, /  user\.follows\s+16\n/);
  });

  it('says --addr must be the feature store when it is pointed at the gateway', async () => {
    const run = await runCliForTest(['features', '--user', 'u1', '--addr', gateway.address]);
    assert.equal(run.code, EXIT_FAILED);
    assert.match(run.stderr, /^error: UNIMPLEMENTED: /);
    assert.match(
      run.stderr,
      new RegExp(
        `\\nhint: ${gateway.address} is not the feature store; --addr must be the feature store's address`,
      ),
    );
  });
});
