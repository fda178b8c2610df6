import assert from 'node:assert/strict';
import { featuresv1, isMissing } from '@feedmesh/contracts';
import {
  ClientError,
  createRuntime,
  createServiceClient,
  loadConfig,
  Status,
  type ClientHandle,
  type RunningServer,
  type Runtime,
} from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { waitFor } from '@feedmesh/testing';
import { featureSchema } from './feature-schema.js';
import { FEATURE_STORE_GROUP, featureStoreConfigShape, startFeatureStore } from './index.js';
import { HOUR, sampleWorld, T0 } from './test-fixtures/events.js';

const NOW = T0 + 18 * HOUR;
/** Values travel as proto floats. */
const defaults = featureSchema.user.map((f) => Math.fround(f.default));
const silent = createLogger('feature-store-test', { level: 'silent' });
type Client = ClientHandle<typeof featuresv1.FeatureStoreServiceDefinition>['client'];

export interface Deployment {
  readonly env: Record<string, string>;
  cleanup(): Promise<void>;
}

/**
 * GetFeatures and GetUserFeatures over a real gRPC server and client, on a deployment (embedded,
 * Redis, Redis Cluster) loaded with the sample world through its event log.
 */
export function serviceSuite(name: string, deploy: () => Deployment): void {
  describe(`FeatureStoreService over gRPC (${name})`, () => {
    let deployment: Deployment;
    let runtime: Runtime;
    let server: RunningServer;
    let handle: ClientHandle<typeof featuresv1.FeatureStoreServiceDefinition>;
    let client: Client;

    before(async () => {
      deployment = deploy();
      const config = loadConfig(featureStoreConfigShape, {
        GRPC_LISTEN: '127.0.0.1:0',
        EVENT_PARTITIONS: '4',
        CONSUMER_NAME: 'test',
        ...deployment.env,
      });
      runtime = createRuntime(config, silent);
      server = await startFeatureStore({ config, runtime, logger: silent, clock: () => NOW });
      handle = createServiceClient(featuresv1.FeatureStoreServiceDefinition, server.address, {
        deadlineMs: 5_000,
      });
      client = handle.client;
      await runtime.eventLog.append(sampleWorld());
      await waitFor('the feature store to apply the sample world', async () => {
        const { undelivered, pending } = await runtime.eventLog.lag(FEATURE_STORE_GROUP);
        return undelivered === 0 && pending === 0;
      });
    });

    after(async () => {
      handle?.close();
      await server?.shutdown();
      await runtime?.close();
      await deployment?.cleanup();
    });

    it('answers GetFeatures with a row per requested post, in request order and registry columns', async () => {
      const response = await client.getFeatures({
        userId: 'u1',
        postIds: ['p3', 'p1', 'unknown', 'p1'],
      });
      assert.equal(response.schema, featureSchema.version);
      const matrix = response.candidates!;
      const names: string[] = featureSchema.candidate.map((f) => f.name);
      assert.deepEqual(matrix.names, names);
      assert.equal(matrix.rows, 4);
      assert.equal(matrix.values.length, 4 * names.length);
      const cell = (row: number, name: string) =>
        matrix.values[row * names.length + names.indexOf(name)]!;
      const row = (r: number) => matrix.values.slice(r * names.length, (r + 1) * names.length);
      assert.deepEqual(row(3), row(1));
      assert.ok(Math.abs(cell(0, 'post.age_hours') - 4) < 1e-3);
      assert.equal(cell(1, 'post.tag_count'), 2);
      assert.equal(cell(1, 'user_blog.follows'), 1);
      assert.equal(cell(1, 'blog.followers'), 2);
      assert.deepEqual(
        response.user!.names,
        featureSchema.user.map((f) => f.name),
      );
      assert.equal(response.user!.values[response.user!.names.indexOf('user.follows')], 1);
      names.forEach((name, column) => {
        assert.ok(!isMissing(matrix.missing, column), `p3 ${name}`);
        assert.ok(isMissing(matrix.missing, 2 * names.length + column), `unknown ${name}`);
      });
    });

    it('serves defaults flagged missing for an unknown user, and for none at all', async () => {
      for (const userId of ['stranger', '']) {
        const response = await client.getFeatures({ userId, postIds: ['p1'] });
        const { user, candidates } = response;
        assert.deepEqual(user!.values, defaults);
        user!.values.forEach((_, i) => assert.ok(isMissing(user!.missing, i)));
        const names = candidates!.names;
        names.forEach((name, i) => {
          const personal = name.startsWith('user_');
          assert.equal(
            isMissing(candidates!.missing, i),
            personal,
            `${userId || '(none)'} ${name}`,
          );
        });
      }
    });

    it('answers an empty batch with an empty matrix', async () => {
      const response = await client.getFeatures({ userId: 'u1', postIds: [] });
      assert.equal(response.candidates!.rows, 0);
      assert.deepEqual(response.candidates!.values, []);
      assert.equal(response.candidates!.names.length, featureSchema.candidate.length);
    });

    it("answers GetUserFeatures with the user's sets, interests and last session", async () => {
      const response = await client.getUserFeatures({ userId: 'u1', maxListSize: 0 });
      assert.equal(response.schema, featureSchema.version);
      assert.equal(response.known, true);
      assert.deepEqual(response.servedPostIds, ['p2', 'p1']);
      assert.deepEqual(response.engagedPostIds, ['p1']);
      assert.deepEqual(response.hiddenPostIds, ['p2']);
      assert.deepEqual(response.followedBlogIds, ['b1']);
      assert.deepEqual(response.blockedBlogIds, ['b2']);
      assert.deepEqual(response.ownBlogIds, []);
      assert.equal(response.lastSessionAtMs, T0 + 13 * HOUR);
      assert.deepEqual(
        response.interests.map((i) => [i.kind, i.name]),
        [
          [featuresv1.InterestKind.INTEREST_KIND_TAG, 'art'],
          [featuresv1.InterestKind.INTEREST_KIND_TAG, 'cats'],
          [featuresv1.InterestKind.INTEREST_KIND_BLOG, 'b1'],
        ],
      );
      assert.deepEqual(
        response.features!.names,
        featureSchema.user.map((f) => f.name),
      );
      assert.deepEqual(
        (await client.getUserFeatures({ userId: 'u9', maxListSize: 0 })).ownBlogIds,
        ['b1'],
      );
    });

    it('caps every list at max_list_size', async () => {
      const response = await client.getUserFeatures({ userId: 'u1', maxListSize: 1 });
      assert.deepEqual(response.servedPostIds, ['p2']);
      assert.equal(response.interests.length, 1);
    });

    it('answers an unknown user with defaults, not an error', async () => {
      const response = await client.getUserFeatures({ userId: 'stranger', maxListSize: 10 });
      assert.equal(response.known, false);
      assert.equal(response.lastSessionAtMs, 0);
      assert.deepEqual(response.servedPostIds, []);
      assert.deepEqual(response.interests, []);
      assert.deepEqual(response.features!.values, defaults);
    });

    it('rejects bad input with INVALID_ARGUMENT naming the field', async () => {
      const tooMany = Array.from({ length: 5_001 }, (_, i) => `p${i}`);
      const cases: [() => Promise<unknown>, RegExp][] = [
        [() => client.getFeatures({ userId: 'no spaces', postIds: [] }), /^user_id: /],
        [() => client.getFeatures({ userId: 'u1', postIds: ['p1', 'p#2'] }), /^post_ids\[1\]: /],
        [
          () => client.getFeatures({ userId: 'u1', postIds: tooMany }),
          /^post_ids: must have at most 5000/,
        ],
        [() => client.getUserFeatures({ userId: '', maxListSize: 0 }), /^user_id: is required$/],
        [() => client.getUserFeatures({ userId: 'u1', maxListSize: 5_001 }), /^max_list_size: /],
      ];
      for (const [call, details] of cases) {
        const error = await call().catch((e: unknown) => e);
        assert.ok(error instanceof ClientError, String(error));
        assert.equal(error.code, Status.INVALID_ARGUMENT);
        assert.match(error.details, details);
      }
    });
  });
}
