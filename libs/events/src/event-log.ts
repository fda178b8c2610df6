import type { eventsv1 } from '@feedmesh/contracts';

/**
 * The event log every service learns about the world from (DESIGN.md "The event log").
 *
 * Delivery is at least once. Events are split into a fixed number of partitions by their
 * entity (`partitionKey`), so the events of one entity keep their append order within a
 * partition. A service reads with its own consumer group; the group's consumers (replicas)
 * share the work.
 *
 * Idempotency: a consumer calls the handler only if the group's processed-marker for the
 * `event_id` is not set, and sets it together with the acknowledgement once the handler
 * succeeded. A marker is per partition: a retried append lands in the same partition as the
 * original, while an `event_id` reused for another entity's event is not taken for a
 * duplicate. An event is still applied twice when the process dies after the handler and
 * before the marker, or when two consumers hold the same `event_id` at once (a republish
 * racing the original, or an entry reclaimed from a consumer that was slow, not dead). A
 * handler that cannot tolerate that sets the marker itself, atomically with its own write
 * (`markProcessed`, `RedisStreamsEventLog.processedMarker`).
 *
 * Ordering is per partition and per consumer: one consumer sees a partition's events in log
 * order, but two replicas of a group read the same partitions concurrently, and a retried or
 * reclaimed event comes back after later ones. Handlers must tolerate reordering across
 * events of one entity (compare `at_ms`, keep last-write-wins state).
 */
export interface EventLog {
  /**
   * Appends the events and resolves once every one is in the log. Throws
   * `InvalidArgumentError`, naming it, for an event without an `event_id` or payload or one
   * that does not encode (such as a fractional `at_ms`): nothing of the batch is appended.
   * `UnavailableError` when the store cannot be reached (some events may have been
   * appended: retrying the batch is safe, consumers skip an `event_id` they already applied).
   */
  append(events: readonly eventsv1.Event[]): Promise<void>;

  /**
   * Joins `options.group` as `options.consumer` (creating the group on first use) and starts
   * delivering events to the handler. Resolves once the group exists in every partition.
   */
  consume(options: ConsumeOptions): Promise<Consumer>;

  /** Entries of the group's partitions not yet delivered, and delivered but not acknowledged. */
  lag(group: string): Promise<GroupLag>;

  /**
   * Where the log ends now, in every partition: what `handledUpTo` later holds a group to.
   * Reads only; cheap (one read per partition).
   */
  endMark(): Promise<LogMark>;

  /**
   * Whether `group` has handled every event appended before `mark` was taken: in every
   * partition, each entry up to the mark was delivered to a consumer of the group and
   * acknowledged (applied, skipped as a duplicate, or dead-lettered). What was appended after
   * the mark does not count, so a group that is never idle (on a busy log something is always
   * undelivered or pending) still gets there, which `lag` cannot tell. A group that started
   * from the `end` after the mark has nothing before it to handle. A dead letter redriven
   * after it was dead-lettered does not count: its entry was handled. False for a group the log
   * does not know (in some partition). Throws `InvalidArgumentError` for a mark this log did
   * not take (another implementation, another partition count).
   */
  handledUpTo(group: string, mark: LogMark): Promise<boolean>;

  /**
   * Every consumer group reading the log, by name: its lag, its consumers (what each holds,
   * whether it still beats) and how many events it dead-lettered. What an operator looks at
   * first (`feedmesh events`). Reads only.
   */
  groups(): Promise<GroupStatus[]>;

  /**
   * The consumers started on this log object that are still running, for the process to
   * report what they did (`Consumer.stats`). A stopped consumer leaves the list.
   */
  consumers(): readonly Consumer[];

  /**
   * The events the group gave up on, oldest first (in the order they were dead-lettered): at
   * most `page.limit` (a positive integer, default 100) of them, those after the dead letter
   * `page.after` when given (the `id` of the last one of the previous page). Paging so, each
   * dead letter comes once, whatever is dead-lettered or redriven meanwhile (a new one comes
   * last). None for a group the log does not know. Throws `InvalidArgumentError` naming
   * `limit`, or `after` when it is not a dead-letter id of this log.
   */
  deadLetters(group: string, page?: DeadLetterPage): Promise<DeadLetter[]>;

