import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { eventsv1 } from '@feedmesh/contracts';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  UnavailableError,
} from '@feedmesh/errors';
import type {
  BatchEventHandler,
  ConsumeOptions,
  Consumer,
  Delivery,
  EventHandler,
  EventLog,
  EventLogLogger,
  EventLogOptions,
  LogMark,
  RedriveSelection,
  StartFrom,
} from './event-log.js';
import { UnknownDeadLettersError } from './dead-letter-selection.js';
import { waitUntilDrained } from './drained.js';
import { inOrder } from './in-order.js';
import { partitionOf } from './partition.js';
import { eventually, Gate, like, likes } from './test-fixtures/events.js';

export interface EventLogFixture {
  readonly log: EventLog;
  /** Closes the log and deletes whatever the test stored. */
  dispose(): Promise<void>;
}

/** Opens a fresh, empty log for one test. */
export type OpenEventLog = (options: EventLogOptions) => Promise<EventLogFixture>;

/** Test consumers poll often and, unless a test is about taking entries over, never do. */
const QUICK = { pollIntervalMs: 10, claimIdleMs: 60_000 } as const;

/** Resolves once the group has nothing undelivered or pending. */
async function drained(log: EventLog, group: string): Promise<void> {
  await waitUntilDrained(log, group, { timeoutMs: 10_000, intervalMs: 10 });
}

/** Every event a group's handlers applied, in order, with where it came from. */
class Applications {
  readonly seen: { readonly event: eventsv1.Event; readonly delivery: Delivery }[] = [];

  readonly handler: EventHandler = async (event, delivery) => {
    this.seen.push({ event, delivery });
  };

  ids(): string[] {
    return this.seen.map(({ event }) => event.eventId);
  }

  count(eventId: string): number {
    return this.ids().filter((id) => id === eventId).length;
  }

  record(event: eventsv1.Event, delivery: Delivery): void {
    this.seen.push({ event, delivery });
  }
}

/** Every batch a batch handler received, in order, with where each event came from. */
class Batches {
  readonly received: { readonly events: eventsv1.Event[]; readonly deliveries: Delivery[] }[] = [];

  readonly handler: BatchEventHandler = async (events, deliveries) => {
    this.record(events, deliveries);
  };

  record(events: readonly eventsv1.Event[], deliveries: readonly Delivery[]): void {
    this.received.push({ events: [...events], deliveries: [...deliveries] });
  }

  ids(): string[] {
    return this.received.flatMap(({ events }) => events.map((event) => event.eventId));
  }

  count(eventId: string): number {
    return this.ids().filter((id) => id === eventId).length;
  }

  deliveryOf(eventId: string): Delivery | undefined {
    for (const { events, deliveries } of this.received) {
      const index = events.findIndex((event) => event.eventId === eventId);
      if (index >= 0) return deliveries[index];
    }
    return undefined;
  }
}

/** The error lines a log wrote, and what they say the length cap took from each group. */
class ErrorLines {
  readonly lines: Record<string, unknown>[] = [];

  readonly logger: EventLogLogger = {
    info() {},
    warn() {},
    error: (fields, message) => {
      this.lines.push({ ...fields, message });
    },
  };

  /** The entries of `group` its consumers logged as trimmed before they handled them. */
  trimmed(group: string): number {
    let total = 0;
    for (const fields of this.lines) {
      const trimmed = fields['trimmed'];
      if (fields['group'] === group && typeof trimmed === 'number') total += trimmed;
    }
    return total;
  }
}

/**
 * The semantics every `EventLog` shares (DESIGN.md "The event log"), written once and run
 * against each implementation.
 */
