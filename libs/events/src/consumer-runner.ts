import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { eventsv1 } from '@feedmesh/contracts';
import { InvalidArgumentError, UnavailableError } from '@feedmesh/errors';
import type {
  BatchEventHandler,
  BatchFailure,
  ConsumeOptions,
  Consumer,
  ConsumerStats,
  Delivery,
  EventHandler,
  EventLogLogger,
  StartFrom,
} from './event-log.js';
import { MIN_CONSUMER_TIMEOUT_MS, type LogSettings } from './log-settings.js';

/**
 * The group's redrive stream: the dead letters an operator redrove
 * (`EventLog.redriveDeadLetters`), which the group's consumers read besides the partitions.
 */
export const REDRIVEN = 'redriven';

/** Where entries are read from: a partition of the log (its index), or the redrive stream. */
export type EntrySource = number | typeof REDRIVEN;

/** Where a redriven dead letter came from. */
export interface RedriveOrigin {
  /** The entry's id in its partition, where it was first appended. */
  readonly entryId: string;
  /** Times it has been redriven, this one included. */
  readonly redrives: number;
}

/** One entry of a partition, or of the group's redrive stream, as delivered to a consumer. */
export interface StreamEntry {
  /** The event's partition (a redriven one's too): its processed-marker's. */
  readonly partition: number;
  /** Its id in the stream it was read from, which settling it acknowledges. */
  readonly id: string;
  readonly eventId: string;
  /** The stored bytes, copied as they are to the dead-letter stream. */
  readonly bytes: Uint8Array;
  /** Undefined when `bytes` do not decode. */
  readonly event: eventsv1.Event | undefined;
  readonly deliveries: number;
  /** Set for an entry of the group's redrive stream. */
  readonly redriven?: RedriveOrigin;
}

/**
 * Entries of a partition the log's length cap trimmed before the group handled them (see
 * `EventLogOptions.maxLen`).
 */
export interface TrimmedEntries {
  readonly partition: number;
  readonly count: number;
}

/** A read of entries never delivered to the group, now pending for the consumer. */
export interface NewEntries {
  readonly entries: StreamEntry[];
  /**
   * Per partition, the entries the group was never delivered because the length cap trimmed
   * them first, when the read jumped over them; none where the log cannot tell.
   */
  readonly trimmed: readonly TrimmedEntries[];
}

/** Pending entries delivered again, now pending for the consumer. */
export interface RedeliveredEntries {
  readonly entries: StreamEntry[];
  /** Pending entries found trimmed from the partition meanwhile: dropped from the pending list. */
  readonly trimmed: number;
}

export interface ClaimedEntries extends RedeliveredEntries {
  /** Where the next scan of the pending list resumes; undefined once it went all the way. */
  readonly cursor: string | undefined;
}

/** No entry trimmed. */
export const NONE_TRIMMED: readonly TrimmedEntries[] = [];

/**
 * One consumer's read of new entries: `readNew` of every partition at once (one command on a
 * standalone Redis, one per partition on a Cluster), then, when none held anything, a wait
 * for the next append (a blocking read, or on a Cluster the doorbell appends ring), so an
 * idle consumer neither polls nor waits a poll interval to see what was just appended.
 */
export interface NewEntryWaiter {
  /**
   * Whether its reads also bring the group's redriven dead letters (as `readRedriven` does),
   * so that a redrive wakes it; else the consumer looks at the redrive stream itself.
   */
  readonly readsRedriven: boolean;
  /**
   * Up to `count` entries of each partition never delivered to the group, now pending for the
   * consumer; when there are none, waits up to `timeoutMs` (0: not at all) for the first, and
   * resolves with none if none came.
   */
  readNew(count: number, timeoutMs: number): Promise<NewEntries>;
  /** Ends a wait in progress (the entries it was handed are returned) and every later one. */
  close(): Promise<void>;
}