  /**
   * Delivers the chosen dead letters of `group` again, to that group only (no other group
   * sees them; they are not appended to the log): they move, in one atomic step, from the
   * group's dead-letter list to its redrive stream, which the group's consumers read ahead of
   * new entries (see README "Redriving dead letters"). Each is then handled as a new delivery:
   * its count starts again at 1; if it fails `maxDeliveries` times again it is dead-lettered
   * again (a new dead letter, `redrives` one more); if the group's processed-marker for it is
   * set (applied meanwhile) it is acknowledged without the handler. A consumer that dies
   * holding one leaves it pending, taken back as any pending entry is.
   *
   * `selection.ids`: exactly those dead letters (their `id`s), all or none: when one is not
   * among the group's dead letters (never was, or redriven already, by another operator
   * too), nothing is redriven and `UnknownDeadLettersError` (an `InvalidArgumentError` on
   * `ids`) lists every such id. `selection.all`: every dead letter the group has when the call
   * begins, oldest first, at most `selection.limit`. Two calls at once never redrive the same
   * dead letter twice. Resolves with what it redrove, oldest first, as `deadLetters` listed
   * them. `NotFoundError` for a group the log does not know; `InvalidArgumentError` naming the
   * field for a selection that is not exactly one of `ids` (1 to 1,000) and `all`, or a `limit`
   * without `all`.
   */
  redriveDeadLetters(group: string, selection: RedriveSelection): Promise<DeadLetter[]>;

  /**
   * The dedupe check the consumer runs before every handler call: whether `group` has
   * already applied `event` (its processed-marker exists and has not expired).
   */
  isProcessed(group: string, event: eventsv1.Event): Promise<boolean>;

  /**
   * Sets `group`'s processed-marker for `event`; false when it was already set. The runner
   * sets it after the handler succeeds; a handler that must never apply twice can set it
   * itself, atomically with its own write (see `RedisStreamsEventLog.processedMarker`).
   */
  markProcessed(group: string, event: eventsv1.Event): Promise<boolean>;

  /**
   * Reads the whole retained history in the order it was appended, across partitions, without
   * joining a group: for batch jobs (the trainer, rebuilding an index, backfills) that want
   * every event each run. So a post comes before the likes of it, although the log partitions
   * the two apart (a post by its id, a like by its user). Within a partition the order is
   * exact; across partitions the in-memory log's is exact, and Redis's is that of its clock,
   * with events appended in the same millisecond ordered by their `at_ms`. On a Redis Cluster
   * each node stamps its own partitions as their part of an append lands, so events of one
   * `append` in different partitions can come out of order (a like before its post) when
   * those parts land in different milliseconds. Entries that cannot be decoded are skipped.
   */
  history(options?: HistoryOptions): AsyncIterable<eventsv1.Event>;

  /** Stops every consumer gracefully, then releases the connections the log owns. */
  close(): Promise<void>;
}

/**
 * Applies one event. Throwing leaves the entry pending: it is redelivered after
 * `claimIdleMs`, and dead-lettered once it has failed `maxDeliveries` times.
 */
export type EventHandler = (event: eventsv1.Event, delivery: Delivery) => Promise<void>;

/**
 * Applies the events of one read (one partition's, in log order, at most `batchSize`) at once,
 * so a consumer can combine their writes into a few round trips. `deliveries[i]` is where
 * `events[i]` sits. The events it receives are those the group has not applied yet: events
 * whose processed-marker is set, and repeats of an `event_id` within the read, are settled as
 * duplicates without it, as the per-event handler's are.
 *
 * Resolve with nothing when every event was applied: they are acknowledged together, with
 * their processed-markers. Resolve with the failures to leave only those events pending (the
 * rest are acknowledged); each failure counts toward its event's `maxDeliveries` as a thrown
 * per-event handler does, except an `UnavailableError` (the handler's store is down, see
 * `redisUnavailable`): that event stays pending uncounted, and the consumer reads it back as
 * soon as its loop gets through again, rather than after `claimIdleMs`. A per-event handler
 * throwing `UnavailableError` is treated the same. Throwing leaves the whole batch pending. A batch that failed midway
 * is delivered again in full, so its writes must tolerate being applied twice, as at-least-once
 * delivery already requires.
 */
export type BatchEventHandler = (
  events: readonly eventsv1.Event[],
  deliveries: readonly Delivery[],
) => Promise<void | readonly BatchFailure[]>;

/** An event of a batch its handler could not apply. */
export interface BatchFailure {
  /** The event's index in the batch handed to the handler. */
  readonly index: number;
  readonly error: unknown;
}

/** Where a delivered event sits in the log. */
export interface Delivery {
  readonly group: string;
  readonly consumer: string;
  readonly partition: number;
  /**
   * The entry's id within its partition: a Redis stream id, or a sequence number in memory.
   * A redriven dead letter keeps the id it had in its partition.
   */
  readonly entryId: string;
  /**
   * 1 on first delivery; each redelivery (after a failure or a crash) adds one. A redriven
   * dead letter starts again at 1.
   */
  readonly deliveries: number;
}

