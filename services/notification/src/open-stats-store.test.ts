import assert from 'node:assert/strict';
import {
  HALVE_AT,
  InMemoryOpenStatsStore,
  RedisOpenStatsStore,
  type OpenStatsStore,
} from './open-stats-store.js';
import {
  InMemoryExperimentStore,
  MAX_ASSIGNMENTS,
  RedisExperimentStore,
  type ExperimentStore,
} from './experiment-store.js';
import { NotificationKeys } from './redis-keys.js';
import { T0 } from './test-fixtures/events.js';
import { sharedTestRedis } from './test-fixtures/shared-redis.js';

const nextNotificationExperiments = sharedTestRedis('notification-experiments');
const nextNotificationOpens = sharedTestRedis('notification-opens');

type Open<S> = () => Promise<{ store: S; dispose(): Promise<void> }>;

function describeOpenStatsContract(name: string, open: Open<OpenStatsStore>): void {
  describe(`${name}: the OpenStatsStore contract`, () => {
    let store: OpenStatsStore;
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      ({ store, dispose } = await open());
    });
    afterEach(() => dispose());

    it('counts sends and opens per user and type, each open once', async () => {
      await store.recordSend('u1', 1);
      await store.recordSend('u1', 1);
      await store.recordSend('u1', 2);
      assert.equal(await store.recordOpen('u1', 'n1', 1), true);
      assert.equal(await store.recordOpen('u1', 'n1', 1), false);
      assert.deepEqual(await store.stats('u1', 1), { sent: 2, opened: 1 });
      assert.deepEqual(await store.stats('u1', 2), { sent: 1, opened: 0 });
      assert.deepEqual(await store.stats('u2', 1), { sent: 0, opened: 0 });
    });

    it('halves the counts once sends pass the limit, so recent behaviour weighs most', async () => {
      for (let i = 0; i < HALVE_AT; i++) await store.recordSend('u1', 3);
      for (let i = 0; i < 40; i++) await store.recordOpen('u1', `n${i}`, 3);
      await store.recordSend('u1', 3);
      assert.deepEqual(await store.stats('u1', 3), { sent: (HALVE_AT + 1) >> 1, opened: 20 });
    });
  });
}

function describeExperimentStoreContract(name: string, open: Open<ExperimentStore>): void {
  describe(`${name}: the ExperimentStore contract`, () => {
    let store: ExperimentStore;
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      ({ store, dispose } = await open());
    });
    afterEach(() => dispose());

    it('keeps the variants of the latest impression, sorted by experiment', async () => {
      assert.deepEqual(await store.get('u1'), []);
      const b = { experiment: 'b', variant: 'treatment' };
      const a = { experiment: 'a', variant: 'control' };
      await store.record('u1', [b, a], T0);
      await store.record('u1', [{ experiment: 'a', variant: 'old' }], T0 - 1);
      assert.deepEqual(await store.get('u1'), [a, b]);
      await store.record('u1', [], T0 + 1);
      assert.deepEqual(await store.get('u1'), []);
      await store.record('u1', [b], T0 + 2);
      assert.deepEqual(await store.get('u1'), [b]);
    });

    it(`keeps the ${MAX_ASSIGNMENTS} first by experiment id of an impression with more, whatever their order, and says which it cut`, async () => {
      const assignments = Array.from({ length: MAX_ASSIGNMENTS + 10 }, (_, i) => ({
        experiment: `exp-${String(i).padStart(3, '0')}`,
        variant: i % 2 === 0 ? 'control' : 'treatment',
      }));
      const kept = assignments.slice(0, MAX_ASSIGNMENTS);
      const cut = assignments.slice(MAX_ASSIGNMENTS);
      // The same assignments in two orders, as two replicas or a replay might be handed them.
      const reversed = await store.record('u1', [...assignments].reverse(), T0);
      assert.deepEqual(await store.get('u1'), kept);
      const shuffled = await store.record(
        'u2',
        [...assignments.slice(25), ...assignments.slice(0, 25)],
        T0,
      );
      assert.deepEqual(await store.get('u2'), kept);
      assert.deepEqual([reversed, shuffled], [cut, cut]);
      assert.deepEqual(await store.record('u3', kept, T0), []);
    });
  });
}

describeOpenStatsContract('InMemoryOpenStatsStore', async () => ({
  store: new InMemoryOpenStatsStore(),
  dispose: async () => {},
}));

describeOpenStatsContract('RedisOpenStatsStore', async () => {
  const { redis, prefix } = nextNotificationOpens();
  return {
    store: new RedisOpenStatsStore(redis, new NotificationKeys(prefix)),
    dispose: async () => {},
  };
});

describeExperimentStoreContract('InMemoryExperimentStore', async () => ({
  store: new InMemoryExperimentStore(),
  dispose: async () => {},
}));

describeExperimentStoreContract('RedisExperimentStore', async () => {
  const { redis, prefix } = nextNotificationExperiments();
  return {
    store: new RedisExperimentStore(redis, new NotificationKeys(prefix)),
    dispose: async () => {},
  };
});