/** The store operations a consumer runs; each EventLog implementation provides them. */
export interface GroupStreams {
  readonly partitions: number;
  /**
   * A waiter for one consumer; undefined where the log cannot wait for an append (none of the
   * logs here): the consumer then reads again every `pollIntervalMs`. `onDropped` is called
   * when the connection it waits on dropped with a read in flight (see
   * `ConsumerRunner.connectionDropped`).
   */
  waiter(group: string, consumer: string, onDropped: () => void): NewEntryWaiter | undefined;
  /** Creates the group in every partition that lacks it; leaves existing ones alone. */
  createGroup(group: string, startFrom: StartFrom): Promise<void>;
  /** Up to `count` entries never delivered to the group, now pending for `consumer`. */
  readNew(partition: number, group: string, consumer: string, count: number): Promise<NewEntries>;
  /**
   * Up to `count` of the group's redriven dead letters not delivered again yet, now pending
   * for `consumer` (in its redrive stream). The group exists there once `createGroup` ran.
   */
  readRedriven(group: string, consumer: string, count: number): Promise<StreamEntry[]>;
  /**
   * Up to `count` of the entries of `source` pending for `consumer` itself, after `cursor`
   * (from the start when undefined), delivered to it again whatever their idle time: what a
   * consumer left unsettled when it stopped, crashed or lost the store. `counted`: whether
   * this delivery adds to each entry's count (not when the store, not the handler, failed).
   */
  readOwnPending(
    source: EntrySource,
    group: string,
    consumer: string,
    count: number,
    cursor: string | undefined,
    counted: boolean,
  ): Promise<ClaimedEntries>;
  /**
   * Up to `count` entries of `source` pending for at least `minIdleMs`, now pending for
   * `consumer`.
   */
  claimIdle(
    source: EntrySource,
    group: string,
    consumer: string,
    minIdleMs: number,
    count: number,
    cursor: string | undefined,
  ): Promise<ClaimedEntries>;
  /**
   * Records that `consumer` is alive (its heartbeat): it counts as silent once `timeoutMs`
   * pass without another, by the store's clock. Each consumer's own timeout decides.
   */
  beat(group: string, consumer: string, timeoutMs: number): Promise<void>;
  /** The consumers of `group` silent now: their last beat's timeout has passed. */
  silentConsumers(group: string): Promise<string[]>;
  /**
   * Up to `count` entries of `source` pending for `owner` for at least `minIdleMs`, now
   * pending for `consumer`, each delivery counted.
   */
  takeOver(
    source: EntrySource,
    group: string,
    owner: string,
    consumer: string,
    minIdleMs: number,
    count: number,
  ): Promise<RedeliveredEntries>;
  /**
   * Removes `consumer` from `group` in every partition (and the redrive stream) where nothing
   * is pending for it; once that is all of them, also its beat (with `onlyIfSilent`, only if
   * it is still silent: it may have come back). True when it is gone from the group.
   */
  forget(group: string, consumer: string, onlyIfSilent: boolean): Promise<boolean>;
  isProcessed(group: string, partition: number, eventId: string): Promise<boolean>;
  /** `isProcessed` for several events of one partition, in one round trip. */
  areProcessed(group: string, partition: number, eventIds: readonly string[]): Promise<boolean[]>;
  /**
   * Sets the entry's processed-marker (if not set) and acknowledges it. A redriven entry's
   * marker is set first, then it is acknowledged (and removed from the redrive stream).
   */
  settle(group: string, entry: StreamEntry): Promise<void>;
  /**
   * `settle` for several entries of one partition, all from the log or all redriven,
   * atomically (a redriven batch: its markers, then its acknowledgement), in a round trip or
   * two; with `mark` false only the acknowledgement (the handler set the markers).
   */
  settleAll(
    group: string,
    partition: number,
    entries: readonly StreamEntry[],
    mark: boolean,
  ): Promise<void>;
  /**
   * Copies the entry to the group's dead-letter stream, then acknowledges it (a redriven one
   * atomically, recording one more redrive).
   */
  deadLetter(group: string, consumer: string, entry: StreamEntry, error: string): Promise<void>;
}

interface ConsumerSettings {
  readonly group: string;
  readonly consumer: string;
  /** Exactly one of the two is set. */
  readonly handler: EventHandler | undefined;
  readonly batchHandler: BatchEventHandler | undefined;
  readonly batchSize: number;
  readonly pollIntervalMs: number;
  readonly claimIdleMs: number;
  readonly consumerTimeoutMs: number;
  readonly maxDeliveries: number;
  readonly startFrom: StartFrom;
  readonly marksProcessed: boolean;
  readonly overlapBatches: boolean;
}

/** The longest group or consumer name the log takes. */
export const NAME_MAX_LENGTH = 64;
/** What the log says of a group or consumer name it refuses (see `isValidName`). */
export const NAME_RULE = `must be 1-${NAME_MAX_LENGTH} characters of [A-Za-z0-9_.:-]`;
const NAME = new RegExp(`^[A-Za-z0-9_.:-]{1,${NAME_MAX_LENGTH}}$`);

/**
 * Group and consumer names become part of Redis keys, so they are kept to a safe alphabet.
 * Exported so a service can check its CONSUMER_NAME at start rather than at its first consume.
 */
export function isValidName(name: string): boolean {
  return NAME.test(name);
}

export function checkName(field: string, name: string): void {
  if (!isValidName(name)) throw new InvalidArgumentError(field, NAME_RULE);
}

function positiveInteger(
  field: string,
  value: number | undefined,
  fallback: number,
  min = 1,
): number {
  const chosen = value ?? fallback;
  if (!Number.isSafeInteger(chosen) || chosen < min) {
    throw new InvalidArgumentError(
      field,
      min === 1 ? 'must be a positive integer' : `must be an integer of at least ${min}`,
    );
  }
  return chosen;
}

/**
 * The options checked, defaults filled in; `claimIdleMs` and `consumerTimeoutMs` fall back to
 * the log's, then 60 s and 15 s.
 */