export interface HistoryOptions {
  /** Entries fetched per round trip: a positive integer. Default 1,000. */
  readonly chunkSize?: number;
}

/** Where a new group starts reading: the whole retained history, or only what comes next. */
export type StartFrom = 'beginning' | 'end';

/**
 * How a consumer reads: exactly one of `handler` (one event at a time) and `batchHandler`
 * (each read at once) is set.
 */
export type ConsumeOptions = ConsumeSettings &
  (
    | { readonly handler: EventHandler; readonly batchHandler?: undefined }
    | { readonly batchHandler: BatchEventHandler; readonly handler?: undefined }
  );

export interface ConsumeSettings {
  /** The reading service, e.g. `feature-store`. 1-64 chars [A-Za-z0-9_.:-]. */
  readonly group: string;
  /** This replica, unique within the group and stable across restarts (e.g. the pod name). */
  readonly consumer: string;
  /** Most entries read from one partition at a time. Default 100. */
  readonly batchSize?: number;
  /**
   * How long a consumer waits before reading again after a round over every partition found
   * nothing, for a log that cannot wait for the next append. The logs here all can, and do
   * not use it: the in-memory log and a standalone Redis hand an idle consumer each entry as
   * it is appended (a blocking read), and on a Redis Cluster an idle consumer waits for the
   * doorbell every append rings (see `RedisStreamsEventLog`). Default 100 ms.
   */
  readonly pollIntervalMs?: number;
  /**
   * How long an entry stays pending (delivered, not acknowledged) before a live consumer of
   * the group takes it over: the consumer that had it died, or its handler failed. Must
   * exceed the slowest handler's batch, or a live consumer's work gets taken. Default 60 s.
   */
  readonly claimIdleMs?: number;
  /**
   * How long a consumer may go without a heartbeat before the live consumers of its group take
   * over its pending entries and remove it from the group: a crashed or killed process, or a
   * replaced pod whose successor has another name. Beats come from a timer every third of
   * it, whatever the handler is doing, so a slow handler keeps its entries (only `claimIdleMs`
   * takes those); only a process that died or froze goes silent. Each consumer's own timeout
   * (recorded with its beats) decides when it counts as silent. A consumer takes over only
   * after beating that long itself, so after a store outage the live ones beat again first.
   * At least 300. Default: the log's, else 15 s.
   */
  readonly consumerTimeoutMs?: number;
  /** Deliveries an entry gets before it goes to the dead-letter stream. Default 5. */
  readonly maxDeliveries?: number;
  /**
   * Only used when the group does not exist yet. A group the store loses while its consumer
   * runs (a Redis restarted without persistence) is re-created at the beginning, so nothing
   * appended meanwhile is skipped. Default `beginning`.
   */
  readonly startFrom?: StartFrom;
  /**
   * The batch handler sets the processed-marker of every event it applies itself, atomically
   * with its own writes (`RedisStreamsEventLog.processedMarker`): settling a batch then only
   * acknowledges it, one write per event less. An event the handler leaves unmarked is simply
   * handed to it again if delivered again. Batch handlers only. Default false.
   */
  readonly marksProcessed?: boolean;
  /**
   * While catching up (a backlog, read a partition at a time), the batch handler is handed the
   * next partition's batch before its call for the current one has resolved: at most two calls
   * at once, in read order. For a handler that pipelines one batch's reads and planning with
   * the previous batch's writes. Batch handlers only. Default false.
   */
  readonly overlapBatches?: boolean;
}

export interface Consumer {
  readonly group: string;
  readonly name: string;
  /** A snapshot of what this consumer has done since it started. */
  stats(): ConsumerStats;
  /**
   * Finishes the batch in hand (every event of it handled and acknowledged, or left pending
   * if its handler failed), then stops reading. Safe to call more than once.
   */
  stop(): Promise<void>;
}

export interface ConsumerStats {
  /** Events the handler applied and the consumer acknowledged. */
  readonly processed: number;
  /** Entries acknowledged without calling the handler: their event_id was already applied. */
  readonly duplicates: number;
  /** Handler calls that threw. */
  readonly failed: number;
  readonly deadLettered: number;
  /**
   * Entries taken over from another consumer: one that left them pending for `claimIdleMs`,
   * or one that stopped beating for `consumerTimeoutMs`.
   */
  readonly reclaimed: number;
  /**
   * Entries this consumer had left pending itself, delivered to it again at its start (a
   * restart under the same name) or after the store failed mid-batch, without the idle wait.
   */
  readonly resumed: number;
  /**
   * Entries the log's length cap (maxLen) trimmed before this consumer's group handled them:
   * lost to the group (each run is also logged as an error).
   */
  readonly trimmed: number;
  /** Dead letters an operator redrove to the group, delivered to this consumer again. */
  readonly redriven: number;
}

