import assert from 'node:assert/strict';
import type { eventsv1 } from '@feedmesh/contracts';
import type { EventLog } from '@feedmesh/events';
import { waitFor } from '@feedmesh/testing';
import { FeatureMaterializer, type FeatureMaterializerOptions } from '../event-materializer.js';
import type { FeatureStore, StoreLimits } from '../feature-store.js';
import { InMemoryFeatureStore } from '../in-memory-feature-store.js';
import { HOUR, sampleWorld, T0 } from './events.js';
import { assertSameSnapshot, snapshotOf, type Snapshot } from './snapshot.js';

export const SAMPLE_USERS = ['u1', 'u2', 'u8', 'u9', 'stranger'];
export const SAMPLE_POSTS = ['p1', 'p2', 'p3', 'unknown'];
export const SAMPLE_NOW = T0 + 18 * HOUR;
export const LIMITS: StoreLimits = { setCap: 100, interestCap: 100 };

/** Applies events one at a time, in the order given. */
export async function applyOneByOne(
  store: FeatureStore,
  events: readonly eventsv1.Event[],
): Promise<void> {
  const materializer = new FeatureMaterializer(store);
  for (const event of events) await materializer.apply(event);
}

/** Applies events in batches of `size`, in the order given; fails on any event it rejects. */
export async function applyInBatches(
  store: FeatureStore,
  events: readonly eventsv1.Event[],
  size: number,
  options?: FeatureMaterializerOptions,
): Promise<void> {
  const materializer = new FeatureMaterializer(store, options);
  for (let from = 0; from < events.length; from += size) {
    const failures = await materializer.applyBatch(events.slice(from, from + size));
    assert.deepEqual(failures, []);
  }
}

/** What the store serves about the sample world, applied in log order one event at a time. */
export async function sampleSnapshot(): Promise<Snapshot> {
  const store = new InMemoryFeatureStore(LIMITS);
  await applyOneByOne(store, sampleWorld());
  return snapshotOf(store, SAMPLE_USERS, SAMPLE_POSTS, SAMPLE_NOW);
}

/**
 * Appends the sample world to the log twice, consuming it into the store with the service's
 * batch handler: the state after each pass is `expected`, and the second pass's events are
 * all skipped as duplicates.
 */
export async function replayTwice(
  log: EventLog,
  store: FeatureStore,
  expected: Snapshot,
  batchSize = 5,
  options?: FeatureMaterializerOptions,
  /** Hands a backlog's next batch in while the last is written, as the service does. */
  overlapBatches = false,
): Promise<void> {
  const group = 'feature-store';
  const materializer = new FeatureMaterializer(store, options);
  const consumer = await log.consume({
    group,
    consumer: 'c1',
    batchSize,
    batchHandler: (events, deliveries) => materializer.applyBatch(events, deliveries),
    overlapBatches,
    pollIntervalMs: 10,
  });
  const drained = () =>
    waitFor(
      'the group to drain',
      async () => {
        const { undelivered, pending } = await log.lag(group);
        return undelivered === 0 && pending === 0;
      },
      { timeoutMs: 15_000 },
    );
  try {
    await log.append(sampleWorld());
    await drained();
    assertSameSnapshot(await snapshotOf(store, SAMPLE_USERS, SAMPLE_POSTS, SAMPLE_NOW), expected);
    await log.append(sampleWorld());
    await drained();
    assertSameSnapshot(await snapshotOf(store, SAMPLE_USERS, SAMPLE_POSTS, SAMPLE_NOW), expected);
    assert.equal(consumer.stats().duplicates, sampleWorld().length);
    assert.equal(consumer.stats().failed, 0);
  } finally {
    await consumer.stop();
  }
}