function settingsFrom(
  options: ConsumeOptions,
  log: Pick<LogSettings, 'claimIdleMs' | 'consumerTimeoutMs'>,
): ConsumerSettings {
  checkName('group', options.group);
  checkName('consumer', options.consumer);
  // Checked at run time too: JavaScript callers are not held to the union type.
  if ((options.handler === undefined) === (options.batchHandler === undefined)) {
    throw new InvalidArgumentError(
      'handler',
      'exactly one of handler and batchHandler must be set',
    );
  }
  if (options.marksProcessed === true && options.batchHandler === undefined) {
    throw new InvalidArgumentError('marksProcessed', 'is for a batchHandler only');
  }
  if (options.overlapBatches === true && options.batchHandler === undefined) {
    throw new InvalidArgumentError('overlapBatches', 'is for a batchHandler only');
  }
  // Checked at run time too: on Redis anything but `end` would start at the beginning.
  const startFrom: unknown = options.startFrom ?? 'beginning';
  if (startFrom !== 'beginning' && startFrom !== 'end') {
    throw new InvalidArgumentError('startFrom', "must be 'beginning' or 'end'");
  }
  return {
    group: options.group,
    consumer: options.consumer,
    handler: options.handler,
    batchHandler: options.batchHandler,
    batchSize: positiveInteger('batchSize', options.batchSize, 100),
    pollIntervalMs: positiveInteger('pollIntervalMs', options.pollIntervalMs, 100),
    claimIdleMs: positiveInteger('claimIdleMs', options.claimIdleMs, log.claimIdleMs ?? 60_000),
    consumerTimeoutMs: positiveInteger(
      'consumerTimeoutMs',
      options.consumerTimeoutMs,
      log.consumerTimeoutMs ?? 15_000,
      MIN_CONSUMER_TIMEOUT_MS,
    ),
    maxDeliveries: positiveInteger('maxDeliveries', options.maxDeliveries, 5),
    startFrom,
    marksProcessed: options.marksProcessed ?? false,
    overlapBatches: options.overlapBatches ?? false,
  };
}

const MAX_BACKOFF_MS = 5_000;

/**
 * The longest an idle consumer waits in one blocking read. Its timed work (taking over idle
 * entries, retrying its own) shortens the wait; this only bounds how long a read is held
 * open on a connection that might have gone quiet.
 */
export const MAX_WAIT_MS = 5_000;

/**
 * Entries per partition of a read of every partition at once: enough for a trickle; a read
 * that fills it means a backlog, read a partition at a time in full batches. One read of
 * `batchSize` from every partition would hold partitions × batchSize decoded events at once.
 */
const ALL_PARTITIONS_COUNT = 100;

/**
 * A round that took this long reads each partition next (see `backlog`): the log may have
 * appended and trimmed meanwhile.
 */
const SLOW_ROUND_MS = 1_000;

/**
 * How often a busy consumer looks at its group's redrive stream, unless its reads bring the
 * redriven dead letters anyway (`NewEntryWaiter.readsRedriven`). An idle one looks each time
 * its wait ends (at most MAX_WAIT_MS).
 */
const REDRIVE_CHECK_MS = 1_000;

/** A promise's outcome held as a value (never an unhandled rejection while it waits). */
type Settled<T> = { readonly value: T } | { readonly error: unknown };

/**
 * One consumer of a group: reads new entries of every partition (in one blocking read where
 * the log has a `NewEntryWaiter`, else one partition at a time, sleeping `pollIntervalMs`
 * after a round that found nothing), takes over entries left pending too long or by a
 * consumer that stopped beating, and hands events to the handler one at a time, in partition
 * order (or each partition's read at once to a batch handler). Store failures
 * never escape: the loop logs them, backs off and retries (re-creating the group, which a
 * Redis restarted without persistence has lost), so a Redis outage pauses consumption.
 */
export class ConsumerRunner implements Consumer {
  private readonly counts = {
    processed: 0,
    duplicates: 0,
    failed: 0,
    deadLettered: 0,
    reclaimed: 0,
    resumed: 0,
    trimmed: 0,
    redriven: 0,
  };
  /** Every partition, then the group's redrive stream: where pending entries can be. */
  private readonly sources: readonly EntrySource[];
  /** Per source, where the next scan for idle pending entries resumes. */
  private readonly claimCursors = new Map<EntrySource, string>();
  private stopping = false;
  /**
   * When the consumer's own pending entries are next read again, before new ones (Infinity:
   * not due): at the start (a restart under the same name, as a Kubernetes pod's container
   * restart keeps it), counted as a delivery, since a handler that kills its process must
   * still reach `maxDeliveries`; and after the store failed mid-batch (an outage, a Redis
   * restart), not counted, since no handler failed. Without this they would wait
   * `claimIdleMs` for `reclaimIdle`, as if their consumer were gone. Not counting is a
   * choice: a Redis that answers reads but refuses writes (MISCONF, OOM) would otherwise
   * dead-letter healthy events within seconds of retries.
   *
   * A pass that fails is tried again with a growing delay (up to half of `claimIdleMs`), or
   * at the loop's next round after it failed, while the consumer goes on to new entries: a
   * store that keeps refusing one batch (an acknowledgement it may not make) does not hold
   * every later entry back.
   */
  private ownPending = { dueAt: 0, counted: true, retries: 0 };
  /** How many times a connection dropped (`connectionDropped`): a pass begun before is stale. */
  private drops = 0;
  private wakeUp: (() => void) | undefined;
  private running: Promise<void> = Promise.resolve();
  private readonly waiter: NewEntryWaiter | undefined;
  /**
   * Whether the last read filled a batch somewhere: then partitions are read one at a time,
   * `batchSize` each (a backlog), rather than all at once, a few entries each (a trickle).
   * Also after a round slow enough for the log to have moved on (`SLOW_ROUND_MS`), and at the
   * start: a read of one partition tells when it jumped over entries the length cap trimmed
   * (a group that fell behind the retention), which a read of every partition may not.
   */
  private backlog = true;
  private waiterClosed: Promise<void> | undefined;
  /** The heartbeat timer: every third of `consumerTimeoutMs`, whatever the loop is doing. */
  private beating: ReturnType<typeof setInterval> | undefined;
  private lastBeat: Promise<void> = Promise.resolve();
  /**
   * Since when every beat has landed (undefined after one failed). A consumer takes over from
   * silent ones only after beating for a whole `consumerTimeoutMs` itself: after a Redis
   * outage every consumer's last beat is old, and the live ones must get theirs in first.
   */
  private beatingSince: number | undefined;