export interface GroupLag {
  /**
   * Entries appended after the last one delivered to the group, and redriven dead letters not
   * delivered again yet.
   */
  readonly undelivered: number;
  /**
   * Entries (redriven dead letters too) delivered to a consumer of the group and not
   * acknowledged yet.
   */
  readonly pending: number;
}

/**
 * The end of the log at one moment (`EventLog.endMark`). Plain data, so it can be kept as JSON
 * and handed to another process on the same log; what its parts mean is the log's business.
 */
export interface LogMark {
  /**
   * Per partition, where it ended: the id of its last entry (`0-0` for none) on Redis, the
   * number of entries ever appended to it in memory.
   */
  readonly ends: readonly string[];
}

export interface GroupStatus extends GroupLag {
  readonly group: string;
  /** By name. */
  readonly consumers: readonly GroupConsumer[];
  /** Events in the group's dead-letter stream. */
  readonly deadLetters: number;
}

/** A consumer of a group, as the log sees it. */
export interface GroupConsumer {
  readonly name: string;
  /** Entries delivered to it and not acknowledged. */
  readonly pending: number;
  /**
   * `alive`: it beat within its `consumerTimeoutMs`. `silent`: it did not; the live consumers
   * take its entries over and remove it. `unknown`: no beat on record (a consumer of a
   * version before heartbeats, or one whose beats expired).
   */
  readonly heartbeat: 'alive' | 'silent' | 'unknown';
}

/** Which page of a group's dead letters `EventLog.deadLetters` returns. */
export interface DeadLetterPage {
  /** Only dead letters after this one (its `id`): the last of the previous page. */
  readonly after?: string;
  /** At most this many: a positive integer. Default 100. */
  readonly limit?: number;
}

/** Which dead letters `EventLog.redriveDeadLetters` redrives: exactly one of `ids` and `all`. */
export interface RedriveSelection {
  /** These dead letters (their `id`s): 1 to 1,000 of them, all of them or none. */
  readonly ids?: readonly string[];
  /** Every dead letter the group has when the call begins, oldest first. */
  readonly all?: boolean;
  /** With `all`: at most this many, the oldest. A positive integer. Default: no limit. */
  readonly limit?: number;
}

/** An event a group gave up on, with why. */
export interface DeadLetter {
  /**
   * Its place in the group's dead-letter list, for paging (`DeadLetterPage.after`) and
   * redriving (`RedriveSelection.ids`): a Redis stream id, or a sequence number in memory.
   * A dead letter redriven and dead-lettered again gets a new one.
   */
  readonly id: string;
  readonly eventId: string;
  /** Undefined when the stored bytes could not be decoded (see `error`). */
  readonly event: eventsv1.Event | undefined;
  readonly partition: number;
  readonly entryId: string;
  readonly consumer: string;
  /** Deliveries it got before it was dead-lettered (since its last redrive, if any). */
  readonly deliveries: number;
  readonly error: string;
  /** How many times it had been redriven before this dead-lettering: 0 the first time. */
  readonly redrives: number;
}

/** The subset of a pino logger the log uses; the default discards everything. */
export interface EventLogLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Settings both implementations share. */
export interface EventLogOptions {
  /** Fixed for a deployment: changing it moves entities to other partitions. Default 8. */
  readonly partitions?: number;
  /**
   * Retention: each partition (and each dead-letter stream) is trimmed to about this many
   * entries on append. Entries trimmed before a group read them are lost to it, and pending
   * ones are dropped from its pending list: the consumer that finds out logs an error with
   * the group, the partition and how many (`trimmed`). Default: no trimming.
   */
  readonly maxLen?: number;
  /** How long a processed-marker outlives its event. Default 7 days. */
  readonly processedTtlMs?: number;
  /**
   * The `claimIdleMs` of every consumer of this log that does not set its own: how long an
   * entry left pending by a consumer that is gone (a replaced pod) waits before another takes
   * it. Shorter recovers sooner; too short takes over batches still being worked on: the
   * processed-markers make the slow consumer skip the events the other one applied first, but
   * an event both hold in their handlers at once is applied twice.
   * Default 60 s.
   */
  readonly claimIdleMs?: number;
  /** The `consumerTimeoutMs` of every consumer of this log that does not set its own. */
  readonly consumerTimeoutMs?: number;
  readonly logger?: EventLogLogger;
}
