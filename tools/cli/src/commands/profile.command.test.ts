import assert from 'node:assert/strict';
import { featuresv1 } from '@feedmesh/contracts';
import { EXIT_FAILED, EXIT_OK } from '../cli-errors.js';
import { runCliForTest } from '../test-support/fake-gateway.js';
import {
  startFakeFeatureStore,
  type FakeFeatureStore,
} from '../test-support/fake-feature-store.js';
import { startSilentPeer, type SilentPeer } from '../test-support/silent-peer.js';
import type { InterestProfile } from './profile.command.js';

const TAG = featuresv1.InterestKind.INTEREST_KIND_TAG;
const BLOG = featuresv1.InterestKind.INTEREST_KIND_BLOG;

/** Follows 16 blogs; five tags (weights 10..6, 40 in all) all stronger than three blogs. */
const U113 = featuresv1.GetUserFeaturesResponse.fromPartial({
  schema: 'fs-test',
  known: true,
  features: { names: ['user.follows'], values: [16], missing: Buffer.alloc(1) },
  interests: [
    ...['dnd', 'minis', 'dice', 'maps', 'lore'].map((name, i) => ({
      kind: TAG,
      name,
      weight: 10 - i,
    })),
    ...['b-crit', 'b-dm', 'b-tavern'].map((name, i) => ({ kind: BLOG, name, weight: 5 - i })),
  ],
  followedBlogIds: Array.from({ length: 16 }, (_, i) => `b${i}`),
});

describe('feedmesh profile', () => {
  let store: FakeFeatureStore;
  before(async () => {
    store = await startFakeFeatureStore();
    store.user = U113;
  });
  after(() => store.stop());

  const profile = async (...args: string[]): Promise<InterestProfile> => {
    const run = await runCliForTest([
      'profile',
      '--user',
      'u113',
      '--json',
      '--addr',
      store.address,
      ...args,
    ]);
    assert.equal(run.code, EXIT_OK, run.stderr);
    return JSON.parse(run.stdout) as InterestProfile;
  };

  it('counts every blog the user follows, whatever --top is', async () => {
    assert.equal((await profile('--top', '3')).following, 16);
  });

  it('shows --top tags and --top blogs even when every tag outweighs every blog', async () => {
    const shown = await profile('--top', '3');
    assert.deepEqual(
      shown.tags.map((t) => t.name),
      ['dnd', 'minis', 'dice'],
    );
    assert.deepEqual(
      shown.blogs.map((b) => b.name),
      ['b-crit', 'b-dm', 'b-tavern'],
    );
  });

  it('gives shares of all the interests of a kind, not of those shown', async () => {
    const shown = await profile('--top', '2');
    assert.equal(shown.tags[0]?.share, 10 / 40);
    assert.equal(shown.blogs[0]?.share, 5 / 12);
    assert.equal(shown.tagCount, 5);
  });

  it('says in the text what the shares are of and how many there are', async () => {
    const run = await runCliForTest([
      'profile',
      '--user',
      'u113',
      '--top',
      '2',
      '--addr',
      store.address,
    ]);
    assert.equal(run.code, EXIT_OK, run.stderr);
    assert.match(run.stdout, /follows 16 blogs/);
    assert.match(run.stdout, /interests by tag \(top 2 of 5 tags; share of all tag interest\):/);
    assert.match(run.stdout, /  #dnd\s+25\.0%/);
    assert.match(run.stdout, /interests by blog \(top 2 of 3 blogs; share of all blog interest\):/);
  });

  it('reports nothing listening as `error: UNAVAILABLE: ...` with a feature-store hint', async () => {
    const run = await runCliForTest(['profile', '--user', 'u1', '--addr', '127.0.0.1:1']);
    assert.equal(run.code, EXIT_FAILED);
    assert.match(run.stderr, /^error: UNAVAILABLE: /);
    assert.doesNotMatch(run.stderr, /Resolution note|FeatureStoreService\/GetUserFeatures/);
    assert.match(
      run.stderr,
      /\nhint: nothing answers at 127\.0\.0\.1:1; .*point --addr at the feature store/,
    );
  });

  describe('against a peer that accepts TCP but never speaks gRPC', () => {
    let peer: SilentPeer;
    let address: string;
    before(async () => {
      peer = await startSilentPeer();
      address = peer.address;
    });
    after(() => peer.stop());

    it('gives up within seconds, saying TCP answered and gRPC did not', async () => {
      const started = Date.now();
      const run = await runCliForTest(['profile', '--user', 'u1', '--addr', address]);
      assert.equal(run.code, EXIT_FAILED);
      assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
      assert.match(
        run.stderr,
        new RegExp(
          `^error: UNAVAILABLE: ${address} accepted a TCP connection but did not answer gRPC within 5 s\n` +
            `hint: .*point --addr at the feature store's gRPC address`,
        ),
      );
    });
  });
});