  private constructor(
    private readonly streams: GroupStreams,
    private readonly settings: ConsumerSettings,
    private readonly logger: EventLogLogger,
  ) {
    this.sources = [...Array.from({ length: streams.partitions }, (_, index) => index), REDRIVEN];
    this.waiter = streams.waiter(settings.group, settings.consumer, () => this.connectionDropped());
  }

  /** Validates the options, joins the group, and starts the loop. */
  static async start(
    streams: GroupStreams,
    options: ConsumeOptions,
    log: Pick<LogSettings, 'logger' | 'claimIdleMs' | 'consumerTimeoutMs'>,
    /** Called once the consumer has stopped. */
    onStopped: (runner: ConsumerRunner) => void = () => undefined,
  ): Promise<ConsumerRunner> {
    const { logger } = log;
    const settings = settingsFrom(options, log);
    await streams.createGroup(settings.group, settings.startFrom);
    const runner = new ConsumerRunner(streams, settings, logger);
    await runner.beat();
    runner.beating = setInterval(() => {
      runner.lastBeat = runner.beat();
    }, settings.consumerTimeoutMs / 3);
    runner.beating.unref();
    runner.running = runner.run().finally(() => onStopped(runner));
    logger.info(
      { group: settings.group, consumer: settings.consumer },
      'event log consumer started',
    );
    return runner;
  }

  get group(): string {
    return this.settings.group;
  }

  get name(): string {
    return this.settings.consumer;
  }

  stats(): ConsumerStats {
    return { ...this.counts };
  }

  /**
   * A connection the consumer reads on dropped. Redis may have run a read (or a claim) whose
   * reply was lost: ioredis sends the command again, and what the first one delivered stays
   * pending for this consumer, unseen, until `claimIdleMs` passes. So its own pending entries
   * are read back at the loop's next round (uncounted: no handler failed).
   */
  connectionDropped(): void {
    if (this.stopping) return;
    this.drops += 1;
    const { dueAt, counted, retries } = this.ownPending;
    this.ownPending =
      dueAt === Infinity
        ? { dueAt: 0, counted: false, retries: 0 }
        : { dueAt: 0, counted, retries };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
    this.waiterClosed ??= this.waiter?.close();
    await this.running;
    await this.waiterClosed;
  }