export function describeEventLogContract(name: string, open: OpenEventLog): void {
  describe(`${name}: the EventLog contract`, function () {
    let fixture: EventLogFixture | undefined;
    let consumers: Consumer[] = [];
    let gates: Gate[] = [];

    async function openLog(options: EventLogOptions = {}): Promise<EventLog> {
      fixture = await open(options);
      return fixture.log;
    }

    async function consume(log: EventLog, options: ConsumeOptions): Promise<Consumer> {
      const consumer = await log.consume({ ...QUICK, ...options });
      consumers.push(consumer);
      return consumer;
    }

    /**
     * A consumer of group `g` that fails each of the `count` events in the log once and stops:
     * they stay pending for it, delivered once.
     */
    async function leavePending(log: EventLog, consumer: string, count: number): Promise<void> {
      let attempts = 0;
      const leaving = await consume(log, {
        group: 'g',
        consumer,
        handler: async () => {
          attempts += 1;
          throw new Error('not yet');
        },
      });
      await eventually('every event was tried once', () => attempts === count);
      await leaving.stop();
    }

    function gate(): Gate {
      const created = new Gate();
      gates.push(created);
      return created;
    }

    afterEach(async function () {
      // A failed test may leave a handler waiting on a gate, and stop() waits for handlers.
      for (const pending of gates) pending.open();
      await Promise.all(consumers.map((consumer) => consumer.stop()));
      await fixture?.dispose();
      fixture = undefined;
      consumers = [];
      gates = [];
    });

    it('delivers each partition in append order, every event once, decoded as appended', async function () {
      const log = await openLog({ partitions: 4 });
      const events = Array.from({ length: 40 }, (_, index) => like(`e${index}`, `u${index % 5}`));
      await log.append(events.slice(0, 25));
      await log.append(events.slice(25));
      const applied = new Applications();

      await consume(log, { group: 'g', consumer: 'c1', handler: applied.handler, batchSize: 7 });

      await eventually('all 40 events are applied', () => applied.seen.length === 40);
      for (let partition = 0; partition < 4; partition++) {
        const appendedHere = events.filter((event) => partitionOf(event, 4) === partition);
        const appliedHere = applied.seen.filter(({ delivery }) => delivery.partition === partition);
        assert.deepEqual(
          appliedHere.map(({ event }) => event),
          appendedHere,
          `partition ${partition}`,
        );
      }
      assert.ok(applied.seen.every(({ delivery }) => delivery.deliveries === 1));
    });

    it('hands an idle consumer what is appended as it comes, not at its next poll', async function () {
      const log = await openLog({ partitions: 4 });
      const applied = new Applications();
      // A poll interval no test waits out: only the wait for the next append can deliver.
      await consume(log, {
        group: 'g',
        consumer: 'c1',
        handler: applied.handler,
        pollIntervalMs: 600_000,
      });
      for (let round = 0; round < 3; round++) {
        await delay(50);
        await log.append([like(`idle${round}`, `u${round}`)]);
        await eventually(
          `idle${round} is applied`,
          () => applied.count(`idle${round}`) === 1,
          3_000,
        );
      }
      // Several partitions at once, each still in append order.
      const burst = Array.from({ length: 24 }, (_, index) => like(`b${index}`, `u${index % 6}`));
      await delay(50);
      await log.append(burst);
      await eventually('the burst is applied', () => applied.seen.length === 27, 3_000);
      for (let partition = 0; partition < 4; partition++) {
        assert.deepEqual(
          applied.seen
            .filter(
              ({ event, delivery }) =>
                event.eventId.startsWith('b') && delivery.partition === partition,
            )
            .map(({ event }) => event.eventId),
          burst
            .filter((event) => partitionOf(event, 4) === partition)
            .map((event) => event.eventId),
          `partition ${partition}`,
        );
      }
    });

    it('describes every group: its lag, its consumers with what they hold and whether they beat, its dead letters', async function () {
      const log = await openLog({ partitions: 2 });
      assert.deepEqual(await log.groups(), []);
      await log.append(likes(4, 'u1'));
      const poison = gate();
      const started = new Gate();
      // "busy" holds e0 in its handler; "dropper" dead-letters everything at once.
      await consume(log, {
        group: 'busy',
        consumer: 'b1',
        batchSize: 1,
        handler: async () => {
          started.open();
          await poison.opened;
        },
      });
      await started.opened;
      const dropper = await consume(log, {
        group: 'dropper',
        consumer: 'd1',
        maxDeliveries: 1,
        handler: async () => {
          throw new Error('no');
        },
      });
      await eventually(
        'the dropper dead-lettered all four',
        () => dropper.stats().deadLettered === 4,
      );

      const groups = await log.groups();
      assert.deepEqual(
        groups.map(({ group }) => group),
        ['busy', 'dropper'],
      );
      const [busy, dropped] = groups;
      assert.deepEqual(
        { undelivered: busy!.undelivered, pending: busy!.pending, deadLetters: busy!.deadLetters },
        { undelivered: 3, pending: 1, deadLetters: 0 },
      );
      assert.deepEqual(busy!.consumers, [{ name: 'b1', pending: 1, heartbeat: 'alive' }]);
      assert.deepEqual(
        {
          undelivered: dropped!.undelivered,
          pending: dropped!.pending,
          deadLetters: dropped!.deadLetters,
        },
        { undelivered: 0, pending: 0, deadLetters: 4 },
      );
      assert.deepEqual(dropped!.consumers, [{ name: 'd1', pending: 0, heartbeat: 'alive' }]);

      // A consumer that stops with nothing pending is gone from its group's list.
      await dropper.stop();
      const after = await log.groups();
      assert.deepEqual(after.find(({ group }) => group === 'dropper')?.consumers, []);
      poison.open();
    });

    it('lists the consumers it runs, with their counts, until they stop', async function () {
      const log = await openLog({ partitions: 2 });
      await log.append(likes(3, 'u1'));
      const a = await consume(log, { group: 'g', consumer: 'a', handler: async () => {} });
      const b = await consume(log, { group: 'h', consumer: 'b', handler: async () => {} });
      await drained(log, 'g');
      await drained(log, 'h');
      assert.deepEqual(
        log
          .consumers()
          .map((consumer) => [consumer.group, consumer.name, consumer.stats().processed]),
        [
          ['g', 'a', 3],
          ['h', 'b', 3],
        ],
      );
      await a.stop();
      assert.deepEqual(
        log.consumers().map((consumer) => consumer.name),
        ['b'],
      );
      await b.stop();
      assert.deepEqual(log.consumers(), []);
    });

    it('waitUntilDrained resolves only once a group exists and has applied everything', async function () {
      const log = await openLog({ partitions: 3 });
      await log.append(Array.from({ length: 20 }, (_, index) => like(`d${index}`, `u${index}`)));
      const looks: number[] = [];
      const progressLines: number[] = [];
      let resolved = false;
      const waiting = waitUntilDrained(log, 'g', {
        intervalMs: 5,
        onLag: (remaining) => looks.push(remaining),
        progress: (remaining) => progressLines.push(remaining),
        progressEveryMs: 20,
      }).then(() => {
        resolved = true;
      });
      await delay(50);
      assert.equal(resolved, false, 'a group nobody consumes yet is not drained');
      assert.ok(progressLines.length >= 1, 'a progress line while it waits');
      assert.ok(progressLines.length < looks.length / 2, 'progress lines are spaced out');

      const applied = new Applications();
      await consume(log, { group: 'g', consumer: 'c1', handler: applied.handler, batchSize: 4 });
      await waiting;
      assert.equal(applied.seen.length, 20, 'every event applied when it resolves');
      assert.equal(looks.at(-1), 0);
    });

    it('waitUntilDrained gives up after its timeout, naming the group and what is left', async function () {
      const log = await openLog({ partitions: 2 });
      await log.append([like('s1', 'u1'), like('s2', 'u2')]);
      const held = gate();
      await consume(log, { group: 'stuck', consumer: 'c1', handler: () => held.opened });
      await assert.rejects(
        waitUntilDrained(log, 'stuck', { timeoutMs: 100, intervalMs: 10 }),
        /group stuck did not drain within 100 ms: \d+ undelivered, \d+ pending/,
      );
    });

    it('replays the whole retained history to a batch reader, without joining a group', async function () {
      const log = await openLog({ partitions: 3 });
      const events = Array.from({ length: 30 }, (_, index) => like(`h${index}`, `u${index % 7}`));
      await log.append(events);

      const read: string[] = [];
      for await (const event of log.history({ chunkSize: 4 })) read.push(event.eventId);

      assert.deepEqual([...read].sort(), events.map((event) => event.eventId).sort());
      for (let partition = 0; partition < 3; partition++) {
        const appendedHere = events.filter((event) => partitionOf(event, 3) === partition);
        const readHere = read.filter((id) => appendedHere.some((event) => event.eventId === id));
        assert.deepEqual(
          readHere,
          appendedHere.map((event) => event.eventId),
          `partition ${partition}`,
        );
      }
      await assert.rejects(log.lag('any-group'));
    });

    it('replays the history in the order it was appended across partitions: a post before the likes of it', async function () {
      const log = await openLog({ partitions: 4 });
      // Each post, then three likes of it by users whose events live in other partitions; each
      // event a millisecond later than the one before, as a publisher stamps them.
      const events: eventsv1.Event[] = [];
      for (let post = 0; post < 12; post++) {
        events.push({
          eventId: `post-${post}`,
          atMs: 0,
          payload: {
            $case: 'postCreated',
            value: {
              postId: `p${post}`,
              blogId: 'b1',
              text: 'hello',
              tags: [],
              mediaKind: 0,
              reblogOf: '',
            },
          },
        });
        for (let n = 0; n < 3; n++) {
          events.push(like(`like-${post}-${n}`, `u${(post + n) % 7}`, `p${post}`));
        }
      }
      events.forEach((event, index) => Object.assign(event, { atMs: 1_700_000_000_000 + index }));
      const partitions = new Set(events.map((event) => partitionOf(event, 4)));
      assert.ok(partitions.size >= 3, 'the events are spread over the partitions');
      // In batches of a post and its likes, and some one event at a time.
      for (let i = 0; i < events.length;) {
        const size = i < 24 ? 4 : 1;
        await log.append(events.slice(i, i + size));
        i += size;
      }

      const read: string[] = [];
      for await (const event of log.history({ chunkSize: 5 })) read.push(event.eventId);
      assert.deepEqual(
        read,
        events.map((event) => event.eventId),
      );
    });

    it('splits a group between its consumers, giving each event to exactly one of them', async function () {
      const log = await openLog();
      const applied = new Applications();
      const slowly: EventHandler = async (event, delivery) => {
        await delay(1);
        applied.record(event, delivery);
      };
      await consume(log, { group: 'g', consumer: 'c1', handler: slowly, batchSize: 5 });
      await consume(log, { group: 'g', consumer: 'c2', handler: slowly, batchSize: 5 });

      const events = Array.from({ length: 120 }, (_, index) => like(`e${index}`, `u${index % 30}`));
      await log.append(events);

      await drained(log, 'g');
      assert.equal(applied.seen.length, 120, 'an event was delivered to both consumers');
      const byConsumer = (consumer: string): number =>
        applied.seen.filter(({ delivery }) => delivery.consumer === consumer).length;
      assert.ok(byConsumer('c1') > 0 && byConsumer('c2') > 0, 'one consumer did all the work');
    });

    it('gives every group every event', async function () {
      const log = await openLog();
      const search = new Applications();
      const features = new Applications();
      await consume(log, { group: 'search', consumer: 'c1', handler: search.handler });
      await consume(log, { group: 'features', consumer: 'c1', handler: features.handler });

      const events = Array.from({ length: 30 }, (_, index) => like(`e${index}`, `u${index % 7}`));
      await log.append(events);

      const all = events.map((event) => event.eventId).sort();
      await eventually('both groups applied 30 events', () =>
        [search, features].every((group) => group.seen.length >= 30),
      );
      assert.deepEqual(search.ids().sort(), all);
      assert.deepEqual(features.ids().sort(), all);
    });

    it('acknowledges an event only once its handler succeeded, and redelivers a failed one', async function () {
      const log = await openLog({ partitions: 1 });
      const applied = new Applications();
      let failedOnce = false;
      await consume(log, {
        group: 'g',
        consumer: 'flaky',
        handler: async (event, delivery) => {
          if (event.eventId === 'e1' && !failedOnce) {
            failedOnce = true;
            throw new Error('transient failure');
          }
          applied.record(event, delivery);
        },
      });
      await log.append(likes(5, 'u1'));

      await eventually('the events after e1 are applied', () => applied.count('e4') === 1);
      assert.deepEqual(applied.ids(), ['e0', 'e2', 'e3', 'e4'], 'the failure blocked the others');
      await eventually('only e1 is pending', async () => (await log.lag('g')).pending === 1);

      const rescuer = await consume(log, {
        group: 'g',
        consumer: 'rescuer',
        handler: applied.handler,
        claimIdleMs: 100,
      });

      await eventually('e1 is applied', () => applied.count('e1') === 1);
      const retried = applied.seen.find(({ event }) => event.eventId === 'e1');
      assert.equal(retried?.delivery.consumer, 'rescuer');
      assert.equal(retried?.delivery.deliveries, 2);
      await drained(log, 'g');
      assert.equal(rescuer.stats().reclaimed, 1);
    });

    it("gives every consumer the log's claimIdleMs unless the consumer sets its own", async () => {
      const log = await openLog({ partitions: 1, claimIdleMs: 100 });
      await log.append(likes(3, 'u'));
      await leavePending(log, 'gone', 3);
      const applied = new Applications();
      // Not through `consume`, whose QUICK options set claimIdleMs: the log's 100 ms applies.
      const other = await log.consume({
        group: 'g',
        consumer: 'other',
        pollIntervalMs: 10,
        handler: applied.handler,
      });
      consumers.push(other);
      await drained(log, 'g');
      assert.equal(other.stats().reclaimed, 3);
      assert.deepEqual([...applied.ids()].sort(), ['e0', 'e1', 'e2']);
    });

    it('refuses a claimIdleMs that is not a positive integer, naming it', async () => {
      await assert.rejects(
        openLog({ claimIdleMs: 0 }),
        (error: unknown) => error instanceof InvalidArgumentError && error.field === 'claimIdleMs',
      );
    });

    it('takes up its own pending entries at once when it starts again under the same name', async () => {
      // As a Kubernetes pod's restarted container does: its name is the pod's, so the entries
      // it left pending are its own, and waiting claimIdleMs (a minute here) would be idle.
      const log = await openLog({ partitions: 2 });
      await log.append(likes(7, 'u'));
      await leavePending(log, 'pod-0', 7);
      assert.equal((await log.lag('g')).pending, 7);

      const applied = new Applications();
      const again = await consume(log, {
        group: 'g',
        consumer: 'pod-0',
        batchSize: 2,
        handler: applied.handler,
      });
      await drained(log, 'g');
      assert.deepEqual([...applied.ids()].sort(), ['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
      for (const { delivery } of applied.seen) assert.equal(delivery.deliveries, 2);
      assert.deepEqual(
        { resumed: again.stats().resumed, reclaimed: again.stats().reclaimed },
        { resumed: 7, reclaimed: 0 },
      );
    });

    it('lets another consumer finish what a crashed one left pending, applying each event once', async function () {
      const log = await openLog({ partitions: 1 });
      await log.append(likes(20, 'u1'));
      const applied = new Applications();
      const crash = gate();
      const hung = new Gate();
      let appliedByDoomed = 0;
      const doomed = await consume(log, {
        group: 'g',
        consumer: 'doomed',
        batchSize: 10,
        handler: async (event, delivery) => {
          if (appliedByDoomed === 3) {
            // Dies in the middle of its batch: the rest of the batch stays pending for it.
            hung.open();
            await crash.opened;
            throw new Error('crashed');
          }
          appliedByDoomed += 1;
          applied.record(event, delivery);
        },
      });
      await hung.opened;

      const survivor = await consume(log, {
        group: 'g',
        consumer: 'survivor',
        batchSize: 10,
        claimIdleMs: 150,
        handler: applied.handler,
      });

      await eventually('all 20 events are applied', () => new Set(applied.ids()).size === 20);
      await drained(log, 'g');
      // The crashed consumer comes back to life: it must not apply what the survivor did.
      crash.open();
      await doomed.stop();

      for (let index = 0; index < 20; index++)
        assert.equal(applied.count(`e${index}`), 1, `e${index}`);
      assert.equal(survivor.stats().reclaimed, 7);
      assert.deepEqual(doomed.stats(), {
        processed: 3,
        duplicates: 6,
        failed: 1,
        deadLettered: 0,
        reclaimed: 0,
        resumed: 0,
        trimmed: 0,
        redriven: 0,
      });
    });

    it('takes over what a consumer left pending once it stops beating, not after claimIdleMs', async function () {
      const log = await openLog({ partitions: 1 });
      await log.append(likes(4, 'u1'));
      const applied = new Applications();
      let refuse = true;
      const first = await consume(log, {
        group: 'g',
        consumer: 'first',
        consumerTimeoutMs: 300,
        handler: async (event, delivery) => {
          if (refuse && event.eventId === 'e1') throw new Error('not yet');
          applied.record(event, delivery);
        },
      });
      await eventually('the other three are applied', () => applied.seen.length === 3);
      await first.stop();
      refuse = false;

      const second = await consume(log, {
        group: 'g',
        consumer: 'second',
        consumerTimeoutMs: 300,
        claimIdleMs: 60_000,
        handler: applied.handler,
      });
      await eventually('e1 is applied', () => applied.count('e1') === 1);
      assert.equal(second.stats().reclaimed, 1);
      const taken = applied.seen.find(({ event }) => event.eventId === 'e1');
      assert.equal(taken?.delivery.deliveries, 2, 'the takeover counts as a delivery');
      await drained(log, 'g');
    });

    it('leaves a live consumer stuck in its handler its entries, however short consumerTimeoutMs', async function () {
      const log = await openLog({ partitions: 1 });
      await log.append(likes(5, 'u1'));
      const stuck = gate();
      const started = new Gate();
      const slow = new Applications();
      await consume(log, {
        group: 'g',
        consumer: 'slow',
        consumerTimeoutMs: 300,
        handler: async (event, delivery) => {
          started.open();
          await stuck.opened;
          slow.record(event, delivery);
        },
      });
      await started.opened;
      const others = new Applications();
      const watcher = await consume(log, {
        group: 'g',
        consumer: 'watcher',
        consumerTimeoutMs: 300,
        claimIdleMs: 60_000,
        handler: others.handler,
      });
      // Five of its timeouts: it beats all along, from a timer, while its handler waits.
      await delay(1_500);
      assert.equal(watcher.stats().reclaimed, 0);
      assert.deepEqual(others.ids(), []);
      stuck.open();
      await drained(log, 'g');
      assert.deepEqual(slow.ids(), ['e0', 'e1', 'e2', 'e3', 'e4']);
    });

    it('refuses a consumerTimeoutMs under 300, naming it', async function () {
      await assert.rejects(openLog({ consumerTimeoutMs: 100 }), (error: unknown) => {
        return error instanceof InvalidArgumentError && error.field === 'consumerTimeoutMs';
      });
      const log = await openLog();
      await assert.rejects(
        log.consume({ group: 'g', consumer: 'c', consumerTimeoutMs: 0, handler: async () => {} }),
        (error: unknown) =>
          error instanceof InvalidArgumentError && error.field === 'consumerTimeoutMs',
      );
    });

    it('dead-letters an event after maxDeliveries failures and goes on with the others', async function () {
      const log = await openLog({ partitions: 1 });
      const events = likes(3, 'u1');
      await log.append(events);
      const applied = new Applications();
      let attempts = 0;
      const consumer = await consume(log, {
        group: 'g',
        consumer: 'c1',
        claimIdleMs: 50,
        maxDeliveries: 3,
        handler: async (event, delivery) => {
          if (event.eventId === 'e1') {
            attempts += 1;
            throw new Error(`poison, attempt ${attempts}`);
          }
          applied.record(event, delivery);
        },
      });

      await eventually(
        'e1 is dead-lettered',
        async () => (await log.deadLetters('g')).length === 1,
      );
      const [deadLetter] = await log.deadLetters('g');
      assert.equal(deadLetter?.eventId, 'e1');
      assert.deepEqual(deadLetter?.event, events[1]);
      assert.equal(deadLetter?.error, 'poison, attempt 3');
      assert.equal(deadLetter?.deliveries, 3);
      assert.equal(deadLetter?.consumer, 'c1');
      assert.equal(attempts, 3);

      await log.append([like('later', 'u1')]);
      await eventually('a later event is applied', () => applied.count('later') === 1);
      assert.deepEqual(applied.ids(), ['e0', 'e2', 'later']);
      await drained(log, 'g');
      assert.equal(consumer.stats().deadLettered, 1);
      assert.equal(consumer.stats().failed, 3);
      assert.equal(await log.isProcessed('g', like('e1', 'u1')), false);
    });

    it('dead-letters an event whose consumers keep dying while handling it', async function () {
      const log = await openLog({ partitions: 1 });
      await log.append(likes(1, 'u1'));
      const crash = gate();
      const hung = new Gate();
      await consume(log, {
        group: 'g',
        consumer: 'doomed',
        handler: async () => {
          hung.open();
          await crash.opened;
          throw new Error('crashed');
        },
      });
      await hung.opened;
      const applied = new Applications();
      const survivor = await consume(log, {
        group: 'g',
        consumer: 'survivor',
        claimIdleMs: 50,
        maxDeliveries: 1,
        handler: applied.handler,
      });

      await eventually(
        'e0 is dead-lettered',
        async () => (await log.deadLetters('g')).length === 1,
      );
      const [deadLetter] = await log.deadLetters('g');
      assert.equal(deadLetter?.deliveries, 2);
      assert.match(deadLetter?.error ?? '', /not acknowledged after 1 deliveries/);
      assert.deepEqual(applied.ids(), [], 'the survivor handled an event past maxDeliveries');
      assert.equal(survivor.stats().deadLettered, 1);
    });

    it('does not apply a republished event_id twice', async function () {
      const log = await openLog();
      const applied = new Applications();
      const consumer = await consume(log, { group: 'g', consumer: 'c1', handler: applied.handler });
      await log.append([like('once', 'u1')]);
      await eventually('the event is applied', () => applied.count('once') === 1);

      // A producer retrying a publish it thinks failed, then publishing something new.
      await log.append([like('once', 'u1'), like('next', 'u1')]);

      await eventually('the next event is applied', () => applied.count('next') === 1);
      assert.deepEqual(applied.ids(), ['once', 'next']);
      assert.equal(consumer.stats().duplicates, 1);
      assert.equal(await log.isProcessed('g', like('once', 'u1')), true);
      assert.equal(await log.isProcessed('other-group', like('once', 'u1')), false);
    });

    it("dedupes an event_id among its entity's events (its partition), as a retry lands, not across entities", async function () {
      const log = await openLog({ partitions: 8 });
      const here = like('reused', 'u1');
      const elsewhere = like('reused', 'u2');
      assert.notEqual(partitionOf(here, 8), partitionOf(elsewhere, 8));
      const applied = new Applications();
      await consume(log, { group: 'g', consumer: 'c1', handler: applied.handler });

      await log.append([here]);
      await eventually('the event is applied', () => applied.count('reused') === 1);
      await log.append([elsewhere, here]);

      // The retry of `here` is a duplicate; `elsewhere` (a producer reusing an id) is not.
      await eventually('the other entity’s event is applied', () => applied.count('reused') === 2);
      await drained(log, 'g');
      assert.deepEqual(
        applied.seen.map(({ event }) => event),
        [here, elsewhere],
      );
      assert.equal(await log.isProcessed('g', elsewhere), true);
    });

    it('skips an event whose processed-marker a handler set itself', async function () {
      const log = await openLog();
      const applied = new Applications();
      const consumer = await consume(log, { group: 'g', consumer: 'c1', handler: applied.handler });

      assert.equal(await log.markProcessed('g', like('pre-applied', 'u1')), true);
      assert.equal(await log.markProcessed('g', like('pre-applied', 'u1')), false);
      await log.append([like('pre-applied', 'u1'), like('fresh', 'u1')]);

      await eventually('the fresh event is applied', () => applied.count('fresh') === 1);
      assert.deepEqual(applied.ids(), ['fresh']);
      assert.equal(consumer.stats().duplicates, 1);
    });

    it('reports lag as entries not yet delivered plus delivered but unacknowledged', async function () {
      const log = await openLog({ partitions: 2 });
      await log.append(likes(10, 'u1'));
      const release = gate();
      const started = new Gate();
      const applied = new Applications();
      await consume(log, {
        group: 'g',
        consumer: 'c1',
        batchSize: 4,
        handler: async (event, delivery) => {
          started.open();
          await release.opened;
          applied.record(event, delivery);
        },
      });

      await started.opened;
      assert.deepEqual(await log.lag('g'), { undelivered: 6, pending: 4 });
      release.open();
      await drained(log, 'g');
      assert.equal(applied.seen.length, 10);
      await assert.rejects(log.lag('nobody'), NotFoundError);
    });

    it('counts a mark handled once everything appended before it is, while newer events stay undelivered and pending', async function () {
      const log = await openLog({ partitions: 4 });
      const before = Array.from({ length: 12 }, (_, index) => like(`old${index}`, `u${index % 4}`));
      await log.append(before);
      const mark = await log.endMark();
      const release = gate();
      const applied = new Applications();
      await consume(log, {
        group: 'g',
        consumer: 'c1',
        batchSize: 2,
        handler: async (event, delivery) => {
          if (event.eventId.startsWith('new')) await release.opened;
          applied.record(event, delivery);
        },
      });
      await eventually('the events before the mark are applied', () =>
        before.every((event) => applied.count(event.eventId) === 1),
      );
      // A busy log: newer events arrive, the group holds some and has not read the others.
      await log.append(
        Array.from({ length: 40 }, (_, index) => like(`new${index}`, `u${index % 4}`)),
      );

      await eventually('the mark is handled', () => log.handledUpTo('g', mark));
      const lag = await log.lag('g');
      assert.ok(lag.pending > 0 && lag.undelivered > 0, `lag ${JSON.stringify(lag)}`);
      const kept = JSON.parse(JSON.stringify(mark)) as LogMark;
      assert.equal(await log.handledUpTo('g', kept), true, 'a mark kept as JSON reads the same');
      assert.equal(await log.handledUpTo('g', await log.endMark()), false, 'the newer events');
      release.open();
      await drained(log, 'g');
      assert.equal(await log.handledUpTo('g', await log.endMark()), true);
    });

    it('does not count a mark handled while an event before it is pending', async function () {
      const log = await openLog({ partitions: 2 });
      await log.append(likes(5, 'u1'));
      const mark = await log.endMark();
      const applied = new Applications();
      await consume(log, {
        group: 'g',
        consumer: 'c1',
        handler: async (event, delivery) => {
          if (event.eventId === 'e2') throw new Error('not yet');
          applied.record(event, delivery);
        },
      });
      await eventually('every event but e2 is handled', async () => {
        const lag = await log.lag('g');
        return applied.seen.length === 4 && lag.undelivered === 0 && lag.pending === 1;
      });

      assert.equal(await log.handledUpTo('g', mark), false);
      await consume(log, {
        group: 'g',
        consumer: 'c2',
        handler: applied.handler,
        claimIdleMs: 100,
      });
      await eventually('e2 is handled by another consumer', () => applied.count('e2') === 1);
      await eventually('the mark is handled', () => log.handledUpTo('g', mark));
    });

    it('does not count a mark handled while an event before it is undelivered', async function () {
      const log = await openLog({ partitions: 2 });
      const away = await consume(log, { group: 'g', consumer: 'c1', handler: async () => {} });
      await away.stop();
      await log.append(likes(3, 'u1'));
      const mark = await log.endMark();

      assert.deepEqual(await log.lag('g'), { undelivered: 3, pending: 0 });
      assert.equal(await log.handledUpTo('g', mark), false);
    });

    it('counts no mark handled by a group it does not know', async function () {
      const log = await openLog({ partitions: 2 });
      assert.equal(await log.handledUpTo('nobody', await log.endMark()), false, 'an empty log');
      await log.append(likes(3, 'u1'));
      await consume(log, { group: 'g', consumer: 'c1', handler: async () => {} });
      await drained(log, 'g');

      assert.equal(await log.handledUpTo('nobody', await log.endMark()), false);
    });

    it('counts a mark of an empty log, or of partitions nothing was appended to, handled', async function () {
      const log = await openLog({ partitions: 4 });
      await consume(log, { group: 'g', consumer: 'c1', handler: async () => {} });
      assert.equal(await log.handledUpTo('g', await log.endMark()), true, 'an empty log');
      await log.append(likes(3, 'u1'));
      await drained(log, 'g');

      assert.equal(await log.handledUpTo('g', await log.endMark()), true, 'one partition of four');
    });

    it('refuses a mark it cannot have taken, and a bad group name, naming them', async function () {
      const log = await openLog({ partitions: 2 });
      const mark = await log.endMark();
      const naming = (field: string) => (error: unknown) =>
        error instanceof InvalidArgumentError && error.field === field;

      await assert.rejects(log.handledUpTo('g', { ends: mark.ends.slice(1) }), naming('mark.ends'));
      await assert.rejects(
        log.handledUpTo('g', { ends: [mark.ends[0]!, 'not-a-position'] }),
        naming('mark.ends[1]'),
      );
      await assert.rejects(log.handledUpTo('has space', mark), naming('group'));
    });

    it("skips the history when a new group starts from the 'end'", async function () {
      const log = await openLog();
      await log.append(likes(5, 'u1', 'old'));
      const applied = new Applications();
      await consume(log, {
        group: 'late',
        consumer: 'c1',
        startFrom: 'end',
        handler: applied.handler,
      });

      await log.append(likes(3, 'u1', 'new'));

      await eventually('the new events are applied', () => applied.seen.length >= 3);
      await drained(log, 'late');
      assert.deepEqual(applied.ids(), ['new0', 'new1', 'new2']);
    });

    it('trims each partition to about maxLen, dropping the oldest entries', async function () {
      const log = await openLog({ partitions: 1, maxLen: 10 });
      const events = likes(500, 'u1');
      for (let start = 0; start < 500; start += 100)
        await log.append(events.slice(start, start + 100));
      const applied = new Applications();

      await consume(log, { group: 'g', consumer: 'c1', handler: applied.handler });

      await eventually('the newest event is applied', () => applied.count('e499') === 1);
      const kept = applied.ids();
      // Approximate trimming: Redis removes whole radix-tree nodes (100 entries by default).
      assert.ok(kept.length >= 10 && kept.length < 500, `${kept.length} entries kept`);
      assert.deepEqual(
        kept,
        events.slice(-kept.length).map((event) => event.eventId),
      );
    });

    it('logs as an error, naming the group and how many, what it never got because the length cap trimmed it first', async function () {
      const errors = new ErrorLines();
      const log = await openLog({ partitions: 1, maxLen: 10, logger: errors.logger });
      const applied = new Applications();
      await log.append(likes(5, 'u1', 'a'));
      const first = await consume(log, { group: 'g', consumer: 'c1', handler: applied.handler });
      await eventually('the first events are applied', () => applied.count('a4') === 1);
      await first.stop();
      // While the group is away, the cap trims entries it never read.
      for (let start = 0; start < 400; start += 100)
        await log.append(likes(100, 'u1', `b${start}-`));

      const back = await consume(log, { group: 'g', consumer: 'c1', handler: applied.handler });
      // A group created now starts at what is retained: nothing was taken from it.
      const late = new Applications();
      await consume(log, { group: 'late', consumer: 'c1', handler: late.handler });

      await eventually('the newest event is applied', () => applied.count('b300-99') === 1);
      await eventually('the newcomer applied it too', () => late.count('b300-99') === 1);
      const lost = 400 - (applied.seen.length - 5);
      assert.ok(lost > 0, 'the cap trimmed entries the group had not read');
      assert.equal(errors.trimmed('g'), lost, JSON.stringify(errors.lines));
      assert.equal(back.stats().trimmed, lost, 'counted in the stats the metrics read');
      assert.ok(
        errors.lines.some((fields) => fields['consumer'] === 'c1' && fields['partition'] === 0),
      );
      assert.equal(errors.trimmed('late'), 0);

      // Away again: only what it misses this time is added.
      await back.stop();
      const before = applied.seen.length;
      for (let start = 0; start < 400; start += 100)
        await log.append(likes(100, 'u1', `c${start}-`));
      await consume(log, { group: 'g', consumer: 'c1', handler: applied.handler });
      await eventually('the newest event is applied', () => applied.count('c300-99') === 1);
      assert.equal(errors.trimmed('g'), lost + 400 - (applied.seen.length - before));
    });

    it('logs what the cap trimmed while a consumer that kept up was busy in a slow handler', async function () {
      const errors = new ErrorLines();
      const log = await openLog({ partitions: 1, maxLen: 10, logger: errors.logger });
      const applied = new Applications();
      const release = gate();
      const busy = new Gate();
      const keeping = await consume(log, {
        group: 'g',
        consumer: 'c1',
        handler: async (event, delivery) => {
          if (event.eventId === 'slow') {
            busy.open();
            await release.opened;
          }
          applied.record(event, delivery);
        },
      });
      await log.append([like('slow', 'u1')]);
      await busy.opened;
      for (let start = 0; start < 400; start += 100)
        await log.append(likes(100, 'u1', `b${start}-`));
      // Longer than a round the consumer would take for a trickle: the log moved on meanwhile.
      await delay(1_100);
      release.open();

      await eventually('the newest event is applied', () => applied.count('b300-99') === 1);
      const lost = 400 - (applied.seen.length - 1);
      assert.ok(lost > 0, 'the cap trimmed entries the group had not read');
      assert.equal(errors.trimmed('g'), lost);
      assert.equal(keeping.stats().trimmed, lost);
    });

    it('logs an entry trimmed while it waited pending for its retry', async function () {
      const errors = new ErrorLines();
      const log = await openLog({ partitions: 1, maxLen: 10, logger: errors.logger });
      await log.append([like('failing', 'u1')]);
      await leavePending(log, 'c1', 1);
      await log.append(likes(300, 'u1'));
      const applied = new Applications();

      // Under the same name, as a restarted pod: its own pending entries first.
      const restarted = await consume(log, {
        group: 'g',
        consumer: 'c1',
        handler: applied.handler,
      });
      await eventually('the newest event is applied', () => applied.count('e299') === 1);

      assert.equal(applied.count('failing'), 0);
      assert.equal(errors.trimmed('g'), 1 + 300 - applied.seen.length);
      assert.equal(restarted.stats().trimmed, 1 + 300 - applied.seen.length);
      assert.deepEqual(await log.lag('g'), { undelivered: 0, pending: 0 });
    });

    it('reports nothing undelivered once a group the length cap outran has caught up', async function () {
      const log = await openLog({ partitions: 1, maxLen: 10 });
      const applied = new Applications();
      await log.append(likes(5, 'u1', 'a'));
      const first = await consume(log, { group: 'g', consumer: 'c1', handler: applied.handler });
      await eventually('the first events are applied', () => applied.count('a4') === 1);
      await first.stop();
      // While the group is away, the cap trims entries it never read.
      for (let start = 0; start < 400; start += 100)
        await log.append(likes(100, 'u1', `b${start}-`));
      await consume(log, { group: 'g', consumer: 'c1', handler: applied.handler });
      await eventually('the newest event is applied', () => applied.count('b300-99') === 1);
      await log.append(likes(50, 'u1', 'c'));
      await eventually('the last events are applied', () => applied.count('c49') === 1);
      await eventually('nothing is left undelivered', async () => {
        const lag = await log.lag('g');
        return lag.undelivered === 0 && lag.pending === 0;
      });
    });

    it('finishes and acknowledges the batch in hand when stopped', async function () {
      const log = await openLog({ partitions: 1 });
      await log.append(likes(10, 'u1'));
      const release = gate();
      const midBatch = new Gate();
      const applied = new Applications();
      const consumer = await consume(log, {
        group: 'g',
        consumer: 'c1',
        batchSize: 5,
        handler: async (event, delivery) => {
          if (event.eventId === 'e1') {
            midBatch.open();
            await release.opened;
          }
          applied.record(event, delivery);
        },
      });
      await midBatch.opened;

      const stopped = consumer.stop();
      release.open();
      await stopped;

      assert.deepEqual(applied.ids(), ['e0', 'e1', 'e2', 'e3', 'e4']);
      assert.deepEqual(await log.lag('g'), { undelivered: 5, pending: 0 });
    });

    it('rejects a batch with an event lacking event_id or payload, appending none of it', async function () {
      const log = await openLog();
      const applied = new Applications();
      await consume(log, { group: 'g', consumer: 'c1', handler: applied.handler });

      await assert.rejects(
        log.append([like('valid', 'u1'), like('', 'u1')]),
        (error: unknown) =>
          error instanceof InvalidArgumentError && error.field === 'events[1].event_id',
      );
      await assert.rejects(
        log.append([{ eventId: 'empty', atMs: 0, payload: undefined }]),
        (error: unknown) =>
          error instanceof InvalidArgumentError && error.field === 'events[0].payload',
      );
      await log.append([like('after', 'u1')]);

      await eventually('the later event is applied', () => applied.count('after') === 1);
      assert.deepEqual(applied.ids(), ['after']);
    });

    it('rejects a batch with an event that does not encode, naming the field, appending none of it', async function () {
      const log = await openLog({ partitions: 4 });
      const applied = new Applications();
      await consume(log, { group: 'g', consumer: 'c1', handler: applied.handler });
      // Events of other users, so on Redis the batch spans partitions.
      const valid = [like('valid0', 'u1'), like('valid1', 'u2'), like('valid2', 'u3')];

      await assert.rejects(
        log.append([...valid, { ...like('fractional', 'u4'), atMs: 1.5 }]),
        (error: unknown) =>
          error instanceof InvalidArgumentError && error.field === 'events[3].at_ms',
      );
      const impression: eventsv1.Event = {
        eventId: 'negative-position',
        atMs: 1_700_000_000_000,
        payload: {
          $case: 'impression',
          value: eventsv1.Impression.fromPartial({ userId: 'u5', postId: 'p1', position: -1 }),
        },
      };
      await assert.rejects(
        log.append([...valid, impression]),
        (error: unknown) =>
          error instanceof InvalidArgumentError &&
          error.field === 'events[3]' &&
          error.message.includes('-1'),
      );
      await log.append([like('after', 'u1')]);

      await eventually('the later event is applied', () => applied.count('after') === 1);
      assert.deepEqual(applied.ids(), ['after']);
      const history: string[] = [];
      for await (const event of log.history()) history.push(event.eventId);
      assert.deepEqual(history, ['after']);
    });

    it('refuses a consume still joining when the log closes, leaving no consumer running', async function () {
      const log = await openLog();
      await log.append([like('e0', 'u1')]);
      const applied = new Applications();

      const joining = log
        .consume({ ...QUICK, group: 'g', consumer: 'c1', handler: applied.handler })
        .then(
          (consumer) => {
            consumers.push(consumer);
            return consumer;
          },
          (error: unknown) => error,
        );
      await log.close();

      const outcome = await joining;
      assert.ok(outcome instanceof FailedPreconditionError, `consume gave ${String(outcome)}`);
      assert.deepEqual(log.consumers(), []);
    });

    it('refuses a history chunkSize or a dead-letter limit that is not a positive integer, naming it', async function () {
      const log = await openLog();
      await log.append(likes(3, 'u1'));
      for (const chunkSize of [0, -1, 1.5]) {
        await assert.rejects(
          async () => {
            for await (const event of log.history({ chunkSize })) assert.ok(event);
          },
          (error: unknown) => error instanceof InvalidArgumentError && error.field === 'chunkSize',
          `chunkSize ${chunkSize}`,
        );
      }
      for (const limit of [0, -1, 1.5]) {
        await assert.rejects(
          log.deadLetters('g', { limit }),
          (error: unknown) => error instanceof InvalidArgumentError && error.field === 'limit',
          `limit ${limit}`,
        );
      }
    });

    it('refuses a startFrom other than beginning or end, naming it', async function () {
      const log = await openLog();
      await assert.rejects(
        log.consume({
          group: 'g',
          consumer: 'c1',
          handler: async () => {},
          startFrom: 'now' as StartFrom,
        }),
        (error: unknown) => error instanceof InvalidArgumentError && error.field === 'startFrom',
      );
      assert.deepEqual(await log.groups(), [], 'no group was created');
    });

    it('rejects consumer names that cannot be part of a key', async function () {
      const log = await openLog();
      await assert.rejects(
        log.consume({ group: 'has space', consumer: 'c1', handler: async () => {} }),
        (error: unknown) => error instanceof InvalidArgumentError && error.field === 'group',
      );
      await assert.rejects(
        log.consume({ group: 'g', consumer: 'c1', handler: async () => {}, batchSize: 0 }),
        (error: unknown) => error instanceof InvalidArgumentError && error.field === 'batchSize',
      );
    });

    describe('dead letters, paged and redriven', function () {
      /**
       * A consumer of `group` that fails (once: maxDeliveries 1) every event whose id is in
       * `broken` and applies the others: the bug an operator fixes (empties `broken`) before
       * redriving.
       */
      async function breakingConsumer(
        log: EventLog,
        broken: Set<string>,
        options: { group?: string; consumer?: string; maxDeliveries?: number } = {},
      ): Promise<{ applied: Applications; consumer: Consumer }> {
        const applied = new Applications();
        const consumer = await consume(log, {
          group: options.group ?? 'g',
          consumer: options.consumer ?? 'c1',
          claimIdleMs: 50,
          maxDeliveries: options.maxDeliveries ?? 1,
          handler: async (event, delivery) => {
            if (broken.has(event.eventId)) throw new Error(`cannot apply ${event.eventId} yet`);
            applied.record(event, delivery);
          },
        });
        return { applied, consumer };
      }

      async function deadLettered(log: EventLog, count: number, group = 'g'): Promise<void> {
        await eventually(
          `${group} dead-lettered ${count}`,
          async () => (await log.deadLetters(group)).length === count,
        );
      }

      it('pages through the dead letters oldest first, each exactly once, a new one coming last', async function () {
        const log = await openLog();
        const events = Array.from({ length: 7 }, (_, i) => like(`e${i}`, `u${i}`));
        const broken = new Set([...events.map((event) => event.eventId), 'late']);
        await breakingConsumer(log, broken);
        await log.append(events);
        await deadLettered(log, 7);
        const everyOne = await log.deadLetters('g', { limit: 100 });

        const pages = [await log.deadLetters('g', { limit: 3 })];
        await log.append([like('late', 'u1')]);
        await deadLettered(log, 8);
        // Bounded: a log that ignored `after` would hand the same page for ever.
        for (let more = 0; more < 5; more++) {
          const after = pages.at(-1)!.at(-1)!.id;
          const page = await log.deadLetters('g', { after, limit: 3 });
          if (page.length === 0) break;
          pages.push(page);
        }

        assert.deepEqual(
          pages.map((page) => page.length),
          [3, 3, 2],
        );
        const paged = pages.flat();
        assert.deepEqual(
          paged.slice(0, 7).map((letter) => letter.id),
          everyOne.map((letter) => letter.id),
          'the pages, in order, are the whole list',
        );
        assert.equal(new Set(paged.map((letter) => letter.id)).size, 8);
        assert.equal(paged.at(-1)!.eventId, 'late');
        await assert.rejects(
          log.deadLetters('g', { after: 'nonsense' }),
          (error: unknown) => error instanceof InvalidArgumentError && error.field === 'after',
        );
      });

      it("redelivers a redriven dead letter to its own group only: that group's handler applies it, no other group's", async function () {
        // Short-lived markers: the other group would apply again what reached it again.
        const log = await openLog({ processedTtlMs: 200 });
        const events = likes(3, 'u1');
        const broken = new Set(['e1']);
        const { applied, consumer } = await breakingConsumer(log, broken);
        const other = new Applications();
        const otherConsumer = await consume(log, {
          group: 'other',
          consumer: 'o1',
          handler: other.handler,
        });
        await log.append(events);
        await deadLettered(log, 1);
        await drained(log, 'g');
        await drained(log, 'other');
        await eventually(
          "the other group's processed-marker of e1 expired",
          async () => !(await log.isProcessed('other', events[1]!)),
        );
        const [letter] = await log.deadLetters('g');
        assert.equal(letter?.eventId, 'e1');
        assert.equal(letter?.redrives, 0);

        broken.clear(); // the bug is fixed
        const redriven = await log.redriveDeadLetters('g', { ids: [letter!.id] });

        assert.deepEqual(redriven, [letter]);
        await eventually('g applies the redriven e1', () => applied.count('e1') === 1);
        await drained(log, 'g');
        await drained(log, 'other');
        assert.deepEqual(other.ids(), ['e0', 'e1', 'e2'], 'the other group got e1 once only');
        assert.deepEqual(applied.ids(), ['e0', 'e2', 'e1']);
        const { delivery } = applied.seen.at(-1)!;
        assert.deepEqual(
          {
            partition: delivery.partition,
            entryId: delivery.entryId,
            deliveries: delivery.deliveries,
          },
          { partition: letter!.partition, entryId: letter!.entryId, deliveries: 1 },
          'delivered where it sat in the log, its count started again',
        );
        assert.deepEqual(await log.deadLetters('g'), []);
        assert.equal((await log.groups()).find((group) => group.group === 'g')?.deadLetters, 0);
        assert.equal(consumer.stats().redriven, 1, 'counted where the metrics read it');
        assert.equal(otherConsumer.stats().redriven, 0);
      });

      it('dead-letters a redriven event that fails again, with its new attempt count', async function () {
        const log = await openLog({ partitions: 1 });
        await breakingConsumer(log, new Set(['e0']), { maxDeliveries: 2 });
        await log.append(likes(1, 'u1'));
        await deadLettered(log, 1);
        const [first] = await log.deadLetters('g');
        assert.equal(first?.deliveries, 2);

        await log.redriveDeadLetters('g', { all: true });

        await eventually('e0 is dead-lettered again', async () =>
          (await log.deadLetters('g')).some((letter) => letter.id !== first!.id),
        );
        const [again, ...more] = await log.deadLetters('g');
        assert.deepEqual(more, []);
        assert.notEqual(again?.id, first?.id);
        assert.deepEqual(
          {
            eventId: again?.eventId,
            entryId: again?.entryId,
            deliveries: again?.deliveries,
            redrives: again?.redrives,
            error: again?.error,
          },
          {
            eventId: 'e0',
            entryId: first?.entryId,
            deliveries: 2,
            redrives: 1,
            error: 'cannot apply e0 yet',
          },
        );
        await drained(log, 'g');
      });

      it('acknowledges a redriven event the group applied meanwhile, without its handler', async function () {
        const log = await openLog();
        const broken = new Set(['e0']);
        const { applied, consumer } = await breakingConsumer(log, broken);
        await log.append(likes(1, 'u1'));
        await deadLettered(log, 1);
        // Applied since by other means: a handler that set the marker itself.
        assert.equal(await log.markProcessed('g', like('e0', 'u1')), true);
        broken.clear();

        await log.redriveDeadLetters('g', { all: true });

        await eventually(
          'the redriven e0 is settled as a duplicate',
          () => consumer.stats().duplicates === 1,
        );
        await drained(log, 'g');
        assert.deepEqual(applied.ids(), []);
        assert.deepEqual(await log.deadLetters('g'), []);
      });

      it('redrives a dead letter once when two calls race for it, refusing the other naming it', async function () {
        const log = await openLog();
        const events = Array.from({ length: 4 }, (_, i) => like(`e${i}`, `u${i}`));
        const broken = new Set(events.map((event) => event.eventId));
        const { applied } = await breakingConsumer(log, broken);
        await log.append(events);
        await deadLettered(log, 4);
        const [first, ...rest] = await log.deadLetters('g');
        broken.clear();

        const byId = await Promise.allSettled([
          log.redriveDeadLetters('g', { ids: [first!.id] }),
          log.redriveDeadLetters('g', { ids: [first!.id] }),
        ]);
        const redrove = byId.filter((outcome) => outcome.status === 'fulfilled');
        const refused = byId.filter((outcome) => outcome.status === 'rejected');
        assert.equal(redrove.length, 1, 'exactly one call redrove it');
        assert.deepEqual(redrove[0]!.value, [first]);
        const error: unknown = refused[0]?.reason;
        assert.ok(error instanceof UnknownDeadLettersError, `refused with ${String(error)}`);
        assert.equal(error.field, 'ids');
        assert.deepEqual(error.ids, [first!.id]);
        assert.match(error.message, new RegExp(first!.id));

        const [left, right] = await Promise.all([
          log.redriveDeadLetters('g', { all: true }),
          log.redriveDeadLetters('g', { all: true }),
        ]);
        assert.deepEqual(
          [...left, ...right].map((letter) => letter.id).sort(),
          rest.map((letter) => letter.id).sort(),
          'every other dead letter redriven by one call or the other, none by both',
        );

        await eventually('every event is applied', () => applied.ids().length === 4);
        await drained(log, 'g');
        assert.deepEqual(applied.ids().sort(), ['e0', 'e1', 'e2', 'e3']);
        assert.deepEqual(await log.deadLetters('g'), []);
      });

      it('refuses ids that are not dead letters, naming them, and then redrives none of them', async function () {
        const log = await openLog();
        await breakingConsumer(log, new Set(['e0']));
        await log.append(likes(1, 'u1'));
        await deadLettered(log, 1);
        await drained(log, 'g');
        const [letter] = await log.deadLetters('g');

        await assert.rejects(
          log.redriveDeadLetters('g', { ids: [letter!.id, '123456789-0', 'nonsense'] }),
          (error: unknown) =>
            error instanceof UnknownDeadLettersError &&
            error.field === 'ids' &&
            error.group === 'g' &&
            [...error.ids].sort().join(' ') === '123456789-0 nonsense' &&
            /123456789-0/.test(error.message) &&
            /nonsense/.test(error.message),
        );
        assert.deepEqual(await log.deadLetters('g'), [letter], 'the known one stays dead');
        assert.deepEqual(await log.lag('g'), { undelivered: 0, pending: 0 });

        await assert.rejects(
          log.redriveDeadLetters('nobody', { all: true }),
          (error: unknown) => error instanceof NotFoundError && error.id === 'nobody',
        );
        const selections: [RedriveSelection, string][] = [
          [{}, 'ids'],
          [{ ids: [] }, 'ids'],
          [{ ids: [letter!.id], all: true }, 'ids'],
          [{ ids: [letter!.id], limit: 1 }, 'limit'],
          [{ all: true, limit: 0 }, 'limit'],
        ];
        for (const [selection, field] of selections) {
          await assert.rejects(
            log.redriveDeadLetters('g', selection),
            (error: unknown) => error instanceof InvalidArgumentError && error.field === field,
            JSON.stringify(selection),
          );
        }
        assert.deepEqual(await log.deadLetters('g'), [letter]);
      });

      it('counts redriven dead letters in the lag, and hands them over ahead of what was appended after them', async function () {
        const log = await openLog({ partitions: 2 });
        const { consumer: breaking } = await breakingConsumer(log, new Set(['e0', 'e1']));
        await log.append(likes(2, 'u1'));
        await deadLettered(log, 2);
        await breaking.stop();

        const redriven = await log.redriveDeadLetters('g', { all: true, limit: 1 });

        assert.deepEqual(
          redriven.map((letter) => letter.eventId),
          ['e0'],
        );
        assert.deepEqual(await log.lag('g'), { undelivered: 1, pending: 0 });
        const status = (await log.groups()).find((group) => group.group === 'g');
        assert.deepEqual([status?.undelivered, status?.deadLetters], [1, 1]);
        await log.append([like('later', 'u1'), like('later-elsewhere', 'u2')]);
        const applied = new Applications();
        await consume(log, { group: 'g', consumer: 'c2', handler: applied.handler });
        await drained(log, 'g');
        assert.equal(applied.ids()[0], 'e0');
        assert.deepEqual(applied.ids().slice(1).sort(), ['later', 'later-elsewhere']);
      });

      it('lets another consumer finish a redriven dead letter a crashed one left pending, applying it once', async function () {
        const log = await openLog({ partitions: 1 });
        const { consumer: breaking } = await breakingConsumer(log, new Set(['e0']));
        await log.append(likes(1, 'u1'));
        await deadLettered(log, 1);
        await breaking.stop();
        const crash = gate();
        const hung = new Gate();
        const doomed = await consume(log, {
          group: 'g',
          consumer: 'doomed',
          handler: async () => {
            hung.open();
            await crash.opened;
            throw new Error('crashed');
          },
        });

        await log.redriveDeadLetters('g', { all: true });
        await hung.opened;
        const applied = new Applications();
        const survivor = await consume(log, {
          group: 'g',
          consumer: 'survivor',
          claimIdleMs: 150,
          handler: applied.handler,
        });

        await eventually('the survivor applies e0', () => applied.count('e0') === 1);
        await drained(log, 'g');
        crash.open();
        await doomed.stop();
        assert.deepEqual(applied.ids(), ['e0']);
        assert.equal(survivor.stats().reclaimed, 1);
        assert.deepEqual(await log.deadLetters('g'), []);
        assert.deepEqual(await log.lag('g'), { undelivered: 0, pending: 0 });
      });

      it('hands a redriven dead letter to a batch handler in a batch of its partition', async function () {
        const log = await openLog();
        await log.append(likes(3, 'u1'));
        const batches = new Batches();
        let broken = true;
        await consume(log, {
          group: 'g',
          consumer: 'c1',
          maxDeliveries: 1,
          batchHandler: async (batch, deliveries) => {
            const poison = broken ? batch.findIndex((event) => event.eventId === 'e1') : -1;
            batches.record(
              batch.filter((_, i) => i !== poison),
              deliveries.filter((_, i) => i !== poison),
            );
            return poison < 0 ? [] : [{ index: poison, error: new Error('poison') }];
          },
        });
        await deadLettered(log, 1);
        const [letter] = await log.deadLetters('g');
        broken = false;

        await log.redriveDeadLetters('g', { ids: [letter!.id] });

        await eventually('the batch handler applies e1', () => batches.count('e1') === 1);
        await drained(log, 'g');
        assert.deepEqual(batches.received.at(-1)!.events, [like('e1', 'u1')]);
        assert.equal(batches.deliveryOf('e1')?.partition, letter!.partition);
        assert.equal(await log.isProcessed('g', like('e1', 'u1')), true);
      });
    });

    describe('in batch mode', function () {
      it('hands each read over at once: one partition, in append order, at most batchSize', async function () {
        const log = await openLog({ partitions: 4 });
        const events = Array.from({ length: 40 }, (_, index) => like(`e${index}`, `u${index % 5}`));
        await log.append(events);
        const batches = new Batches();

        const consumer = await consume(log, {
          group: 'g',
          consumer: 'c1',
          batchHandler: batches.handler,
          batchSize: 7,
        });

        await drained(log, 'g');
        assert.deepEqual([...batches.ids()].sort(), events.map((event) => event.eventId).sort());
        for (const { events: batch, deliveries } of batches.received) {
          assert.ok(batch.length >= 1 && batch.length <= 7, `a batch of ${batch.length}`);
          assert.equal(new Set(deliveries.map((d) => d.partition)).size, 1, 'mixed partitions');
          assert.ok(deliveries.every((d) => d.deliveries === 1 && d.consumer === 'c1'));
        }
        for (let partition = 0; partition < 4; partition++) {
          const appendedHere = events.filter((event) => partitionOf(event, 4) === partition);
          const appliedHere = batches.received
            .filter(({ deliveries }) => deliveries[0]?.partition === partition)
            .flatMap(({ events: batch }) => batch);
          assert.deepEqual(appliedHere, appendedHere, `partition ${partition}`);
        }
        assert.equal(consumer.stats().processed, 40);
      });

      it('reads a backlog in batches of batchSize, not only the few entries a trickle brings', async function () {
        const log = await openLog({ partitions: 2 });
        const batches = new Batches();
        await consume(log, {
          group: 'g',
          consumer: 'c1',
          batchHandler: batches.handler,
          batchSize: 500,
        });
        // One user's likes share a partition: 1,200 at once into a consumer that sat idle.
        await delay(50);
        await log.append(likes(1_200, 'u1'));
        await eventually('all 1,200 are applied', () => batches.ids().length === 1_200);
        const sizes = batches.received.map(({ events }) => events.length);
        assert.ok(Math.max(...sizes) > 100, `batches of ${sizes.join(', ')}`);
        assert.ok(Math.max(...sizes) <= 500, `batches of ${sizes.join(', ')}`);
        assert.deepEqual(
          batches.ids(),
          likes(1_200, 'u1').map((event) => event.eventId),
        );
      });

      it('inOrder: a one-event handler applies each read in log order; a poison event is retried and dead-lettered alone', async function () {
        const log = await openLog({ partitions: 1 });
        const events = likes(5, 'u1');
        await log.append(events);
        const applied = new Applications();
        let attempts = 0;
        const consumer = await consume(log, {
          group: 'g',
          consumer: 'c1',
          claimIdleMs: 50,
          maxDeliveries: 2,
          batchSize: 10,
          batchHandler: inOrder(async (event, delivery) => {
            if (event.eventId === 'e2') {
              attempts += 1;
              throw new Error(`poison, attempt ${attempts}`);
            }
            applied.record(event, delivery);
          }),
        });

        await eventually(
          'e2 is dead-lettered',
          async () => (await log.deadLetters('g')).length === 1,
        );
        await drained(log, 'g');
        assert.deepEqual(applied.ids(), ['e0', 'e1', 'e3', 'e4'], 'the others once, in order');
        const [deadLetter] = await log.deadLetters('g');
        assert.equal(deadLetter?.eventId, 'e2');
        assert.equal(deadLetter?.error, 'poison, attempt 2');
        assert.equal(attempts, 2);
        assert.equal(consumer.stats().processed, 4);
      });

      it('only acknowledges with marksProcessed: the events the handler marked are skipped again, the others handed over again', async function () {
        const log = await openLog({ partitions: 1 });
        const batches = new Batches();
        const consumer = await consume(log, {
          group: 'g',
          consumer: 'c1',
          marksProcessed: true,
          batchHandler: async (events, deliveries) => {
            // The handler marks what it applies (atomically with its writes, in a real one).
            for (const event of events) {
              if (event.eventId !== 'unmarked') await log.markProcessed('g', event);
            }
            return batches.handler(events, deliveries);
          },
        });
        await log.append([like('marked', 'u1'), like('unmarked', 'u1')]);
        await drained(log, 'g');
        assert.equal(await log.isProcessed('g', like('unmarked', 'u1')), false);
        // Published again: the marked one is a duplicate, the unmarked one applied again.
        await log.append([like('marked', 'u1'), like('unmarked', 'u1')]);
        await drained(log, 'g');
        assert.deepEqual(batches.ids(), ['marked', 'unmarked', 'unmarked']);
        assert.equal(consumer.stats().duplicates, 1);
      });

      for (const option of ['marksProcessed', 'overlapBatches'] as const) {
        it(`refuses ${option} for a handler of one event at a time, naming it`, async function () {
          const log = await openLog();
          await assert.rejects(
            log.consume({
              group: 'g',
              consumer: 'c1',
              handler: async () => {},
              [option]: true,
            }),
            (error: unknown) => error instanceof InvalidArgumentError && error.field === option,
          );
        });
      }

      it('with overlapBatches, hands in a backlog’s next batch while the last is handled, two at most, each event once', async function () {
        const log = await openLog({ partitions: 4 });
        const events = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'].flatMap((user) =>
          likes(5, user, `${user}-`),
        );
        await log.append(events);
        const batches = new Batches();
        let inFlight = 0;
        let most = 0;
        await consume(log, {
          group: 'g',
          consumer: 'c1',
          batchSize: 2,
          overlapBatches: true,
          batchHandler: async (batch, deliveries) => {
            inFlight += 1;
            most = Math.max(most, inFlight);
            batches.record(batch, deliveries);
            await new Promise((resolve) => setTimeout(resolve, 5));
            inFlight -= 1;
          },
        });
        await drained(log, 'g');
        assert.deepEqual(batches.ids().sort(), events.map((event) => event.eventId).sort());
        assert.equal(most, 2);
      });

      it('with overlapBatches, finishes the batches it handed in and the read it sent when stopped', async function () {
        const log = await openLog({ partitions: 4 });
        const events = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'].flatMap((user) =>
          likes(5, user, `${user}-`),
        );
        await log.append(events);
        const batches = new Batches();
        const started = new Gate();
        const consumer = await consume(log, {
          group: 'g',
          consumer: 'c1',
          batchSize: 2,
          overlapBatches: true,
          batchHandler: async (batch, deliveries) => {
            batches.record(batch, deliveries);
            if (batches.received.length === 3) started.open();
            await new Promise((resolve) => setTimeout(resolve, 20));
          },
        });
        await started.opened;
        await consumer.stop();
        const { pending } = await log.lag('g');
        assert.equal(pending, 0);
        const ids = batches.ids();
        assert.equal(new Set(ids).size, ids.length);
        assert.ok(ids.length < events.length, `${ids.length} of ${events.length} handed in`);
      });

      it('settles events the group already applied, and repeats within a read, as duplicates', async function () {
        const log = await openLog({ partitions: 1 });
        const batches = new Batches();
        assert.equal(await log.markProcessed('g', like('pre-applied', 'u1')), true);
        await log.append([
          like('pre-applied', 'u1'),
          like('a', 'u1'),
          like('a', 'u1'),
          like('b', 'u1'),
        ]);

        const consumer = await consume(log, {
          group: 'g',
          consumer: 'c1',
          batchHandler: batches.handler,
        });

        await drained(log, 'g');
        assert.deepEqual(batches.ids(), ['a', 'b']);
        assert.deepEqual(consumer.stats(), {
          processed: 2,
          duplicates: 2,
          failed: 0,
          deadLettered: 0,
          reclaimed: 0,
          resumed: 0,
          trimmed: 0,
          redriven: 0,
        });
        assert.equal(await log.isProcessed('g', like('a', 'u1')), true);
      });

      it('acknowledges what the handler applied and redelivers only the events it reports failed', async function () {
        const log = await openLog({ partitions: 1 });
        await log.append(likes(5, 'u1'));
        const batches = new Batches();
        let failedOnce = false;
        const flaky = await consume(log, {
          group: 'g',
          consumer: 'flaky',
          batchHandler: async (events, deliveries) => {
            const index = events.findIndex((event) => event.eventId === 'e1');
            const applied = events.filter((_, i) => failedOnce || i !== index);
            batches.record(
              applied,
              deliveries.filter((_, i) => failedOnce || i !== index),
            );
            if (index < 0 || failedOnce) return;
            failedOnce = true;
            return [{ index, error: new Error('transient failure') }];
          },
        });

        await eventually('only e1 is pending', async () => {
          const { undelivered, pending } = await log.lag('g');
          return undelivered === 0 && pending === 1;
        });
        assert.deepEqual(batches.ids(), ['e0', 'e2', 'e3', 'e4']);
        assert.equal(flaky.stats().failed, 1);

        const rescuer = await consume(log, {
          group: 'g',
          consumer: 'rescuer',
          batchHandler: batches.handler,
          claimIdleMs: 100,
        });

        await drained(log, 'g');
        assert.equal(batches.count('e1'), 1);
        assert.deepEqual(
          {
            consumer: batches.deliveryOf('e1')?.consumer,
            deliveries: batches.deliveryOf('e1')?.deliveries,
          },
          { consumer: 'rescuer', deliveries: 2 },
        );
        assert.equal(rescuer.stats().reclaimed, 1);
      });

      it('leaves the whole read pending when the batch handler throws, then applies it once', async function () {
        const log = await openLog({ partitions: 1 });
        await log.append(likes(3, 'u1'));
        const batches = new Batches();
        let calls = 0;
        const consumer = await consume(log, {
          group: 'g',
          consumer: 'c1',
          claimIdleMs: 50,
          batchHandler: async (events, deliveries) => {
            calls += 1;
            if (calls === 1) throw new Error('redis went away');
            batches.record(events, deliveries);
          },
        });

        await drained(log, 'g');
        assert.deepEqual(batches.ids(), ['e0', 'e1', 'e2']);
        assert.ok(
          batches.received.every(({ deliveries }) => deliveries.every((d) => d.deliveries === 2)),
        );
        assert.deepEqual(consumer.stats(), {
          processed: 3,
          duplicates: 0,
          failed: 3,
          deadLettered: 0,
          reclaimed: 3,
          resumed: 0,
          trimmed: 0,
          redriven: 0,
        });
      });

      it('dead-letters an event reported failed maxDeliveries times and goes on with the others', async function () {
        const log = await openLog({ partitions: 1 });
        const events = likes(3, 'u1');
        await log.append(events);
        const batches = new Batches();
        const consumer = await consume(log, {
          group: 'g',
          consumer: 'c1',
          claimIdleMs: 50,
          maxDeliveries: 3,
          batchHandler: async (batch, deliveries) => {
            const poison = batch.findIndex((event) => event.eventId === 'e1');
            batches.record(
              batch.filter((_, i) => i !== poison),
              deliveries.filter((_, i) => i !== poison),
            );
            return poison < 0 ? [] : [{ index: poison, error: new Error('poison') }];
          },
        });

        await eventually(
          'e1 is dead-lettered',
          async () => (await log.deadLetters('g')).length === 1,
        );
        const [deadLetter] = await log.deadLetters('g');
        assert.deepEqual(
          {
            eventId: deadLetter?.eventId,
            error: deadLetter?.error,
            deliveries: deadLetter?.deliveries,
          },
          { eventId: 'e1', error: 'poison', deliveries: 3 },
        );
        await drained(log, 'g');
        assert.deepEqual(batches.ids(), ['e0', 'e2']);
        assert.equal(consumer.stats().deadLettered, 1);
        assert.equal(consumer.stats().failed, 3);
        assert.equal(await log.isProcessed('g', events[1]!), false);
      });

      it('retries an event whose store was unavailable at once, without counting it failed', async function () {
        // claimIdleMs is a minute: only the read back after a store failure can finish in time.
        const log = await openLog({ partitions: 1 });
        await log.append(likes(4, 'u1'));
        const seen: { eventId: string; deliveries: number }[] = [];
        let down = true;
        const consumer = await consume(log, {
          group: 'g',
          consumer: 'c1',
          batchHandler: async (events, deliveries) => {
            events.forEach((event, i) =>
              seen.push({ eventId: event.eventId, deliveries: deliveries[i]!.deliveries }),
            );
            const failures = events.flatMap((event, index) =>
              down && event.eventId === 'e2'
                ? [{ index, error: new UnavailableError('redis', 'connection is closed') }]
                : [],
            );
            down = false;
            return failures;
          },
        });
        await drained(log, 'g');
        assert.deepEqual(seen, [
          { eventId: 'e0', deliveries: 1 },
          { eventId: 'e1', deliveries: 1 },
          { eventId: 'e2', deliveries: 1 },
          { eventId: 'e3', deliveries: 1 },
          { eventId: 'e2', deliveries: 1 },
        ]);
        const { processed, failed, resumed, deadLettered } = consumer.stats();
        assert.deepEqual(
          { processed, failed, resumed, deadLettered },
          { processed: 4, failed: 0, resumed: 1, deadLettered: 0 },
        );
      });

      it('applies a backlog read ahead of a batch whose store was unavailable, each event once', async function () {
        // claimIdleMs is a minute: only the read back after a store failure can finish in time.
        const log = await openLog({ partitions: 4 });
        const events = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'].flatMap((user) =>
          likes(4, user, `${user}-`),
        );
        await log.append(events);
        const batches = new Batches();
        let calls = 0;
        const consumer = await consume(log, {
          group: 'g',
          consumer: 'c1',
          // Reads fill up: after its first round the consumer reads a partition at a time, the
          // next one ahead, as the sixth batch fails.
          batchSize: 2,
          batchHandler: async (batch, deliveries) => {
            calls += 1;
            if (calls === 6) throw new UnavailableError('redis', 'connection is closed');
            batches.record(batch, deliveries);
          },
        });
        await drained(log, 'g');
        assert.deepEqual(batches.ids().sort(), events.map((event) => event.eventId).sort());
        const { processed, failed, resumed } = consumer.stats();
        assert.deepEqual({ processed, failed }, { processed: events.length, failed: 0 });
        assert.ok(resumed >= 2, `resumed ${resumed}`);
      });

      it('leaves the read pending when the handler reports a failure it was never given', async function () {
        const log = await openLog({ partitions: 1 });
        await log.append(likes(2, 'u1'));
        const reported = new Gate();
        const consumer = await consume(log, {
          group: 'g',
          consumer: 'c1',
          batchHandler: async () => {
            reported.open();
            return [{ index: 2, error: new Error('no such event') }];
          },
        });
        await reported.opened;

        await eventually('the failure is counted', () => consumer.stats().failed === 2);
        assert.deepEqual(await log.lag('g'), { undelivered: 0, pending: 2 });
        assert.equal(consumer.stats().processed, 0);
      });

      it('finishes and acknowledges the read in hand when stopped', async function () {
        const log = await openLog({ partitions: 1 });
        await log.append(likes(10, 'u1'));
        const release = gate();
        const inHand = new Gate();
        const batches = new Batches();
        const consumer = await consume(log, {
          group: 'g',
          consumer: 'c1',
          batchSize: 5,
          batchHandler: async (events, deliveries) => {
            inHand.open();
            await release.opened;
            batches.record(events, deliveries);
          },
        });
        await inHand.opened;

        const stopped = consumer.stop();
        release.open();
        await stopped;

        assert.deepEqual(batches.ids(), ['e0', 'e1', 'e2', 'e3', 'e4']);
        assert.deepEqual(await log.lag('g'), { undelivered: 5, pending: 0 });
      });

      it('refuses options with both handlers, or neither', async function () {
        const log = await openLog();
        const isHandlerError = (error: unknown) =>
          error instanceof InvalidArgumentError && error.field === 'handler';
        const both = {
          group: 'g',
          consumer: 'c1',
          handler: async () => {},
          batchHandler: async () => {},
        } as unknown as ConsumeOptions;
        await assert.rejects(log.consume(both), isHandlerError);
        const neither = { group: 'g', consumer: 'c1' } as unknown as ConsumeOptions;
        await assert.rejects(log.consume(neither), isHandlerError);
      });
    });

    it('stops its consumers on close and refuses to append afterwards', async function () {
      const log = await openLog();
      const applied = new Applications();
      const consumer = await consume(log, { group: 'g', consumer: 'c1', handler: applied.handler });
      await log.append([like('before', 'u1')]);
      await eventually('the event is applied', () => applied.count('before') === 1);

      await log.close();

      await consumer.stop();
      await assert.rejects(log.append([like('after', 'u1')]), FailedPreconditionError);
    });
  });
}
