import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { Consumer } from './event-log.js';
import { partitionOf } from './partition.js';
import { RedisStreamsEventLog } from './redis-streams-event-log.js';
import { countOnce } from './test-fixtures/apply-once.js';
import { eventually, like, likes } from './test-fixtures/events.js';
import { deleteKeys, redisUrl, uniquePrefix } from './test-fixtures/redis.js';
import { ReplyDroppingProxy } from './test-fixtures/reply-dropping-proxy.js';

describe('RedisStreamsEventLog', function () {
  let redis: Redis;
  let prefix: string;
  let log: RedisStreamsEventLog | undefined;
  let consumers: Consumer[] = [];

  beforeEach(function () {
    redis = new Redis(redisUrl);
    prefix = uniquePrefix();
  });

  afterEach(async function () {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    consumers = [];
    await log?.close();
    log = undefined;
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  /**
   * Runs `body` with a client logged in as a Redis user of its own, granted `rules` (`admin`
   * may change them meanwhile). The consumers and the log, which use that client, are stopped
   * before it quits and the user is deleted.
   */
  async function asRedisUser(
    rules: readonly string[],
    body: (session: { client: Redis; user: string; admin: Redis }) => Promise<void>,
  ): Promise<void> {
    const user = `events-test-${prefix.slice(-12)}`;
    const admin = new Redis(redisUrl);
    await admin.acl('SETUSER', user, 'on', '>secret', '~*', '&*', ...rules);
    const client = new Redis(redisUrl, { username: user, password: 'secret' });
    try {
      await body({ client, user, admin });
    } finally {
      await Promise.all(consumers.map((consumer) => consumer.stop()));
      consumers = [];
      await log?.close();
      log = undefined;
      await client.quit();
      await admin.acl('DELUSER', user);
      await admin.quit();
    }
  }

  it('keeps each partition and its processed-markers under one hash tag', async function () {
    log = new RedisStreamsEventLog({ client: redis, prefix, partitions: 4 });
    const events = Array.from({ length: 20 }, (_, index) => like(`e${index}`, `u${index}`));
    await log.append(events);

    for (let partition = 0; partition < 4; partition++) {
      const expected = events.filter((event) => partitionOf(event, 4) === partition).length;
      assert.equal(await redis.xlen(`{${prefix}:p${partition}}`), expected);
    }
    const event = events[7] ?? assert.fail();
    const marker = log.processedMarker('search', event);
    assert.equal(
      marker.key,
      `{${prefix}:p${partitionOf(event, 4)}}:done:search:e7`,
      'a marker must share its partition stream hash tag',
    );
  });

  it("moves a redriven dead letter beside the group's dead-letter stream, wakes the idle consumer for it, and keeps nothing once it is applied", async function () {
    log = new RedisStreamsEventLog({ client: redis, prefix, partitions: 2 });
    let broken = true;
    const applied: string[] = [];
    const consumer = await log.consume({
      group: 'g',
      consumer: 'c1',
      maxDeliveries: 1,
      handler: async (event) => {
        if (broken) throw new Error('broken');
        applied.push(event.eventId);
      },
    });
    consumers.push(consumer);
    await log.append([like('e0', 'u1')]);
    await eventually('e0 is dead-lettered', async () => (await log!.deadLetters('g')).length === 1);
    const dead = `{${prefix}:dead:g}`;
    const redriven = `{${prefix}:dead:g}:redriven`;
    assert.equal(await redis.xlen(redriven), 0, "the group's redrive stream is there, empty");
    await eventually('the consumer waits idle in XREADGROUP', async () =>
      String(await redis.client('LIST'))
        .split('\n')
        .some(
          (line) =>
            line.includes(' name=feedmesh-events-wait:g:c1 ') && / cmd=xreadgroup /.test(line),
        ),
    );

    broken = false;
    const [letter] = await log.redriveDeadLetters('g', { all: true });

    // Its wait (up to 5 s) ends for the redrive, as it does for an append.
    await eventually('the redriven e0 is applied', () => applied.includes('e0'), 3_000);
    await eventually('it is settled', async () => (await redis.xlen(redriven)) === 0);
    assert.equal(await redis.xlen(dead), 0);
    assert.deepEqual(applied, ['e0']);
    assert.equal(letter?.eventId, 'e0');
    assert.equal(
      await redis.exists(`{${prefix}:p${partitionOf(like('e0', 'u1'), 2)}}:done:g:e0`),
      1,
      "the redriven event's processed-marker is its partition's",
    );
  });

  /** The connections named `name` in CLIENT LIST, with the command each last ran. */
  /** The connections named `name` in CLIENT LIST: the command each last ran, its idle s. */
  async function connectionsNamed(name: string): Promise<{ cmd: string; idle: number }[]> {
    const list = String(await redis.client('LIST'));
    return list
      .split('\n')
      .filter((line) => line.includes(` name=${name} `))
      .map((line) => ({
        cmd: /\bcmd=(\S+)/.exec(line)?.[1] ?? '',
        idle: Number(/\bidle=(\d+)/.exec(line)?.[1] ?? -1),
      }));
  }

  it('waits idle in one blocking read of every partition, not polling, and ends it on stop', async function () {
    // The log on a connection of its own, named, so CLIENT LIST shows whether it is used.
    const client = new Redis(redisUrl, { connectionName: `idle-log-${prefix.slice(-8)}` });
    log = new RedisStreamsEventLog({ client, prefix, partitions: 8 });
    try {
      // Polling every 10 ms would read all the time; beats only every 20 s here.
      const consumer = await log.consume({
        group: 'g',
        consumer: 'idle',
        pollIntervalMs: 10,
        consumerTimeoutMs: 60_000,
        handler: async () => {},
      });
      consumers.push(consumer);
      const waiting = 'feedmesh-events-wait:g:idle';
      await eventually('the consumer waits in XREADGROUP on its own connection', async () =>
        (await connectionsNamed(waiting)).some(({ cmd }) => cmd === 'xreadgroup'),
      );
      await new Promise((resolve) => setTimeout(resolve, 2_200));
      const [logConnection] = await connectionsNamed(`idle-log-${prefix.slice(-8)}`);
      assert.ok(
        (logConnection?.idle ?? -1) >= 2,
        `the log's connection idle ${logConnection?.idle} s: nothing polled on it for 2 s`,
      );
      assert.deepEqual(
        (await connectionsNamed(waiting)).map(({ cmd }) => cmd),
        ['xreadgroup'],
      );

      const started = Date.now();
      await consumer.stop();
      // Its wait may hold 5 s: stop ends it (CLIENT UNBLOCK) rather than waiting it out.
      assert.ok(Date.now() - started < 3_000, `stop took ${Date.now() - started} ms`);
      await eventually(
        'the waiting connection is closed',
        async () => (await connectionsNamed(waiting)).length === 0,
      );
    } finally {
      await log.close();
      log = undefined;
      await client.quit();
    }
  });

  it('stops an idle consumer whose Redis user may not run CLIENT UNBLOCK', async function () {
    await asRedisUser(['+@all', '-client|unblock'], async ({ client }) => {
      log = new RedisStreamsEventLog({ client, prefix, partitions: 2 });
      const applied: string[] = [];
      const consumer = await log.consume({
        group: 'g',
        consumer: 'plain',
        handler: async (event) => {
          applied.push(event.eventId);
        },
      });
      consumers.push(consumer);
      const waiting = 'feedmesh-events-wait:g:plain';
      await eventually('the consumer waits in XREADGROUP', async () =>
        (await connectionsNamed(waiting)).some(({ cmd }) => cmd === 'xreadgroup'),
      );
      await log.append([like('woken', 'u1')]);
      await eventually('the appended event is applied', () => applied.includes('woken'), 3_000);
      await eventually('the consumer waits again', async () =>
        (await connectionsNamed(waiting)).some(({ cmd }) => cmd === 'xreadgroup'),
      );

      const started = Date.now();
      await consumer.stop();
      // Without CLIENT UNBLOCK it drops the connection after a short grace.
      assert.ok(Date.now() - started < 3_000, `stop took ${Date.now() - started} ms`);
      await eventually(
        'the waiting connection is closed',
        async () => (await connectionsNamed(waiting)).length === 0,
      );
    });
  });

  /** A consumer of group g on two partitions recording what it applied, once it applied `before`. */
  async function consumingAfter(startFrom?: 'end') {
    const opened = new RedisStreamsEventLog({ client: redis, prefix, partitions: 2 });
    log = opened;
    const applied: string[] = [];
    const consumer = await opened.consume({
      group: 'g',
      consumer: 'c1',
      ...(startFrom ? { startFrom } : {}),
      pollIntervalMs: 10,
      handler: async (event) => {
        applied.push(event.eventId);
      },
    });
    consumers.push(consumer);
    await opened.append([like('before', 'u1')]);
    await eventually('the first event is applied', () => applied.includes('before'));
    return { log: opened, applied, consumer };
  }

  it('keeps consuming after its connection drops and Redis loses the group', async function () {
    const { log, applied, consumer } = await consumingAfter();
    const admin = new Redis(redisUrl);
    try {
      // What a Redis restart without persistence looks like to the consumer.
      await admin.client('KILL', 'ID', String(await redis.client('ID')));
      await deleteKeys(admin, prefix);
    } finally {
      await admin.quit();
    }
    await log.append([like('after', 'u1')]);

    // The handler runs before the entry is settled and counted: wait for the count.
    await eventually(
      'the event appended after the outage is applied and settled',
      () => applied.includes('after') && consumer.stats().processed === 2,
    );
    assert.deepEqual(applied, ['before', 'after']);
  });

  describe('when a connection drops after Redis delivered entries and before their reply came', function () {
    let proxy: ReplyDroppingProxy;

    beforeEach(async function () {
      proxy = await ReplyDroppingProxy.start(redisUrl);
    });

    afterEach(async function () {
      await Promise.all(consumers.map((consumer) => consumer.stop()));
      consumers = [];
      await log?.close();
      log = undefined;
      await proxy.stop();
    });

    /** A consumer reaching Redis through the proxy; `claimIdleMs` no test waits out. */
    async function consumeThroughProxy(applied: string[]): Promise<Consumer> {
      log = new RedisStreamsEventLog({ url: proxy.urlFor(redisUrl), prefix, partitions: 2 });
      const consumer = await log.consume({
        group: 'g',
        consumer: 'c1',
        claimIdleMs: 600_000,
        handler: async (event) => {
          applied.push(event.eventId);
        },
      });
      consumers.push(consumer);
      return consumer;
    }

    it('applies what an idle consumer was handed in a reply its waiting connection lost, without waiting claimIdleMs', async function () {
      const applied: string[] = [];
      await consumeThroughProxy(applied);
      const producer = new RedisStreamsEventLog({ client: redis, prefix, partitions: 2 });
      await producer.append([like('warm-up', 'u1')]);
      await eventually('the consumer is reading', () => applied.includes('warm-up'));

      proxy.dropReplyHolding('lost-in-transit');
      await producer.append([like('lost-in-transit', 'u1')]);

      await eventually('the reply was cut', () => proxy.dropped === 1);
      await eventually('the event whose reply was lost is applied', () =>
        applied.includes('lost-in-transit'),
      );
      assert.deepEqual(applied, ['warm-up', 'lost-in-transit']);
      await eventually(
        'nothing is left pending',
        async () => (await producer.lag('g')).pending === 0,
      );
    });

    it("applies what a read on the log's own connection was handed in a reply it lost, without waiting claimIdleMs", async function () {
      const producer = new RedisStreamsEventLog({ client: redis, prefix, partitions: 2 });
      // There before the consumer starts: its first read, of each partition on the log's own
      // connection, hands it over.
      await producer.append([like('lost-in-transit', 'u1')]);
      proxy.dropReplyHolding('lost-in-transit');
      const applied: string[] = [];
      await consumeThroughProxy(applied);

      await eventually('the reply was cut', () => proxy.dropped === 1);
      await eventually('the event whose reply was lost is applied', () =>
        applied.includes('lost-in-transit'),
      );
      assert.deepEqual(applied, ['lost-in-transit']);
    });
  });

  it("delivers what was appended while Redis had lost the group to one that started from the 'end'", async function () {
    const { log, applied, consumer } = await consumingAfter('end');
    const admin = new Redis(redisUrl);
    try {
      // A Redis restarted without persistence: the group is gone, and a producer appends
      // (and is acknowledged) before the consumer notices.
      await deleteKeys(admin, prefix);
      await log.append([like('after', 'u1')]);
    } finally {
      await admin.quit();
    }

    await eventually(
      'the event acknowledged after the group was lost is applied',
      () => applied.includes('after') && consumer.stats().processed === 2,
    );
    assert.deepEqual(applied, ['before', 'after']);
  });

  it('takes back the batch it could not settle once Redis answers again, without waiting or counting a delivery', async function () {
    // Redis refusing the consumer's stream commands (an ACL change here; an outage or a
    // restart in production) after its handler applied a batch: the batch stays pending for
    // this consumer. It reads it back as soon as Redis answers, not after claimIdleMs (a
    // minute here), and the store's failure does not count as a delivery of those events.
    await asRedisUser(['+@all'], async ({ client, user, admin }) => {
      log = new RedisStreamsEventLog({ client, prefix, partitions: 1 });
      await log.append(likes(5, 'u1'));
      const seen: { eventId: string; deliveries: number }[] = [];
      let refused = false;
      const consumer = await log.consume({
        group: 'g',
        consumer: 'c1',
        pollIntervalMs: 10,
        claimIdleMs: 60_000,
        batchHandler: async (events, deliveries) => {
          events.forEach((event, i) =>
            seen.push({ eventId: event.eventId, deliveries: deliveries[i]!.deliveries }),
          );
          if (!refused) {
            refused = true;
            // The settling script refused whole (a refusal inside it would keep its markers).
            await admin.acl('SETUSER', user, '-@scripting', '-xack');
            setTimeout(() => void admin.acl('SETUSER', user, '+@all'), 300);
          }
        },
      });
      consumers.push(consumer);
      await eventually('the batch is settled', () => consumer.stats().processed === 5);
      // Handled, refused, then handled again once or more (each retry backs off) until Redis
      // settled it: the same five each time, never a delivery more.
      const ids = ['e0', 'e1', 'e2', 'e3', 'e4'];
      const rounds = seen.length / ids.length;
      assert.ok(Number.isInteger(rounds) && rounds >= 2, `${seen.length} handled`);
      assert.deepEqual(
        seen.map(({ eventId }) => eventId),
        Array.from({ length: rounds }, () => ids).flat(),
      );
      assert.ok(
        seen.every(({ deliveries }) => deliveries === 1),
        JSON.stringify(seen),
      );
      const { resumed, reclaimed, duplicates } = consumer.stats();
      assert.deepEqual(
        { resumed, reclaimed, duplicates },
        { resumed: 5 * (rounds - 1), reclaimed: 0, duplicates: 0 },
      );
      assert.equal((await log.lag('g')).pending, 0);
    });
  });

  it('goes on to new entries while Redis keeps refusing to settle a batch it holds', async function () {
    // An acknowledgement the consumer may never make (as the chaos suite's no-XACK user): its
    // own pending batch is retried now and then, and new entries are not held back by it.
    await asRedisUser(['+@all', '-@scripting', '-xack'], async ({ client }) => {
      log = new RedisStreamsEventLog({ client, prefix, partitions: 1 });
      const handled = new Set<string>();
      const consumer = await log.consume({
        group: 'g',
        consumer: 'c1',
        pollIntervalMs: 10,
        claimIdleMs: 60_000,
        batchHandler: async (events) => {
          for (const event of events) handled.add(event.eventId);
        },
      });
      consumers.push(consumer);
      await log.append([like('first', 'u1')]);
      await eventually('the first entry is handled', () => handled.has('first'));
      await log.append([like('second', 'u2')]);
      await eventually('a later entry is handled too', () => handled.has('second'));
      assert.equal((await log.lag('g')).pending, 2, 'neither could be acknowledged');
      assert.ok(consumer.stats().resumed >= 1, 'the refused batch was tried again');
    });
  });

  it('applies every partition of a read even while Redis refuses to settle any of them', async function () {
    // One read hands over several partitions at once; the first one's refused acknowledgement
    // must not leave the others delivered and never applied.
    await asRedisUser(['+@all', '-@scripting', '-xack'], async ({ client }) => {
      log = new RedisStreamsEventLog({ client, prefix, partitions: 4 });
      const handled = new Set<string>();
      const consumer = await log.consume({
        group: 'g',
        consumer: 'c1',
        claimIdleMs: 60_000,
        batchHandler: async (events) => {
          for (const event of events) handled.add(event.eventId);
        },
      });
      consumers.push(consumer);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const events = Array.from({ length: 12 }, (_, i) => like(`e${i}`, `u${i}`));
      assert.ok(new Set(events.map((event) => partitionOf(event, 4))).size > 1);
      await log.append(events);
      await eventually('every event is applied', () => handled.size === 12, 15_000);
      assert.equal((await log.lag('g')).pending, 12, 'none could be acknowledged');
    });
  });

  /** Per partition, the consumers XINFO CONSUMERS lists in the group. */
  async function groupConsumers(group: string, partitions: number): Promise<string[][]> {
    return Promise.all(
      Array.from({ length: partitions }, async (_, partition) => {
        const infos = (await redis.xinfo(
          'CONSUMERS',
          `{${prefix}:p${partition}}`,
          group,
        )) as unknown[][];
        return infos.map((fields) => String(fields[fields.indexOf('name') + 1]));
      }),
    );
  }

  it('takes over what a killed consumer held once it stops beating, long before claimIdleMs, and removes it from the group', async function () {
    const group = 'counter';
    const countsKey = `{${prefix}:counts}`;
    log = new RedisStreamsEventLog({ client: redis, prefix, partitions: 2 });
    await log.append(likes(20, 'u1'));

    await killConsumerProcessMidBatch({
      PREFIX: prefix,
      PARTITIONS: '2',
      GROUP: group,
      COUNTS_KEY: countsKey,
      CONSUMER_TIMEOUT_MS: '600',
    });
    const killedAt = Date.now();
    const heldAtKill = (await pendingOf(redis, prefix, group))['doomed'] ?? 0;
    assert.ok(heldAtKill > 0, 'the killed consumer held entries');

    const activeLog = log;
    // claimIdleMs alone would leave them for a minute.
    const survivor = await activeLog.consume({
      group,
      consumer: 'survivor',
      batchSize: 10,
      claimIdleMs: 60_000,
      consumerTimeoutMs: 600,
      handler: (event) => countOnce(redis, activeLog, group, event, countsKey),
    });
    consumers.push(survivor);

    await eventually(
      'the group has drained',
      async () => {
        const { undelivered, pending } = await activeLog.lag(group);
        return undelivered === 0 && pending === 0;
      },
      30_000,
    );
    const drainedMs = Date.now() - killedAt;
    assert.ok(drainedMs < 30_000, `drained ${drainedMs} ms after the kill`);
    assert.deepEqual(
      await redis.hgetall(countsKey),
      Object.fromEntries(Array.from({ length: 20 }, (_, index) => [`e${index}`, '1'])),
    );
    assert.equal(survivor.stats().reclaimed, heldAtKill);
    await eventually('the killed consumer is gone from the group and its beats', async () => {
      const listed = await groupConsumers(group, 2);
      const beats = await redis.zrange(`{${prefix}:consumers:${group}}`, 0, -1);
      return listed.every((names) => !names.includes('doomed')) && !beats.includes('doomed');
    });
  });

  it('leaves the group when it stops with nothing pending, and stays listed while entries are', async function () {
    log = new RedisStreamsEventLog({ client: redis, prefix, partitions: 2 });
    await log.append(likes(6, 'u1'));
    let refuse = true;
    const applied: string[] = [];
    const consumer = await log.consume({
      group: 'g',
      consumer: 'leaving',
      consumerTimeoutMs: 300,
      handler: async (event) => {
        if (refuse && event.eventId === 'e0') throw new Error('not yet');
        applied.push(event.eventId);
      },
    });
    await eventually('the other five are applied', () => applied.length === 5);
    await consumer.stop();
    // One user's likes share a partition: the other one it leaves, this one keeps it for e0.
    const held = partitionOf(like('e0', 'u1'), 2);
    assert.deepEqual(
      await groupConsumers('g', 2),
      [0, 1].map((partition) => (partition === held ? ['leaving'] : [])),
    );
    assert.deepEqual(await redis.zrange(`{${prefix}:consumers:g}`, 0, -1), ['leaving']);

    // Another takes e0 over once the stopped one is silent, not after claimIdleMs.
    refuse = false;
    const next = await log.consume({
      group: 'g',
      consumer: 'next',
      claimIdleMs: 60_000,
      consumerTimeoutMs: 300,
      handler: async (event) => {
        applied.push(event.eventId);
      },
    });
    consumers.push(next);
    await eventually('e0 is applied', () => applied.includes('e0'), 30_000);
    await next.stop();
    assert.deepEqual(await groupConsumers('g', 2), [[], []]);
    assert.equal(await redis.exists(`{${prefix}:consumers:g}`), 0, 'no beats left');
  });

  it('reclaims the batch of a consumer process killed mid-batch, applying every event once', async function () {
    const group = 'counter';
    const countsKey = `{${prefix}:counts}`;
    log = new RedisStreamsEventLog({ client: redis, prefix, partitions: 1 });
    await log.append(likes(20, 'u1'));

    await killConsumerProcessMidBatch({
      PREFIX: prefix,
      PARTITIONS: '1',
      GROUP: group,
      COUNTS_KEY: countsKey,
    });
    assert.deepEqual(await pendingOf(redis, prefix, group), { doomed: 8 });

    const activeLog = log;
    const survivor = await activeLog.consume({
      group,
      consumer: 'survivor',
      batchSize: 10,
      claimIdleMs: 200,
      pollIntervalMs: 10,
      handler: (event) => countOnce(redis, activeLog, group, event, countsKey),
    });
    consumers.push(survivor);

    await eventually('the group has drained', async () => {
      const { undelivered, pending } = await activeLog.lag(group);
      return undelivered === 0 && pending === 0;
    });
    const counts = await redis.hgetall(countsKey);
    assert.deepEqual(
      counts,
      Object.fromEntries(Array.from({ length: 20 }, (_, index) => [`e${index}`, '1'])),
    );
    assert.equal(survivor.stats().reclaimed, 8);
    assert.equal(
      survivor.stats().duplicates,
      1,
      'the killed consumer applied e2 but never acked it',
    );
    assert.equal(survivor.stats().processed, 17);
  });
});

/**
 * Runs consumer "doomed" (test-fixtures/consumer-process.ts, batches of 10, lingering 300 ms
 * after each event) as its own process with `env`, and SIGKILLs it while it lingers after its
 * third event: applied and marked, not acknowledged, the rest of its batch pending for it.
 */
async function killConsumerProcessMidBatch(env: Record<string, string>): Promise<void> {
  const child = startConsumerProcess({
    REDIS_URL: redisUrl,
    CONSUMER: 'doomed',
    BATCH_SIZE: '10',
    LINGER_MS: '300',
    ...env,
  });
  try {
    await appliedLines(child, 3);
    child.kill('SIGKILL');
    await once(child, 'exit');
  } finally {
    child.kill('SIGKILL');
  }
}

function startConsumerProcess(env: Record<string, string>): ChildProcess {
  const script = fileURLToPath(new URL('./test-fixtures/consumer-process.js', import.meta.url));
  return spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** Resolves once the child has printed `count` "applied" lines; fails if it exits first. */
async function appliedLines(child: ChildProcess, count: number): Promise<void> {
  const stdout = child.stdout ?? assert.fail('the child has no stdout');
  let seen = 0;
  const enough = (async () => {
    for await (const line of createInterface({ input: stdout })) {
      if (line.startsWith('applied ')) seen += 1;
      if (seen === count) return true;
    }
    return false;
  })();
  if (!(await enough)) assert.fail(`the consumer process exited after ${seen} events`);
}

/** Pending entries of the group's partition 0, by consumer. */
async function pendingOf(
  redis: Redis,
  prefix: string,
  group: string,
): Promise<Record<string, number>> {
  const [, , , byConsumer] = (await redis.xpending(`{${prefix}:p0}`, group)) as [
    number,
    string | null,
    string | null,
    [string, string][] | null,
  ];
  return Object.fromEntries((byConsumer ?? []).map(([name, count]) => [name, Number(count)]));
}
