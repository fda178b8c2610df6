import assert from 'node:assert/strict';
import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import { InMemoryEventLog } from '@feedmesh/events';
import { startTelemetry, type InMemoryTelemetry } from '@feedmesh/telemetry';
import { observeConsumers } from './consumer-metrics.js';

function like(eventId: string): eventsv1.Event {
  return {
    eventId,
    atMs: 1_700_000_000_000,
    payload: {
      $case: 'engagement',
      value: { userId: 'u1', postId: eventId, kind: commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE },
    },
  };
}

describe('observeConsumers (what each consumer of the process did, as a metric)', () => {
  let telemetry: InMemoryTelemetry;

  before(() => {
    telemetry = startTelemetry({ serviceName: 'consumer-metrics-test', inMemory: true });
  });

  after(() => telemetry.shutdown());

  async function points(
    name = 'feedmesh.event_log.consumer.events',
  ): Promise<Record<string, number>> {
    const metric = (await telemetry.collectMetrics()).find(
      (candidate) => candidate.descriptor.name === name,
    );
    const counts: Record<string, number> = {};
    const dataPoints = (metric?.dataPoints ?? []) as {
      attributes: Record<string, unknown>;
      value: number;
    }[];
    for (const point of dataPoints) {
      const { attributes } = point;
      const key = [
        attributes['messaging.consumer.group.name'],
        attributes['feedmesh.event_log.consumer'],
        attributes['feedmesh.event_log.outcome'],
      ]
        .filter((part) => part !== undefined)
        .map(String)
        .join('/');
      counts[key] = point.value;
    }
    return counts;
  }

  it('counts each running consumer’s events by outcome, consumers started later too', async () => {
    const log = new InMemoryEventLog();
    const stop = observeConsumers(log);
    try {
      await log.append([like('a'), like('poison'), like('b')]);
      const consumer = await log.consume({
        group: 'g',
        consumer: 'c1',
        maxDeliveries: 1,
        handler: async (event) => {
          if (event.eventId === 'poison') throw new Error('cannot');
        },
      });
      while (!(consumer.stats().deadLettered === 1 && consumer.stats().processed === 2)) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const counts = await points();
      assert.equal(counts['g/c1/processed'], 2);
      assert.equal(counts['g/c1/failed'], 1);
      assert.equal(counts['g/c1/dead_lettered'], 1);
      assert.equal(counts['g/c1/reclaimed'], 0);

      await consumer.stop();
      // A consumer started later (a search replica's next group) is counted as it comes.
      const next = await log.consume({ group: 'h', consumer: 'c2', handler: async () => {} });
      while (next.stats().processed < 3) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal((await points())['h/c2/processed'], 3);
      await next.stop();
    } finally {
      stop();
      await log.close();
    }
  });

  it('counts as trimmed what the log’s length cap cut before the group handled it', async () => {
    const log = new InMemoryEventLog({ partitions: 1, maxLen: 10 });
    const stop = observeConsumers(log);
    try {
      await log.append([like('first')]);
      const away = await log.consume({ group: 'g', consumer: 'c1', handler: async () => {} });
      while (away.stats().processed < 1) await new Promise((resolve) => setTimeout(resolve, 10));
      await away.stop();
      // While the group is away, 400 likes come in batches and the cap keeps the last 10.
      for (let batch = 0; batch < 4; batch++) {
        await log.append(Array.from({ length: 100 }, (_, i) => like(`l${batch}-${i}`)));
      }
      const back = await log.consume({ group: 'g', consumer: 'c1', handler: async () => {} });
      const seen = () => 1 + back.stats().processed + back.stats().trimmed;
      while (seen() < 401) await new Promise((resolve) => setTimeout(resolve, 10));
      const trimmed = (await points())['g/c1/trimmed'];
      assert.ok(trimmed !== undefined && trimmed > 0, `trimmed: ${trimmed}`);
      assert.equal(trimmed, 400 - back.stats().processed);
      await back.stop();
    } finally {
      stop();
      await log.close();
    }
  });

  it('reports each consumed group’s lag: undelivered plus pending, 0 once applied', async () => {
    const log = new InMemoryEventLog();
    const stop = observeConsumers(log);
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    try {
      assert.equal(
        (await points('messaging.consumer.lag'))['lagging'],
        undefined,
        'no consumer yet',
      );
      const consumer = await log.consume({
        group: 'lagging',
        consumer: 'c1',
        batchSize: 1,
        handler: () => held,
      });
      await log.append([like('a'), like('b'), like('c')]);
      assert.equal((await points('messaging.consumer.lag'))['lagging'], 3);
      release();
      while (consumer.stats().processed < 3) await new Promise((r) => setTimeout(r, 10));
      assert.equal((await points('messaging.consumer.lag'))['lagging'], 0);
      await consumer.stop();
    } finally {
      release();
      stop();
      await log.close();
    }
  });
});
