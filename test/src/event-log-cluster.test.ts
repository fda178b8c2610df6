import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import { partitionOf, RedisStreamsEventLog, type Consumer } from '@feedmesh/events';
import { startRedisCluster, uniquePrefix, type LocalRedisCluster } from '@feedmesh/testing';
import { Cluster, Redis } from 'ioredis';

function like(eventId: string, userId: string): eventsv1.Event {
  return {
    eventId,
    atMs: 1_700_000_000_000,
    payload: {
      $case: 'engagement',
      value: { userId, postId: `p-${eventId}`, kind: commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE },
    },
  };
}

async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`);
    await delay(20);
  }
}

/**
 * The event log's consumers on a Redis Cluster of three masters started for the occasion,
 * where no command can read partitions of different slots: an idle consumer waits for the
 * doorbell every append rings instead of reading every partition every `pollIntervalMs`.
 */
describe('the event log on a Redis Cluster of three masters', function () {
  this.timeout(60_000);
  let cluster: LocalRedisCluster | undefined;
  let client: Cluster | undefined;
  let log: RedisStreamsEventLog | undefined;
  const consumers: Consumer[] = [];

  before(async function () {
    cluster = await startRedisCluster();
    client = new Cluster([cluster.url]);
  });

  afterEach(async function () {
    await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
    await log?.close();
    log = undefined;
  });

  after(async function () {
    await client?.quit();
    await cluster?.stop();
  });

  /** Every node's CLIENT LIST entries named `name`. */
  async function connectionsNamed(name: string): Promise<{ cmd: string }[]> {
    const found: { cmd: string }[] = [];
    for (const port of cluster!.ports) {
      const node = new Redis(port, '127.0.0.1');
      try {
        const list = (await node.client('LIST')) as string;
        for (const line of list.split('\n')) {
          if (line.includes(` name=${name} `)) found.push({ cmd: /cmd=(\S+)/.exec(line)![1]! });
        }
      } finally {
        node.disconnect();
      }
    }
    return found;
  }

  /** XREADGROUP calls the cluster's nodes have answered, all together. */
  async function readGroupCalls(): Promise<number> {
    let calls = 0;
    for (const port of cluster!.ports) {
      const node = new Redis(port, '127.0.0.1');
      try {
        const stats = (await node.info('commandstats')) as string;
        calls += Number(/cmdstat_xreadgroup:calls=(\d+)/.exec(stats)?.[1] ?? 0);
      } finally {
        node.disconnect();
      }
    }
    return calls;
  }

  it('hands an idle consumer what is appended as it comes, each partition in order, not at its next poll', async function () {
    log = new RedisStreamsEventLog({
      client: client!,
      prefix: uniquePrefix('log-cluster'),
      partitions: 4,
    });
    const seen: { eventId: string; partition: number }[] = [];
    // A poll interval no test waits out: only the doorbell can deliver.
    consumers.push(
      await log.consume({
        group: 'g',
        consumer: 'c1',
        pollIntervalMs: 600_000,
        handler: async (event, delivery) => {
          seen.push({ eventId: event.eventId, partition: delivery.partition });
        },
      }),
    );
    for (let round = 0; round < 3; round++) {
      await delay(100);
      await log.append([like(`idle${round}`, `u${round}`)]);
      await eventually(`idle${round} is applied`, () =>
        seen.some(({ eventId }) => eventId === `idle${round}`),
      );
    }
    const burst = Array.from({ length: 24 }, (_, index) => like(`b${index}`, `u${index % 6}`));
    await delay(100);
    await log.append(burst);
    await eventually('the burst is applied', () => seen.length === 27);
    for (let partition = 0; partition < 4; partition++) {
      assert.deepEqual(
        seen
          .filter(({ eventId, partition: p }) => eventId.startsWith('b') && p === partition)
          .map(({ eventId }) => eventId),
        burst.filter((event) => partitionOf(event, 4) === partition).map((event) => event.eventId),
        `partition ${partition}`,
      );
    }
  });

  it('waits idle on the doorbell rather than polling, reads only the partitions a ring names, and ends the wait on stop', async function () {
    log = new RedisStreamsEventLog({
      client: client!,
      prefix: uniquePrefix('log-cluster'),
      partitions: 8,
    });
    // Polling every 10 ms would read 8 partitions 100 times a second.
    let applied = 0;
    const consumer = await log.consume({
      group: 'g',
      consumer: 'idle',
      pollIntervalMs: 10,
      handler: async () => {
        applied += 1;
      },
    });
    consumers.push(consumer);
    const waiting = 'feedmesh-events-wait:g:idle';
    await eventually('the consumer waits in XREAD on a connection of its own', async () =>
      (await connectionsNamed(waiting)).some(({ cmd }) => cmd === 'xread'),
    );
    const before = await readGroupCalls();
    await delay(2_000);
    const reads = (await readGroupCalls()) - before;
    // At most one round of reads (8) when a wait of up to 5 s ends; polling would be 1,600.
    assert.ok(reads <= 16, `${reads} XREADGROUPs in 2 s of idling`);

    // An append wakes it to read the partition its ring names, not all eight.
    const beforeAppend = await readGroupCalls();
    await log.append([like('one', 'u1')]);
    await eventually('the appended event is applied', () => applied === 1);
    const afterAppend = (await readGroupCalls()) - beforeAppend;
    assert.ok(afterAppend <= 3, `${afterAppend} XREADGROUPs to pick up one event`);

    const started = Date.now();
    await consumers.pop()!.stop();
    // Its wait may hold 5 s: stop ends it rather than waiting it out.
    assert.ok(Date.now() - started < 3_000, `stop took ${Date.now() - started} ms`);
    await eventually(
      'the waiting connections are closed',
      async () => (await connectionsNamed(waiting)).length === 0,
    );
  });

  it('acknowledges an append whose ring fails, and an idle consumer still gets it when its wait ends', async function () {
    const prefix = uniquePrefix('log-cluster');
    log = new RedisStreamsEventLog({ client: client!, prefix, partitions: 4 });
    const seen: string[] = [];
    consumers.push(
      await log.consume({
        group: 'g',
        consumer: 'c1',
        handler: async (event) => {
          seen.push(event.eventId);
        },
      }),
    );
    await log.append([like('rung', 'u1')]);
    await eventually('the first event is applied', () => seen.includes('rung'));
    // The doorbell replaced by a value no XADD can add to: the ring fails, the append does not.
    const doorbell = `{${prefix}:doorbell}`;
    await client!.del(doorbell);
    await client!.set(doorbell, 'not a stream');
    await log.append([like('unrung', 'u2')]);
    await client!.del(doorbell);
    // Not at once (nothing rang), but when the consumer's wait of at most 5 s ends.
    await eventually(
      'the event appended without a ring is applied',
      () => seen.includes('unrung'),
      15_000,
    );
  });
});