  private async run(): Promise<void> {
    const { group, consumer, claimIdleMs, pollIntervalMs } = this.settings;
    let failures = 0;
    let nextClaimAt = 0;
    let nextTakeOverAt = 0;
    let nextRedriveAt = 0;
    while (!this.stopping) {
      try {
        // A group missing now was lost by the store (a Redis restarted without persistence):
        // what its partitions hold was appended since, or the group cannot tell whether it
        // read it, so it is re-created at the beginning whatever `startFrom` said. Delivering
        // again is at-least-once; starting at the end would lose acknowledged appends.
        if (failures > 0) await this.streams.createGroup(group, 'beginning');
        let handled = 0;
        const roundFrom = Date.now();
        if (Date.now() >= this.ownPending.dueAt) handled += await this.resumeOwnPending();
        if (Date.now() >= nextTakeOverAt) {
          const taken = await this.takeOverSilent();
          handled += taken.handled;
          nextTakeOverAt = taken.nextAt;
        }
        if (Date.now() >= nextClaimAt) {
          handled += await this.reclaimIdle();
          // A scan stopped at batchSize resumes next round, so a dead consumer's whole
          // backlog is taken over at once; otherwise scan twice per idle period, so an
          // abandoned entry waits at most 1.5 × claimIdleMs.
          const scanUnfinished = this.claimCursors.size > 0;
          nextClaimAt = scanUnfinished ? 0 : Date.now() + claimIdleMs / 2;
        }
        if (Date.now() - roundFrom >= SLOW_ROUND_MS) this.backlog = true;
        const readsEach = this.waiter === undefined || this.backlog;
        // Redriven dead letters go ahead of new entries; a wait that brings them wakes for them.
        if (Date.now() >= nextRedriveAt && (readsEach || !this.waiter?.readsRedriven)) {
          const redriven = await this.readRedriven();
          handled += redriven;
          nextRedriveAt = redriven === this.settings.batchSize ? 0 : Date.now() + REDRIVE_CHECK_MS;
        }
        handled += readsEach
          ? await this.readEachPartition()
          : await this.readAllPartitions(this.waiter!, Math.min(nextClaimAt, nextTakeOverAt));
        failures = 0;
        if (handled === 0 && this.waiter === undefined) await this.sleep(pollIntervalMs);
        // An in-memory log answers without I/O: yield so a backlog cannot starve timers.
        else await yieldToEventLoop();
      } catch (error) {
        failures += 1;
        // A pass as soon as the loop gets through again (the start's, not yet done, still
        // counts a delivery when it runs).
        const startPending = this.ownPending.dueAt !== Infinity && this.ownPending.counted;
        this.ownPending = { dueAt: 0, counted: startPending, retries: 0 };
        this.logger.warn(
          { err: error, group, consumer, failures },
          'event log consumer cannot read or settle entries; retrying',
        );
        await this.sleep(Math.min(100 * 2 ** (failures - 1), MAX_BACKOFF_MS));
      }
    }
    clearInterval(this.beating);
    // A beat landing after the consumer left would list it again.
    await this.lastBeat;
    await this.leaveGroup();
    this.logger.info({ group, consumer }, 'event log consumer stopped');
  }

  private async beat(): Promise<void> {
    const { group, consumer } = this.settings;
    try {
      await this.streams.beat(group, consumer, this.settings.consumerTimeoutMs);
      this.beatingSince ??= Date.now();
    } catch {
      // The loop reports the store being down; a missed beat only delays taking over.
      this.beatingSince = undefined;
    }
  }

  /**
   * A stopped consumer leaves no trace: it removes itself from the group where nothing is
   * pending for it. Entries its handler left pending keep it listed, and its beat (no longer
   * renewed) makes the others take them over after `consumerTimeoutMs`.
   */
  private async leaveGroup(): Promise<void> {
    const { group, consumer } = this.settings;
    try {
      await this.streams.forget(group, consumer, false);
    } catch (error) {
      this.logger.warn(
        { err: error, group, consumer },
        'event log consumer could not leave its group',
      );
    }
  }

  /**
   * Takes over the entries of consumers of the group that stopped beating (a crashed or
   * killed process, a replaced pod whose successor has another name) once they have been
   * silent `consumerTimeoutMs`, instead of waiting `claimIdleMs`, and removes each from the
   * group once nothing is pending for it. A live consumer stuck in a handler keeps beating:
   * only `claimIdleMs` takes its entries.
   */
  private async takeOverSilent(): Promise<{ handled: number; nextAt: number }> {
    const { group, consumer, consumerTimeoutMs, batchSize } = this.settings;
    // Looked at twice per consumerTimeoutMs, or once this consumer has beaten that long.
    const later = Date.now() + consumerTimeoutMs / 2;
    const since = this.beatingSince;
    if (since === undefined) return { handled: 0, nextAt: later };
    if (Date.now() - since < consumerTimeoutMs) {
      return { handled: 0, nextAt: since + consumerTimeoutMs };
    }
    const silent = await this.streams.silentConsumers(group);
    let handled = 0;
    let unfinished = false;
    for (const owner of silent) {
      if (owner === consumer || this.stopping) continue;
      let emptied = true;
      for (const source of this.sources) {
        if (this.stopping) break;
        const taken = await this.streams.takeOver(
          source,
          group,
          owner,
          consumer,
          consumerTimeoutMs,
          batchSize,
        );
        this.noteTrimmed(source, taken.trimmed, 'pending entries');
        const { entries } = taken;
        if (entries.length > 0) {
          this.logger.warn(
            { group, consumer, owner, partition: source, entries: entries.length },
            'event log consumer takes over entries of a consumer that stopped beating',
          );
        }
        this.counts.reclaimed += entries.length;
        await this.handleBatch(entries);
        handled += entries.length;
        if (entries.length === batchSize) emptied = false;
      }
      // What is left past a full batch is taken next round. `forget` leaves an owner listed
      // while entries not idle long enough yet keep it there, for a later look.
      if (emptied) await this.streams.forget(group, owner, true);
      else unfinished = true;
    }
    return { handled, nextAt: unfinished ? 0 : later };
  }

  private async reclaimIdle(): Promise<number> {
    const { group, consumer, claimIdleMs, batchSize } = this.settings;
    let handled = 0;
    for (const source of this.sources) {
      if (this.stopping) break;
      const claimed = await this.streams.claimIdle(
        source,
        group,
        consumer,
        claimIdleMs,
        batchSize,
        this.claimCursors.get(source),
      );
      if (claimed.cursor === undefined) this.claimCursors.delete(source);
      else this.claimCursors.set(source, claimed.cursor);
      this.noteTrimmed(source, claimed.trimmed, 'pending entries');
      this.counts.reclaimed += claimed.entries.length;
      await this.handleBatch(claimed.entries);
      handled += claimed.entries.length;
    }
    return handled;
  }

  /** A due pass over the consumer's own pending entries; a failed one is tried again later. */
  private async resumeOwnPending(): Promise<number> {
    const { group, consumer, claimIdleMs } = this.settings;
    const { counted, retries } = this.ownPending;
    const drops = this.drops;
    try {
      const handled = await this.readOwnPending(counted);
      // A connection that dropped meanwhile may have lost a reply after this pass read.
      this.ownPending =
        this.drops === drops
          ? { dueAt: Infinity, counted: false, retries: 0 }
          : { dueAt: 0, counted: false, retries: 0 };
      return handled;
    } catch (error) {
      const delayMs = Math.min(100 * 2 ** retries, claimIdleMs / 2);
      this.ownPending = { dueAt: Date.now() + delayMs, counted, retries: retries + 1 };
      this.logger.warn(
        { err: error, group, consumer, retries: retries + 1, delayMs },
        'event log consumer cannot take back its own pending entries yet; reading new ones meanwhile',
      );
      return 0;
    }
  }

  /**
   * Every partition's (and the redrive stream's) entries still pending for this consumer, in
   * batches, in id order. A partition that fails (its settlement refused) does not keep the
   * others' entries from being applied: each is tried, then the first failure is thrown.
   */
  private async readOwnPending(counted: boolean): Promise<number> {
    const { group, consumer, batchSize } = this.settings;
    let handled = 0;
    const failures: unknown[] = [];
    for (const source of this.sources) {
      if (this.stopping) break;
      let cursor: string | undefined;
      try {
        do {
          const own = await this.streams.readOwnPending(
            source,
            group,
            consumer,
            batchSize,
            cursor,
            counted,
          );
          cursor = own.cursor;
          this.noteTrimmed(source, own.trimmed, 'pending entries');
          this.counts.resumed += own.entries.length;
          await this.handleBatch(own.entries);
          handled += own.entries.length;
        } while (cursor !== undefined && !this.stopping);
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures[0];
    return handled;
  }

  /**
   * The group's redriven dead letters not delivered again yet, a batch of them: handled like
   * any entry (so dead-lettered again after `maxDeliveries` failures, and acknowledged without
   * the handler when the group's processed-marker says it applied the event meanwhile).
   */
  private async readRedriven(): Promise<number> {
    if (this.stopping) return 0;
    const { group, consumer, batchSize } = this.settings;
    const entries = await this.streams.readRedriven(group, consumer, batchSize);
    this.counts.redriven += entries.length;
    await this.handleBatch(entries);
    return entries.length;
  }

  /**
   * One read of every partition: at once when any holds new entries, else held until an entry
   * comes or the consumer's next timed work is due (at most MAX_WAIT_MS). Handles what it
   * brings, each partition's entries as one batch. A round trip a round, however many
   * partitions, where reading each in turn costs one per partition.
   */
  private async readAllPartitions(waiter: NewEntryWaiter, nextDueAt: number): Promise<number> {
    if (this.stopping) return 0;
    const dueAt = Math.min(nextDueAt, this.ownPending.dueAt, Date.now() + MAX_WAIT_MS);
    const timeoutMs = Math.max(0, Math.floor(dueAt - Date.now()));
    const count = Math.min(this.settings.batchSize, ALL_PARTITIONS_COUNT);
    const { entries, trimmed } = await waiter.readNew(count, timeoutMs);
    for (const { partition, count: lost } of trimmed) {
      this.noteTrimmed(partition, lost, 'entries never delivered');
    }
    const handlingFrom = Date.now();
    // The redrive stream's entries first (ahead of new ones), in one batch, as it was read.
    const redriven = entries.filter((entry) => entry.redriven !== undefined);
    this.counts.redriven += redriven.length;
    const byPartition = new Map<number, StreamEntry[]>();
    for (const entry of entries) {
      if (entry.redriven !== undefined) continue;
      const batch = byPartition.get(entry.partition);
      if (batch === undefined) byPartition.set(entry.partition, [entry]);
      else batch.push(entry);
    }
    const batches = [redriven, ...byPartition.values()].filter((batch) => batch.length > 0);
    const full = batches.some((batch) => batch.length === count);
    // Every partition's entries are now pending for this consumer: each is handled even if
    // another fails (a settlement refused), so none is left delivered and never applied.
    const failures: unknown[] = [];
    for (const batch of batches) {
      await this.handleBatch(batch).catch((error: unknown) => failures.push(error));
    }
    this.backlog = full || Date.now() - handlingFrom >= SLOW_ROUND_MS;
    if (failures.length > 0) throw failures[0];
    return entries.length;
  }

  /**
   * A backlog: each partition's next batch in turn. The next partition's read is sent before
   * this one's batch is handled, so its entries arrive (and decode) while the handler waits on
   * its store. A read sent is handled, even when stopping; when a handler fails, what the
   * read ahead brought stays pending for this consumer, and its own-pending pass takes it.
   */
  private async readEachPartition(): Promise<number> {
    const { group, consumer, batchSize } = this.settings;
    const read = (partition: number): Promise<Settled<StreamEntry[]>> =>
      this.streams.readNew(partition, group, consumer, batchSize).then(
        ({ entries, trimmed }) => {
          for (const { count } of trimmed)
            this.noteTrimmed(partition, count, 'entries never delivered');
          return { value: entries };
        },
        (error: unknown) => ({ error }),
      );
    const from = Date.now();
    let handled = 0;
    let full = false;
    let next = this.stopping ? undefined : read(0);
    /** With `overlapBatches`, the previous batch's handling, not awaited yet. */
    let previous: Promise<Settled<void>> | undefined;
    try {
      for (let partition = 0; next !== undefined; partition++) {
        const got = await next;
        next = undefined;
        if ('error' in got) throw got.error;
        const entries = got.value;
        const more = partition + 1 < this.streams.partitions && !this.stopping;
        next = more ? read(partition + 1) : undefined;
        full ||= entries.length === batchSize;
        handled += entries.length;
        if (!this.settings.overlapBatches) {
          await this.handleBatch(entries);
          continue;
        }
        const handling = this.handleBatch(entries).then(
          () => ({ value: undefined }),
          (error: unknown) => ({ error }),
        );
        const before = await previous;
        previous = handling;
        if (before !== undefined && 'error' in before) throw before.error;
      }
      const last = await previous;
      previous = undefined;
      if (last !== undefined && 'error' in last) throw last.error;
    } finally {
      // A read sent and a batch handed in are waited for, whatever failed: what they delivered
      // stays pending for the own-pending pass when they did not settle it.
      await next;
      await previous;
    }
    this.backlog = full || Date.now() - from >= SLOW_ROUND_MS;
    return handled;
  }

  /**
   * Entries of `partition` (never the redrive stream, which is not trimmed) trimmed before the
   * group handled them: lost to it, logged as an error, for an operator to see the retention
   * (`maxLen`) is too short for the group.
   */
  private noteTrimmed(partition: EntrySource, count: number, what: string): void {
    if (count <= 0) return;
    this.counts.trimmed += count;
    const { group, consumer } = this.settings;
    this.logger.error(
      { group, consumer, partition, trimmed: count },
      `the log's length cap (maxLen) trimmed ${what} before the group handled them: they are lost to it`,
    );
  }

  /**
   * Handles a whole batch even when stopping: entries already delivered are not abandoned. A
   * batch handler gets one partition's entries at a time: the redrive stream's are split by
   * their events' partitions.
   */
  private async handleBatch(entries: readonly StreamEntry[]): Promise<void> {
    const { handler, batchHandler } = this.settings;
    if (batchHandler !== undefined) {
      if (!entries.some((entry) => entry.redriven !== undefined)) {
        if (entries.length > 0) await this.handleAtOnce(entries, batchHandler);
        return;
      }
      const byPartition = new Map<number, StreamEntry[]>();
      for (const entry of entries) {
        const batch = byPartition.get(entry.partition);
        if (batch === undefined) byPartition.set(entry.partition, [entry]);
        else batch.push(entry);
      }
      // As readAllPartitions: every batch is handled, then the first failure thrown.
      const failures: unknown[] = [];
      for (const batch of byPartition.values()) {
        await this.handleAtOnce(batch, batchHandler).catch((error: unknown) =>
          failures.push(error),
        );
      }
      if (failures.length > 0) throw failures[0];
      return;
    }
    if (handler === undefined) return;
    for (const entry of entries) await this.handleEntry(entry, handler);
  }

  private async handleEntry(entry: StreamEntry, handler: EventHandler): Promise<void> {
    const { group } = this.settings;
    if (await this.deadLetterUndeliverable(entry)) return;
    if (await this.streams.isProcessed(group, entry.partition, entry.eventId)) {
      await this.streams.settle(group, entry);
      this.counts.duplicates += 1;
      return;
    }
    try {
      await handler(entry.event!, this.deliveryOf(entry));
    } catch (error) {
      // The handler's store is down: not the event's failure (see `ownPending`).
      if (error instanceof UnavailableError) throw error;
      await this.failed(entry, error);
      return;
    }
    // The window of at-least-once: a crash here, after the handler applied the event and
    // before the marker is set, makes the next delivery apply it again.
    await this.streams.settle(group, entry);
    this.counts.processed += 1;
  }

  /**
   * Batch mode: the same steps as `handleEntry`, each taken for the whole read at once (one
   * marker check, one handler call, one settle), so a read costs a few round trips, not a few
   * per event. The entries are one partition's (each read is).
   */
  private async handleAtOnce(
    entries: readonly StreamEntry[],
    batchHandler: BatchEventHandler,
  ): Promise<void> {
    const { group } = this.settings;
    const partition = entries[0]!.partition;
    const live: StreamEntry[] = [];
    for (const entry of entries) {
      if (!(await this.deadLetterUndeliverable(entry))) live.push(entry);
    }
    // A repeat of an event_id within the read shares the fate of its first occurrence, as it
    // would one at a time (settled as a duplicate once the first is applied).
    const firsts: StreamEntry[] = [];
    const repeats = new Map<string, StreamEntry[]>();
    for (const entry of live) {
      const earlier = repeats.get(entry.eventId);
      if (earlier === undefined) {
        repeats.set(entry.eventId, []);
        firsts.push(entry);
      } else {
        earlier.push(entry);
      }
    }
    const processed = await this.streams.areProcessed(
      group,
      partition,
      firsts.map((entry) => entry.eventId),
    );
    const fresh = firsts.filter((_, i) => !processed[i]);
    const freshEntries = new Set(fresh);
    const duplicates = live.filter((entry) => !freshEntries.has(entry));
    let failures: ReadonlyMap<number, unknown>;
    try {
      failures = fresh.length === 0 ? new Map() : await this.applyAtOnce(fresh, batchHandler);
    } catch (error) {
      failures = new Map(fresh.map((_, index) => [index, error]));
    }
    const applied = fresh.filter((_, index) => !failures.has(index));
    const failedIds = new Set<string>();
    let unavailable: UnavailableError | undefined;
    for (const [index, error] of failures) {
      const entry = fresh[index]!;
      failedIds.add(entry.eventId);
      // The handler's store is down: left pending uncounted, read back once it answers.
      if (error instanceof UnavailableError) unavailable ??= error;
      else await this.failed(entry, error);
    }
    // Repeats of a failed event stay pending with it: the group has not applied it yet.
    const settled = [...applied, ...duplicates.filter((entry) => !failedIds.has(entry.eventId))];
    // The window of at-least-once, as in handleEntry, is now the whole batch.
    if (settled.length > 0) {
      await this.streams.settleAll(group, partition, settled, !this.settings.marksProcessed);
    }
    this.counts.processed += applied.length;
    this.counts.duplicates += settled.length - applied.length;
    if (unavailable !== undefined) throw unavailable;
  }

  /** Calls the batch handler; resolves with its failures by index into `fresh`. */
  private async applyAtOnce(
    fresh: readonly StreamEntry[],
    batchHandler: BatchEventHandler,
  ): Promise<Map<number, unknown>> {
    const outcome = await batchHandler(
      fresh.map((entry) => entry.event!),
      fresh.map((entry) => this.deliveryOf(entry)),
    );
    const failures = new Map<number, unknown>();
    for (const { index, error } of (outcome ?? []) as readonly BatchFailure[]) {
      if (!Number.isSafeInteger(index) || index < 0 || index >= fresh.length) {
        // Which events it applied is unknown: none is acknowledged.
        throw new Error(
          `the batch handler reported a failure at index ${index} of ${fresh.length}`,
        );
      }
      failures.set(index, error);
    }
    return failures;
  }

  /** Dead-letters an entry that cannot be handed to a handler; true when it did. */
  private async deadLetterUndeliverable(entry: StreamEntry): Promise<boolean> {
    if (entry.event === undefined) {
      await this.deadLetter(entry, 'the stored bytes do not decode as a feedmesh.events.v1.Event');
      return true;
    }
    if (entry.deliveries > this.settings.maxDeliveries) {
      // A handler that kills its process never reaches the failure handling.
      await this.deadLetter(
        entry,
        `not acknowledged after ${entry.deliveries - 1} deliveries (its consumers stopped while handling it)`,
      );
      return true;
    }
    return false;
  }

  /** A handler failed on `entry`: it stays pending, or is dead-lettered at maxDeliveries. */
  private async failed(entry: StreamEntry, error: unknown): Promise<void> {
    const { group, consumer, maxDeliveries } = this.settings;
    this.counts.failed += 1;
    if (entry.deliveries >= maxDeliveries) return this.deadLetter(entry, messageOf(error));
    this.logger.warn(
      { err: error, group, consumer, eventId: entry.eventId, deliveries: entry.deliveries },
      'event handler failed; the event stays pending and will be redelivered',
    );
  }

  private deliveryOf(entry: StreamEntry): Delivery {
    const { group, consumer } = this.settings;
    return {
      group,
      consumer,
      partition: entry.partition,
      entryId: entry.redriven?.entryId ?? entry.id,
      deliveries: entry.deliveries,
    };
  }

  private async deadLetter(entry: StreamEntry, error: string): Promise<void> {
    const { group, consumer } = this.settings;
    await this.streams.deadLetter(group, consumer, entry, error);
    this.counts.deadLettered += 1;
    this.logger.error(
      {
        group,
        consumer,
        eventId: entry.eventId,
        partition: entry.partition,
        entryId: entry.id,
        error,
      },
      'event moved to the dead-letter stream',
    );
  }

  /** Waits `ms`, or less if `stop()` is called meanwhile. */
  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.wakeUp = finish;
    });
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
