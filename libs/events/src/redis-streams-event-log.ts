import { eventsv1 } from '@feedmesh/contracts';
import {
  FailedPreconditionError,
  FeedmeshError,
  InvalidArgumentError,
  NotFoundError,
  UnavailableError,
} from '@feedmesh/errors';
import { Redis, type Cluster } from 'ioredis';
import { BlockingRead } from './blocking-read.js';
import { DOORBELL_RINGS_KEPT, DoorbellRead, RING_PARTITIONS_FIELD } from './doorbell-read.js';
import {
  checkName,
  ConsumerRunner,
  messageOf,
  REDRIVEN,
  type ClaimedEntries,
  type EntrySource,
  type GroupStreams,
  type NewEntries,
  type RedeliveredEntries,
  type StreamEntry,
} from './consumer-runner.js';
import {
  checkDeadLetterPage,
  checkRedriveSelection,
  UnknownDeadLettersError,
} from './dead-letter-selection.js';
import type {
  ConsumeOptions,
  Consumer,
  DeadLetter,
  DeadLetterPage,
  EventLog,
  EventLogOptions,
  GroupConsumer,
  GroupLag,
  GroupStatus,
  HistoryOptions,
  LogMark,
  RedriveSelection,
  StartFrom,
} from './event-log.js';
import {
  checkMark,
  encodeAppendable,
  logSettingsFrom,
  positiveIntegerOr,
  type LogSettings,
} from './log-settings.js';
import { partitionOf } from './partition.js';
import {
  fieldsOf,
  parseClaimedEntries,
  parseClaimReply,
  parseConsumerInfos,
  parseGroupInfos,
  parsePendingDeliveries,
  parsePendingList,
  parseRangeReply,
  parseReadReply,
  type GroupInfo,
  type RawEntry,
} from './redis-replies.js';
import { RunningConsumers } from './running-consumers.js';
import { compareStreamIds, isStreamId } from './stream-id.js';

export type RedisConnection =
  /** Connects to this URL; `close()` quits the connection. */
  | { readonly url: string; readonly client?: undefined }
  /** Uses this client; `close()` leaves it open for its owner. */
  | { readonly client: Redis | Cluster; readonly url?: undefined };

export type RedisStreamsEventLogOptions = EventLogOptions &
  RedisConnection & {
    /** Namespace of every key the log writes. No braces. Default `feedmesh:events`. */
    readonly prefix?: string;
  };

/** Where a processed-marker lives, for a handler that sets it atomically with its own write. */
export interface ProcessedMarker {
  readonly key: string;
  readonly ttlMs: number;
}

/**
 * The production event log on Redis Streams (Redis 7 or later, standalone or Cluster).
 *
 * Keys, with `P` the prefix and `n` a partition:
 * - `{P:pn}`: partition n's stream; each entry has `event_id` and `event` (protobuf bytes).
 * - `{P:pn}:done:<group>:<event_id>`: the group's processed-marker, with a TTL.
 * - `{P:dead:<group>}`: the group's dead-letter stream.
 * - `{P:dead:<group>}:redriven`: the group's redrive stream: dead letters an operator redrove
 *   (`redriveDeadLetters`), read by the group alone (a consumer group of the same name), each
 *   removed once acknowledged. It shares the dead-letter stream's hash tag, so one script moves
 *   dead letters there atomically, and dead-letters one again atomically too.
 * - `{P:consumers:<group>}`: the group's consumers' heartbeats (a sorted set, see
 *   `consumerTimeoutMs`).
 * - `{P:doorbell}`: on a Cluster, a stream every append adds a ring to, naming the partitions it
 *   appended to (the last 100 or so kept), which idle consumers wait on.
 * The hash tag of a partition's stream also tags its markers, so a marker and the entry's
 * acknowledgement are written in one MULTI. On a standalone Redis a consumer reads every
 * partition in one XREADGROUP (while events trickle), blocking while idle, on a connection of
 * its own (`feedmesh-events-wait:<group>:<consumer>` in CLIENT LIST); a backlog is read a
 * partition at a time. On a Cluster no command spans two partitions, which is what a Cluster
 * requires: each is read with its own XREADGROUP, and an idle consumer waits for the doorbell
 * (an XREAD BLOCK on a connection of its own, named the same) rather than polling, then reads
 * the partitions the rings name. A read of one partition is a script (READ_NEW) that also tells
 * what the length cap trimmed before the group read it (see `EventLogOptions.maxLen`).
 *
 * An appended entry is as durable as the Redis deployment makes it. `append` resolves once
 * Redis answered, so nothing acknowledged is lost only with `appendonly yes` and `appendfsync
 * always` (everysec answers before the sync and loses up to about a second of writes in a
 * crash), and only on the node that answered: replication is asynchronous and no WAIT is sent,
 * so a failover can lose what its replica had not received (k8s/README.md, Redis).
 */
export class RedisStreamsEventLog implements EventLog {
  private readonly settings: LogSettings;
  private readonly prefix: string;
  private readonly client: Redis | Cluster;
  private readonly ownsClient: boolean;
  private readonly consumersRunning = new RunningConsumers();
  private closed = false;
  /** See `RunningConsumers.connectionDropped`. */
  private readonly onClientClose = (): void => this.consumersRunning.connectionDropped();

  /** What consumers run against; kept off the class so its public face stays `EventLog`. */
  private readonly groupStreams: GroupStreams;

  constructor(options: RedisStreamsEventLogOptions) {
    this.settings = logSettingsFrom(options);
    this.prefix = options.prefix ?? 'feedmesh:events';
    if (this.prefix === '' || /[{}]/.test(this.prefix)) {
      throw new InvalidArgumentError('prefix', 'must be non-empty and without braces');
    }
    if (options.client !== undefined) {
      this.client = options.client;
      this.ownsClient = false;
    } else if (options.url !== undefined) {
      this.client = new Redis(options.url);
      this.ownsClient = true;
      // ioredis reconnects by itself; without a listener it would print every failed attempt.
      this.client.on('error', (error: unknown) =>
        this.settings.logger.warn({ err: error }, 'event log: Redis connection error'),
      );
    } else {
      throw new InvalidArgumentError('url', 'either url or client must be given');
    }
    // A reply lost with the connection may have delivered entries to a consumer.
    this.client.on('close', this.onClientClose);
    // Idempotent: a client shared by several logs gets the same definition again.
    this.client.defineCommand('feedmeshEventLogSettle', { lua: SETTLE_ALL });
    this.client.defineCommand('feedmeshEventLogBeat', { numberOfKeys: 1, lua: BEAT });
    this.client.defineCommand('feedmeshEventLogSilent', { numberOfKeys: 1, lua: SILENT });
    this.client.defineCommand('feedmeshEventLogLeave', { numberOfKeys: 1, lua: LEAVE_PARTITION });
    this.client.defineCommand('feedmeshEventLogUnbeat', { numberOfKeys: 1, lua: UNBEAT });
    this.client.defineCommand('feedmeshEventLogCreateGroup', {
      numberOfKeys: 1,
      lua: CREATE_GROUP,
    });
    this.client.defineCommand('feedmeshEventLogReadNew', { numberOfKeys: 1, lua: READ_NEW });
    this.client.defineCommand('feedmeshEventLogRedrive', { numberOfKeys: 2, lua: REDRIVE });
    const client = this.client;
    this.groupStreams = {
      partitions: this.settings.partitions,
      // A blocking read of every partition at once is one command only where they share a
      // server; on a Cluster, consumers wait for the doorbell instead.
      waiter: (group, consumer, onDropped) =>
        client instanceof Redis
          ? new BlockingRead({
              client,
              streamKeys: [
                ...this.partitionIndexes().map((partition) => this.streamKey(partition)),
                this.redriveKey(group),
              ],
              readsRedriven: true,
              group,
              consumer,
              toEntry: (index, raw) =>
                this.entryOf(index < this.settings.partitions ? index : REDRIVEN, raw, 1),
              logger: this.settings.logger,
              onDropped,
            })
          : new DoorbellRead({
              client,
              doorbellKey: this.doorbellKey(),
              partitions: this.settings.partitions,
              readPartition: (partition, count) => this.readNew(partition, group, consumer, count),
              group,
              consumer,
              logger: this.settings.logger,
            }),
      createGroup: (group, startFrom) => this.createGroup(group, startFrom),
      readNew: (partition, group, consumer, count) =>
        this.readNew(partition, group, consumer, count),
      readRedriven: (group, consumer, count) => this.readRedriven(group, consumer, count),
      readOwnPending: (source, group, consumer, count, cursor, counted) =>
        this.readOwnPending(source, group, consumer, count, cursor, counted),
      claimIdle: (source, group, consumer, minIdleMs, count, cursor) =>
        this.claimIdle(source, group, consumer, minIdleMs, count, cursor),
      beat: async (group, consumer, timeoutMs) => {
        await this.scripts.feedmeshEventLogBeat(
          this.beatsKey(group),
          consumer,
          timeoutMs,
          BEATS_TTL_MS,
        );
      },
      silentConsumers: async (group) =>
        (await this.scripts.feedmeshEventLogSilent(this.beatsKey(group))) as string[],
      takeOver: (source, group, owner, consumer, minIdleMs, count) =>
        this.takeOver(source, group, owner, consumer, minIdleMs, count),
      forget: (group, consumer, onlyIfSilent) => this.forget(group, consumer, onlyIfSilent),
      isProcessed: (group, partition, eventId) => this.markerExists(group, partition, eventId),
      areProcessed: (group, partition, eventIds) => this.markersExist(group, partition, eventIds),
      settle: (group, entry) => this.settle(group, entry),
      settleAll: async (group, partition, entries, mark) => {
        if (entries[0]?.redriven !== undefined) {
          if (mark) await this.markAll(group, partition, entries);
          await this.acknowledgeRedriven(group, entries);
        } else if (mark) {
          await this.settleAll(group, partition, entries);
        } else {
          await this.acknowledgeAll(group, partition, entries);
        }
      },
      deadLetter: (group, consumer, entry, error) => this.deadLetter(group, consumer, entry, error),
    };
  }

  /**
   * Appends with one XADD per event, pipelined: one round trip for the whole batch (on a
   * Cluster, one pipeline per partition, sent together, since a pipeline cannot span slots).
   */
  async append(events: readonly eventsv1.Event[]): Promise<void> {
    this.checkOpen();
    const encoded = encodeAppendable(events);
    if (events.length === 0) return;
    const placed = events.map((event, index) => ({
      partition: partitionOf(event, this.settings.partitions),
      eventId: event.eventId,
      bytes: encoded[index]!,
    }));
    if (!this.client.isCluster) {
      await unavailableOnFailure('append', () => this.appendPipelined(placed));
      return;
    }
    const batches = groupByPartition(placed);
    await unavailableOnFailure('append', () =>
      Promise.all(batches.map((batch) => this.appendPipelined(batch))),
    );
    await this.ringDoorbell(batches.map((batch) => batch[0]!.partition));
  }

  /**
   * On a Cluster, after an append has landed: wakes the consumers waiting for new entries
   * (see DoorbellRead). The events are stored already, so a failed ring fails nothing: the
   * waiting consumers read them when their wait times out (at most 5 s).
   */
  private async ringDoorbell(partitions: readonly number[]): Promise<void> {
    await this.client
      .xadd(
        this.doorbellKey(),
        'MAXLEN',
        '~',
        String(DOORBELL_RINGS_KEPT),
        '*',
        RING_PARTITIONS_FIELD,
        partitions.join(','),
      )
      .catch((error: unknown) =>
        this.settings.logger.warn(
          { err: error },
          'event log: the doorbell did not ring; waiting consumers read at their next timeout',
        ),
      );
  }

  async consume(options: ConsumeOptions): Promise<Consumer> {
    this.checkOpen();
    return this.consumersRunning.start((onStopped) =>
      unavailableOnFailure('consume', () =>
        ConsumerRunner.start(this.groupStreams, options, this.settings, onStopped),
      ),
    );
  }

  async *history(options: HistoryOptions = {}): AsyncIterable<eventsv1.Event> {
    const chunk = positiveIntegerOr('chunkSize', options.chunkSize, 1_000);
    const readers = this.partitionIndexes().map(
      (partition) =>
        new HistoryReader(chunk, (start) =>
          unavailableOnFailure('history', async () => {
            const key = this.streamKey(partition);
            return (await this.client.xrangeBuffer(
              key,
              start,
              '+',
              'COUNT',
              chunk,
            )) as unknown as RawEntry[];
          }),
        ),
    );
    await Promise.all(readers.map((reader) => reader.fill()));
    for (;;) {
      // The oldest head of the partitions: see HistoryReader's `before`.
      let from: HistoryReader | undefined;
      for (const reader of readers) {
        if (reader.head && (!from || before(reader.head, from.head!))) from = reader;
      }
      if (!from) return;
      yield from.take();
      if (!from.head) await from.fill();
    }
  }

  /**
   * From XINFO GROUPS of each partition and of the redrive stream: cheap (O(groups)), fine to
   * poll every few seconds.
   */
  async lag(group: string): Promise<GroupLag> {
    checkName('group', group);
    const [redrive, ...perPartition] = await unavailableOnFailure('lag', () =>
      Promise.all([
        this.redriveLag(group),
        ...this.partitionIndexes().map((partition) => this.partitionLag(partition, group)),
      ]),
    );
    let undelivered = redrive!.undelivered;
    let pending = redrive!.pending;
    for (const partitionLag of perPartition) {
      if (partitionLag === undefined) throw new NotFoundError('consumer group', group);
      undelivered += partitionLag.undelivered;
      pending += partitionLag.pending;
    }
    return { undelivered, pending };
  }

  /** Per partition, the id of its last entry (XREVRANGE + - COUNT 1), `0-0` for none. */
  async endMark(): Promise<LogMark> {
    const ends = await unavailableOnFailure('endMark', () =>
      Promise.all(
        this.partitionIndexes().map(async (partition) => {
          const [last] = await this.client.xrevrange(
            this.streamKey(partition),
            '+',
            '-',
            'COUNT',
            1,
          );
          return last?.[0] ?? '0-0';
        }),
      ),
    );
    return { ends };
  }

  /**
   * Per partition, XINFO GROUPS (the group's last-delivered-id at or past the mark's id), then
   * XPENDING of the group up to the mark's id (none). In that order: once every entry up to
   * the mark has been delivered, one that is not pending has been acknowledged.
   */
  async handledUpTo(group: string, mark: LogMark): Promise<boolean> {
    checkName('group', group);
    const ends = checkMark(mark, this.settings.partitions, isStreamId);
    const handled = await unavailableOnFailure('handledUpTo', () =>
      Promise.all(
        this.partitionIndexes().map((partition) =>
          this.partitionHandledUpTo(partition, group, ends[partition]!),
        ),
      ),
    );
    return handled.every(Boolean);
  }

  /**
   * XINFO GROUPS and XINFO CONSUMERS of each partition, the groups' heartbeats and the length
   * of their dead-letter streams: a few commands per partition and group, for an operator.
   */
  async groups(): Promise<GroupStatus[]> {
    return unavailableOnFailure('groups', async () => {
      const found = new Map<
        string,
        { undelivered: number; pending: number; consumers: Map<string, number> }
      >();
      for (const partition of this.partitionIndexes()) {
        const key = this.streamKey(partition);
        const reply = await this.client.xinfo('GROUPS', key).catch((error: unknown) => {
          if (messageOf(error).includes('no such key')) return [];
          throw error;
        });
        for (const info of parseGroupInfos(reply)) {
          let group = found.get(info.name);
          if (group === undefined) {
            group = { undelivered: 0, pending: 0, consumers: new Map() };
            found.set(info.name, group);
          }
          group.undelivered += await this.undeliveredOf(info, key);
          group.pending += info.pending;
          const consumers = parseConsumerInfos(
            await this.client.xinfo('CONSUMERS', key, info.name),
          );
          for (const { name, pending } of consumers) {
            group.consumers.set(name, (group.consumers.get(name) ?? 0) + pending);
          }
        }
      }
      const [seconds, micros] = (await this.client.time()) as [number | string, number | string];
      const nowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      const statuses: GroupStatus[] = [];
      for (const [group, { undelivered, pending, consumers }] of [...found].sort(([a], [b]) =>
        a < b ? -1 : a > b ? 1 : 0,
      )) {
        const redrive = await this.redriveStatus(group, true);
        for (const { name, pending: held } of redrive.consumers) {
          consumers.set(name, (consumers.get(name) ?? 0) + held);
        }
        const beats = await this.client.zrange(this.beatsKey(group), 0, -1, 'WITHSCORES');
        const silentAt = new Map<string, number>();
        for (let i = 0; i + 1 < beats.length; i += 2) silentAt.set(beats[i]!, Number(beats[i + 1]));
        const names = [...new Set([...consumers.keys(), ...silentAt.keys()])].sort();
        statuses.push({
          group,
          undelivered: undelivered + redrive.undelivered,
          pending: pending + redrive.pending,
          consumers: names.map((name): GroupConsumer => {
            const at = silentAt.get(name);
            return {
              name,
              pending: consumers.get(name) ?? 0,
              heartbeat: at === undefined ? 'unknown' : at >= nowMs ? 'alive' : 'silent',
            };
          }),
          deadLetters: await this.client.xlen(this.deadLetterKey(group)),
        });
      }
      return statuses;
    });
  }

  consumers(): readonly Consumer[] {
    return this.consumersRunning.list();
  }

  /** One XRANGE of the dead-letter stream, from just after `after`. */
  async deadLetters(group: string, page?: DeadLetterPage): Promise<DeadLetter[]> {
    checkName('group', group);
    const { after, limit } = checkDeadLetterPage(page, isStreamId);
    const entries = await unavailableOnFailure('deadLetters', () =>
      this.client.xrangeBuffer(
        this.deadLetterKey(group),
        after === undefined ? '-' : `(${after}`,
        '+',
        'COUNT',
        limit,
      ),
    );
    return entries.map(([id, fields]) => toDeadLetter(id.toString(), fieldsOf(fields)));
  }

  /**
   * One script (REDRIVE) moves the chosen dead letters from the dead-letter stream to the
   * group's redrive stream, which shares its hash tag: atomic, on a Cluster too, so a dead
   * letter is in exactly one of them whatever fails, and two calls at once cannot both take
   * it. `all` runs the script in chunks of REDRIVE_CHUNK, up to the newest dead letter when the
   * call began (those dead-lettered meanwhile, a redriven one failing again among them, wait
   * for the next call); each chunk is atomic. A Redis user that may not run scripts cannot
   * redrive.
   */
  async redriveDeadLetters(group: string, selection: RedriveSelection): Promise<DeadLetter[]> {
    checkName('group', group);
    const chosen = checkRedriveSelection(selection);
    return unavailableOnFailure('redriveDeadLetters', async () => {
      if (!(await this.knowsGroup(group))) throw new NotFoundError('consumer group', group);
      if (chosen.ids !== undefined) {
        // Oldest first, so the redrive stream keeps the order they were dead-lettered in.
        const ids = [...chosen.ids].sort((a, b) =>
          isStreamId(a) && isStreamId(b) ? compareStreamIds(a, b) : a < b ? -1 : 1,
        );
        const [moved, unknown] = await this.redrive(group, ['ids', ...ids]);
        if (unknown.length > 0) throw new UnknownDeadLettersError(group, unknown);
        return moved;
      }
      const [newest] = await this.client.xrevrange(this.deadLetterKey(group), '+', '-', 'COUNT', 1);
      if (newest === undefined) return [];
      const redriven: DeadLetter[] = [];
      while (redriven.length < chosen.limit) {
        const count = Math.min(REDRIVE_CHUNK, chosen.limit - redriven.length);
        const [moved] = await this.redrive(group, ['upto', newest[0], count]);
        redriven.push(...moved);
        if (moved.length < count) break;
      }
      return redriven;
    });
  }

  async isProcessed(group: string, event: eventsv1.Event): Promise<boolean> {
    checkName('group', group);
    const partition = partitionOf(event, this.settings.partitions);
    return unavailableOnFailure('isProcessed', () =>
      this.markerExists(group, partition, event.eventId),
    );
  }

  async markProcessed(group: string, event: eventsv1.Event): Promise<boolean> {
    const { key, ttlMs } = this.processedMarker(group, event);
    const reply = await unavailableOnFailure('markProcessed', () =>
      this.client.set(key, '1', 'PX', ttlMs, 'NX'),
    );
    return reply === 'OK';
  }

  /**
   * The key and TTL of `group`'s processed-marker for `event`. A handler that must apply an
   * event exactly once can run `SET key 1 PX ttlMs NX` and its own write in one Lua script,
   * writing only when the SET succeeded. On a Cluster the script's other keys must share the
   * marker's hash tag (the event's partition).
   */
  processedMarker(group: string, event: eventsv1.Event): ProcessedMarker {
    checkName('group', group);
    const partition = partitionOf(event, this.settings.partitions);
    return {
      key: this.markerKey(group, partition, event.eventId),
      ttlMs: this.settings.processedTtlMs,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.consumersRunning.stopAll();
    this.client.off('close', this.onClientClose);
    if (!this.ownsClient) return;
    if (this.client.status === 'ready') {
      await this.client.quit().catch(() => this.client.disconnect());
    } else {
      // QUIT would wait in the offline queue for a Redis that is not there.
      this.client.disconnect();
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new FailedPreconditionError('the event log is closed');
  }

  private partitionIndexes(): number[] {
    return Array.from({ length: this.settings.partitions }, (_, partition) => partition);
  }

  private streamKey(partition: number): string {
    return `{${this.prefix}:p${partition}}`;
  }

  private markerKey(group: string, partition: number, eventId: string): string {
    return `${this.streamKey(partition)}:done:${group}:${eventId}`;
  }

  /** The group's heartbeats: a sorted set of consumer names scored by their last beat (ms). */
  private beatsKey(group: string): string {
    return `{${this.prefix}:consumers:${group}}`;
  }

  /** Rung by every append on a Cluster (see DoorbellRead); a slot of its own. */
  private doorbellKey(): string {
    return `{${this.prefix}:doorbell}`;
  }

  private deadLetterKey(group: string): string {
    return `{${this.prefix}:dead:${group}}`;
  }

  /** The dead-letter stream's hash tag: a redrive moves entries between the two atomically. */
  private redriveKey(group: string): string {
    return `${this.deadLetterKey(group)}:redriven`;
  }

  /** The stream a source's entries are in. */
  private sourceKey(source: EntrySource, group: string): string {
    return source === REDRIVEN ? this.redriveKey(group) : this.streamKey(source);
  }

  /** An entry of `source` as delivered for the `deliveries`th time. */
  private entryOf(source: EntrySource, raw: RawEntry, deliveries: number): StreamEntry {
    return source === REDRIVEN
      ? toRedrivenEntry(raw, deliveries)
      : toStreamEntry(source, raw, deliveries);
  }

  /** Whether `group` is a consumer group of the log: in some partition. */
  private async knowsGroup(group: string): Promise<boolean> {
    const found = await Promise.all(
      this.partitionIndexes().map(
        async (partition) => (await this.groupInfo(this.streamKey(partition), group)) !== undefined,
      ),
    );
    return found.some(Boolean);
  }

  /**
   * Runs REDRIVE for `group` with `args` (`ids` and the ids, or `upto`, an id and a count):
   * what it redrove, and the ids it refused (then nothing moved).
   */
  private async redrive(
    group: string,
    args: readonly (string | number)[],
  ): Promise<[redriven: DeadLetter[], unknown: string[]]> {
    const reply = (await this.scripts.feedmeshEventLogRedriveBuffer(
      this.deadLetterKey(group),
      this.redriveKey(group),
      group,
      ...args,
    )) as [number, unknown[]];
    const [moved, list] = reply;
    if (Number(moved) === 0) return [[], list.map(String)];
    return [
      parseRangeReply(list).map(([id, fields]) => toDeadLetter(id.toString(), fieldsOf(fields))),
      [],
    ];
  }

  /**
   * The redrive stream's share of the group's lag: acknowledged entries are removed from it,
   * so what it holds is pending or undelivered. With `withConsumers`, what each consumer holds.
   */
  private async redriveStatus(
    group: string,
    withConsumers: boolean,
  ): Promise<GroupLag & { consumers: { name: string; pending: number }[] }> {
    const key = this.redriveKey(group);
    const [length, info] = await Promise.all([this.client.xlen(key), this.groupInfo(key, group)]);
    const pending = info?.pending ?? 0;
    const consumers =
      withConsumers && pending > 0
        ? parseConsumerInfos(await this.client.xinfo('CONSUMERS', key, group))
        : [];
    return { undelivered: Math.max(0, length - pending), pending, consumers };
  }

  private async redriveLag(group: string): Promise<GroupLag> {
    const { undelivered, pending } = await this.redriveStatus(group, false);
    return { undelivered, pending };
  }

  private trimArgs(): string[] {
    const { maxLen } = this.settings;
    return maxLen === undefined ? [] : ['MAXLEN', '~', String(maxLen)];
  }

  private async appendPipelined(batch: readonly PlacedEvent[]): Promise<void> {
    const pipeline = this.client.pipeline();
    for (const { partition, eventId, bytes } of batch) {
      pipeline.xadd(
        this.streamKey(partition),
        ...this.trimArgs(),
        '*',
        'event_id',
        eventId,
        'event',
        asBuffer(bytes),
      );
    }
    await execOrThrow(pipeline.exec());
  }

  /**
   * One script per partition (see CREATE_GROUP); XGROUP CREATE itself for a Redis user that
   * may not run scripts (Redis then cannot count what the length cap takes from the group).
   */
  private async createGroup(group: string, startFrom: StartFrom): Promise<void> {
    const id = startFrom === 'end' ? '$' : '0';
    // Whatever startFrom says, the group reads every dead letter redriven to it.
    await this.client
      .xgroup('CREATE', this.redriveKey(group), group, '0', 'MKSTREAM')
      .catch((error: unknown) => {
        if (!messageOf(error).startsWith('BUSYGROUP')) throw error;
      });
    await Promise.all(
      this.partitionIndexes().map(async (partition) => {
        const key = this.streamKey(partition);
        const created = await this.scripts
          .feedmeshEventLogCreateGroup(key, group, id)
          .catch(unlessScriptRefused);
        if (created !== SCRIPT_REFUSED) return;
        await this.client.xgroup('CREATE', key, group, id, 'MKSTREAM').catch((error: unknown) => {
          if (!messageOf(error).startsWith('BUSYGROUP')) throw error;
        });
      }),
    );
  }

  /**
   * XREADGROUP in a script that first tells what it is about to jump over (see READ_NEW); a
   * plain XREADGROUP, telling nothing, for a Redis user that may not run scripts.
   */
  private async readNew(
    partition: number,
    group: string,
    consumer: string,
    count: number,
  ): Promise<NewEntries> {
    const key = this.streamKey(partition);
    const scripted = await this.scripts
      .feedmeshEventLogReadNewBuffer(key, group, consumer, count)
      .catch(unlessScriptRefused);
    const [trimmed, reply] =
      scripted === SCRIPT_REFUSED
        ? [
            0,
            await this.client.callBuffer('XREADGROUP', [
              'GROUP',
              group,
              consumer,
              'COUNT',
              count,
              'STREAMS',
              key,
              '>',
            ]),
          ]
        : (scripted as [number, unknown]);
    return {
      entries: parseReadReply(reply).map((raw) => toStreamEntry(partition, raw, 1)),
      trimmed: trimmed > 0 ? [{ partition, count: trimmed }] : [],
    };
  }

  /** XREADGROUP of the group's redrive stream. */
  private async readRedriven(
    group: string,
    consumer: string,
    count: number,
  ): Promise<StreamEntry[]> {
    const reply = await this.client.callBuffer('XREADGROUP', [
      'GROUP',
      group,
      consumer,
      'COUNT',
      count,
      'STREAMS',
      this.redriveKey(group),
      '>',
    ]);
    return parseReadReply(reply).map((raw) => toRedrivenEntry(raw, 1));
  }

  /**
   * XPENDING lists the consumer's own pending ids with their delivery counts; XCLAIM of those
   * ids to the same consumer (min idle 0) returns the entries, counts the delivery again
   * unless told otherwise (RETRYCOUNT, which sets one count: one XCLAIM per count the ids
   * have, usually one), and drops from the pending list any trimmed from the stream meanwhile
   * (counted as `trimmed`).
   */
  private async readOwnPending(
    source: EntrySource,
    group: string,
    consumer: string,
    count: number,
    after: string | undefined,
    counted: boolean,
  ): Promise<ClaimedEntries> {
    const key = this.sourceKey(source, group);
    const listed = parsePendingList(
      await this.client.call(
        'XPENDING',
        key,
        group,
        after === undefined ? '-' : `(${after}`,
        '+',
        count,
        consumer,
      ),
    );
    if (listed.length === 0) return { entries: [], trimmed: 0, cursor: undefined };
    const claim = (ids: readonly string[], retryCount?: number) =>
      this.client.callBuffer('XCLAIM', [
        key,
        group,
        consumer,
        0,
        ...ids,
        ...(retryCount === undefined ? [] : ['RETRYCOUNT', retryCount]),
      ]);
    let replies: unknown[];
    if (counted) {
      replies = [await claim(listed.map(({ id }) => id))];
    } else {
      const byCount = new Map<number, string[]>();
      for (const { id, deliveries } of listed) {
        const ids = byCount.get(deliveries);
        if (ids === undefined) byCount.set(deliveries, [id]);
        else ids.push(id);
      }
      replies = await Promise.all([...byCount].map(([retries, ids]) => claim(ids, retries)));
    }
    const deliveries = new Map(
      listed.map(({ id, deliveries }) => [id, counted ? deliveries + 1 : deliveries]),
    );
    const entries = replies
      .flatMap(parseClaimedEntries)
      .map((raw) => this.entryOf(source, raw, deliveries.get(String(raw[0])) ?? 1));
    const cursor = listed.length === count ? listed[listed.length - 1]!.id : undefined;
    const trimmed = await this.trimmedOf(source, key, listed, entries);
    return { entries, trimmed, cursor };
  }

  /**
   * XAUTOCLAIM moves idle entries to `consumer` and counts the delivery, but does not say
   * how many deliveries an entry has had; XPENDING on each claimed id does, in one round trip.
   */
  private async claimIdle(
    source: EntrySource,
    group: string,
    consumer: string,
    minIdleMs: number,
    count: number,
    cursor: string | undefined,
  ): Promise<ClaimedEntries> {
    const key = this.sourceKey(source, group);
    const reply = await this.client.callBuffer('XAUTOCLAIM', [
      key,
      group,
      consumer,
      minIdleMs,
      cursor ?? '0-0',
      'COUNT',
      count,
    ]);
    const { next, entries, deleted } = parseClaimReply(reply);
    const deliveries = await Promise.all(
      entries.map(async ([id]) =>
        parsePendingDeliveries(await this.client.xpending(key, group, id, id, 1)),
      ),
    );
    const claimed: StreamEntry[] = [];
    entries.forEach((raw, index) => {
      const count = deliveries[index];
      // Acknowledged by its previous owner since the claim: nothing left to do.
      if (count !== undefined) claimed.push(this.entryOf(source, raw, count));
    });
    return { entries: claimed, trimmed: deleted, cursor: next === '0-0' ? undefined : next };
  }

  /**
   * XPENDING with IDLE lists the owner's entries idle long enough; XCLAIM with the same min
   * idle time takes them, skipping any another consumer took (or the owner read again)
   * meanwhile, and counts the delivery.
   */
  private async takeOver(
    source: EntrySource,
    group: string,
    owner: string,
    consumer: string,
    minIdleMs: number,
    count: number,
  ): Promise<RedeliveredEntries> {
    const key = this.sourceKey(source, group);
    const listed = parsePendingList(
      await this.client.call('XPENDING', key, group, 'IDLE', minIdleMs, '-', '+', count, owner),
    );
    if (listed.length === 0) return { entries: [], trimmed: 0 };
    const reply = await this.client.callBuffer('XCLAIM', [
      key,
      group,
      consumer,
      minIdleMs,
      ...listed.map(({ id }) => id),
    ]);
    const deliveries = new Map(listed.map(({ id, deliveries }) => [id, deliveries + 1]));
    const entries = parseClaimedEntries(reply).map((raw) =>
      this.entryOf(source, raw, deliveries.get(raw[0].toString()) ?? 1),
    );
    return { entries, trimmed: await this.trimmedOf(source, key, listed, entries) };
  }

  /**
   * Of the pending ids `listed`, how many XCLAIM did not return because the stream no longer
   * holds them: those before its first entry (trimming takes the oldest; this log never
   * deletes). One that is still there was acknowledged or taken by another consumer meanwhile.
   * The redrive stream is never trimmed: what is missing there was acknowledged (and removed).
   */
  private async trimmedOf(
    source: EntrySource,
    key: string,
    listed: readonly { readonly id: string }[],
    claimed: readonly StreamEntry[],
  ): Promise<number> {
    if (source === REDRIVEN || claimed.length === listed.length) return 0;
    const returned = new Set(claimed.map((entry) => entry.id));
    const missing = listed.filter(({ id }) => !returned.has(id));
    const [first] = await this.client.xrange(key, '-', '+', 'COUNT', 1);
    const firstId = first?.[0];
    return missing.filter(({ id }) => firstId === undefined || compareStreamIds(id, firstId) < 0)
      .length;
  }

  /**
   * Per partition and for the redrive stream, one script (checks nothing is pending, then
   * XGROUP DELCONSUMER).
   */
  private async forget(group: string, consumer: string, onlyIfSilent: boolean): Promise<boolean> {
    const keys = [
      ...this.partitionIndexes().map((partition) => this.streamKey(partition)),
      this.redriveKey(group),
    ];
    const left = await Promise.all(
      keys.map((key) => this.scripts.feedmeshEventLogLeave(key, group, consumer)),
    );
    if (!left.every((reply) => Number(reply) === 1)) return false;
    await this.scripts.feedmeshEventLogUnbeat(this.beatsKey(group), consumer, onlyIfSilent ? 1 : 0);
    return true;
  }

  private get scripts(): LogScripts {
    return this.client as unknown as LogScripts;
  }

  private async markerExists(group: string, partition: number, eventId: string): Promise<boolean> {
    return (await this.client.exists(this.markerKey(group, partition, eventId))) === 1;
  }

  /** One MGET: the markers share their partition's hash tag, hence one slot. */
  private async markersExist(
    group: string,
    partition: number,
    eventIds: readonly string[],
  ): Promise<boolean[]> {
    if (eventIds.length === 0) return [];
    const markers = await this.client.mget(
      ...eventIds.map((eventId) => this.markerKey(group, partition, eventId)),
    );
    return markers.map((marker) => marker !== null);
  }

  /**
   * Every marker and one XACK of every id in one script: a crash lands before or after all
   * of it, as with MULTI, and the client sends one command rather than one per event.
   */
  private async settleAll(
    group: string,
    partition: number,
    entries: readonly StreamEntry[],
  ): Promise<void> {
    if (entries.length === 0) return;
    const keys = [
      this.streamKey(partition),
      ...entries.map((entry) => this.markerKey(group, partition, entry.eventId)),
    ];
    const settle = this.client as unknown as {
      feedmeshEventLogSettle(...args: (string | number)[]): Promise<unknown>;
    };
    await settle.feedmeshEventLogSettle(
      keys.length,
      ...keys,
      group,
      this.settings.processedTtlMs,
      ...entries.map((entry) => entry.id),
    );
  }

  /** The processed-markers of entries of one partition, unless set: one pipeline, one slot. */
  private async markAll(
    group: string,
    partition: number,
    entries: readonly StreamEntry[],
  ): Promise<void> {
    const pipeline = this.client.pipeline();
    for (const entry of entries) {
      pipeline.set(
        this.markerKey(group, partition, entry.eventId),
        '1',
        'PX',
        this.settings.processedTtlMs,
        'NX',
      );
    }
    await execOrThrow(pipeline.exec());
  }

  /** XACK and XDEL of redriven entries in one MULTI: the redrive stream keeps only the rest. */
  private async acknowledgeRedriven(group: string, entries: readonly StreamEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const key = this.redriveKey(group);
    const ids = entries.map((entry) => entry.id);
    await execOrThrow(
      this.client
        .multi()
        .xack(key, group, ...ids)
        .xdel(key, ...ids)
        .exec(),
    );
  }

  /** One XACK of every id: the handler set the markers (`ConsumeSettings.marksProcessed`). */
  private async acknowledgeAll(
    group: string,
    partition: number,
    entries: readonly StreamEntry[],
  ): Promise<void> {
    if (entries.length === 0) return;
    await this.client.xack(this.streamKey(partition), group, ...entries.map((entry) => entry.id));
  }

  /**
   * One MULTI: the marker and the acknowledgement share the partition's hash tag. A redriven
   * entry's marker is set first, then it is acknowledged in its redrive stream (another hash
   * tag): a crash between them delivers it again, and the marker settles it as a duplicate.
   */
  private async settle(group: string, entry: StreamEntry): Promise<void> {
    if (entry.redriven !== undefined) {
      await this.markAll(group, entry.partition, [entry]);
      await this.acknowledgeRedriven(group, [entry]);
      return;
    }
    await execOrThrow(
      this.client
        .multi()
        .set(
          this.markerKey(group, entry.partition, entry.eventId),
          '1',
          'PX',
          this.settings.processedTtlMs,
          'NX',
        )
        .xack(this.streamKey(entry.partition), group, entry.id)
        .exec(),
    );
  }

  /**
   * The dead-letter stream has its own hash tag, so the copy and the acknowledgement of a
   * partition's entry are two commands: a crash between them dead-letters the entry twice,
   * never loses it. A redriven entry's are one MULTI.
   */
  private async deadLetter(
    group: string,
    consumer: string,
    entry: StreamEntry,
    error: string,
  ): Promise<void> {
    const fields = [
      'event_id',
      entry.eventId,
      'event',
      asBuffer(entry.bytes),
      'partition',
      String(entry.partition),
      'entry_id',
      entry.redriven?.entryId ?? entry.id,
      'consumer',
      consumer,
      'deliveries',
      String(entry.deliveries),
      'error',
      error,
      'redrives',
      String(entry.redriven?.redrives ?? 0),
    ];
    if (entry.redriven !== undefined) {
      // The redrive stream shares the dead-letter stream's hash tag: one MULTI.
      const key = this.redriveKey(group);
      await execOrThrow(
        this.client
          .multi()
          .xadd(this.deadLetterKey(group), ...this.trimArgs(), '*', ...fields)
          .xack(key, group, entry.id)
          .xdel(key, entry.id)
          .exec(),
      );
      return;
    }
    await this.client.xadd(this.deadLetterKey(group), ...this.trimArgs(), '*', ...fields);
    await this.client.xack(this.streamKey(entry.partition), group, entry.id);
  }

  /** Undefined when the group does not exist in this partition. */
  private async partitionLag(partition: number, group: string): Promise<GroupLag | undefined> {
    const key = this.streamKey(partition);
    const info = await this.groupInfo(key, group);
    if (info === undefined) return undefined;
    return { undelivered: await this.undeliveredOf(info, key), pending: info.pending };
  }

  /** False when the group does not exist in this partition (or stopped existing meanwhile). */
  private async partitionHandledUpTo(
    partition: number,
    group: string,
    end: string,
  ): Promise<boolean> {
    const key = this.streamKey(partition);
    const info = await this.groupInfo(key, group);
    if (info === undefined || compareStreamIds(info.lastDeliveredId, end) < 0) return false;
    const pending = await this.client.xpending(key, group, '-', end, 1).catch((error: unknown) => {
      if (messageOf(error).startsWith('NOGROUP')) return undefined;
      throw error;
    });
    return pending !== undefined && pending.length === 0;
  }

  /** From XINFO GROUPS of the stream; undefined when the stream or the group does not exist. */
  private async groupInfo(key: string, group: string): Promise<GroupInfo | undefined> {
    const reply = await this.client.xinfo('GROUPS', key).catch((error: unknown) => {
      if (messageOf(error).includes('no such key')) return undefined;
      throw error;
    });
    if (reply === undefined) return undefined;
    return parseGroupInfos(reply).find((candidate) => candidate.name === group);
  }

  /**
   * The group's `lag` in the partition. Redis cannot compute it after entries were deleted
   * from the middle of the stream (XDEL, which this log never issues), and keeps counting
   * entries that a length cap (`maxLen`) trimmed before the group read them: so a group that
   * has been delivered the stream's last entry has nothing undelivered, and otherwise the
   * stream's length bounds the figure from above.
   */
  private async undeliveredOf(info: GroupInfo, key: string): Promise<number> {
    const [length, last] = await Promise.all([
      this.client.xlen(key),
      this.client.xrevrange(key, '+', '-', 'COUNT', 1),
    ]);
    const lastId = last[0]?.[0];
    if (lastId === undefined || compareStreamIds(info.lastDeliveredId, lastId) >= 0) return 0;
    return Math.min(info.lag ?? length, length);
  }
}

/**
 * KEYS: the partition's stream, then one processed-marker per entry. ARGV: the group, the
 * markers' time to live in ms, then the entries' ids. Sets each marker that is not set, then
 * acknowledges every entry.
 */
const SETTLE_ALL = `
for i = 2, #KEYS do redis.call('SET', KEYS[i], '1', 'PX', ARGV[2], 'NX') end
local acked = 0
-- In slices: unpack has a limit on how many values it returns at once.
for i = 3, #ARGV, 1000 do
  acked = acked + redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
return acked
`;

/** Lua: a field's value in a flat `[name, value, ...]` reply (XINFO's). */
const FIELD = `
local function field(list, name)
  for i = 1, #list, 2 do
    if list[i] == name then return list[i + 1] end
  end
end
`;

/**
 * KEYS: a partition's stream. ARGV: the group, then `0` (from the beginning) or `$` (from
 * the end). Creates the group (and the stream) unless it exists, telling Redis how many
 * entries it counts as read already (ENTRIESREAD): those appended before it (from the end), or
 * those trimmed before it (from the beginning), which it could never read. Redis then counts
 * exactly what the group reads, and READ_NEW can tell what the length cap takes from it later.
 */
const CREATE_GROUP = `${FIELD}
local added, length = 0, 0
if redis.call('EXISTS', KEYS[1]) == 1 then
  local stream = redis.call('XINFO', 'STREAM', KEYS[1])
  added, length = field(stream, 'entries-added'), field(stream, 'length')
end
local read = added - length
if ARGV[2] == '$' then read = added end
local ok, failure = pcall(redis.call, 'XGROUP', 'CREATE', KEYS[1], ARGV[1], ARGV[2], 'MKSTREAM', 'ENTRIESREAD', read)
if ok then return 1 end
local message = type(failure) == 'table' and failure.err or tostring(failure)
if string.find(message, 'BUSYGROUP', 1, true) then return 0 end
return redis.error_reply(message)
`;

/**
 * KEYS: a partition's stream. ARGV: the group, the consumer, the count. XREADGROUP of new
 * entries, first telling how many it jumps over because the length cap trimmed them before the
 * group read them: when the group's last delivered entry is older than the stream's first,
 * those trimmed (entries-added - length) less those the group read (entries-read, exact for a
 * group CREATE_GROUP made). It then counts them read (XGROUP SETID ... ENTRIESREAD), so the
 * next jump is counted alone and the group's lag holds only what is left. A group whose count
 * Redis does not know (made before, not read since) is not told about. Returns the number,
 * then the XREADGROUP reply.
 */
const READ_NEW = `${FIELD}
local function older(a, b)
  local a_ms, a_seq = string.match(a, '^(%d+)-(%d+)$')
  local b_ms, b_seq = string.match(b, '^(%d+)-(%d+)$')
  if a_ms ~= b_ms then
    if #a_ms ~= #b_ms then return #a_ms < #b_ms end
    return a_ms < b_ms
  end
  if #a_seq ~= #b_seq then return #a_seq < #b_seq end
  return a_seq < b_seq
end
local trimmed = 0
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
if first then
  for _, info in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    if field(info, 'name') == ARGV[1] then
      local last, read = field(info, 'last-delivered-id'), field(info, 'entries-read')
      if type(read) == 'number' and older(last, first[1]) then
        local stream = redis.call('XINFO', 'STREAM', KEYS[1])
        local before = field(stream, 'entries-added') - field(stream, 'length')
        if before > read then
          trimmed = before - read
          redis.call('XGROUP', 'SETID', KEYS[1], ARGV[1], last, 'ENTRIESREAD', before)
        end
      end
    end
  end
end
local reply = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
return { trimmed, reply }
`;

/** Redis's clock in ms, so consumers on hosts whose clocks disagree agree on who is silent. */
const NOW_MS = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
`;

/**
 * KEYS: the group's heartbeats. ARGV: the consumer, its timeout ms, the set's time to live ms.
 * A consumer's score is when it turns silent unless it beats again.
 */
const BEAT = `${NOW_MS}
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return now
`;

/** KEYS: the group's heartbeats. The consumers silent now. */
const SILENT = `${NOW_MS}
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
`;

/**
 * KEYS: a partition's stream. ARGV: the group, the consumer. Removes the consumer from the
 * group there if nothing is pending for it (DELCONSUMER would drop its pending entries);
 * 1 when it is not in the group there (any more), 0 when entries keep it.
 */
const LEAVE_PARTITION = `
local ok, listed = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if not ok then
  local message = type(listed) == 'table' and listed.err or tostring(listed)
  if string.find(message, 'NOGROUP', 1, true) then return 1 end
  return redis.error_reply(message)
end
if #listed > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

/**
 * KEYS: the group's heartbeats. ARGV: the consumer, and 1 to remove its beat only if it is
 * still silent (it may have come back since it was found silent), else 0.
 */
const UNBEAT = `
if ARGV[2] == '1' then
  local silent_at = redis.call('ZSCORE', KEYS[1], ARGV[1])
  if not silent_at then return 0 end
  ${NOW_MS}
  if tonumber(silent_at) >= now then return 0 end
end
return redis.call('ZREM', KEYS[1], ARGV[1])
`;

/**
 * KEYS: the group's dead-letter stream, its redrive stream. ARGV: the group, then `ids` and
 * the dead letters' ids, or `upto`, an id and a count (the oldest `count` up to that id).
 * Moves those dead letters to the redrive stream (all their fields, `redrives` one more) and
 * deletes them from the dead-letter stream, creating the group's consumer group there first
 * if need be. With `ids`, all or none: when one is not a dead letter (any more), nothing
 * moves. Returns `{1, moved entries}`, or `{0, the ids it did not find}`.
 */
const REDRIVE = `
local ok, failure = pcall(redis.call, 'XGROUP', 'CREATE', KEYS[2], ARGV[1], '0', 'MKSTREAM')
if not ok then
  local message = type(failure) == 'table' and failure.err or tostring(failure)
  if not string.find(message, 'BUSYGROUP', 1, true) then return redis.error_reply(message) end
end
local entries = {}
if ARGV[2] == 'ids' then
  local missing = {}
  for i = 3, #ARGV do
    -- A malformed id is an unknown one.
    local found, reply = pcall(redis.call, 'XRANGE', KEYS[1], ARGV[i], ARGV[i])
    if found and reply[1] then entries[#entries + 1] = reply[1]
    else missing[#missing + 1] = ARGV[i] end
  end
  if #missing > 0 then return { 0, missing } end
else
  entries = redis.call('XRANGE', KEYS[1], '-', ARGV[3], 'COUNT', ARGV[4])
end
for _, entry in ipairs(entries) do
  local fields, copy, redrives = entry[2], {}, 0
  for i = 1, #fields, 2 do
    if fields[i] == 'redrives' then
      redrives = tonumber(fields[i + 1]) or 0
    else
      copy[#copy + 1] = fields[i]
      copy[#copy + 1] = fields[i + 1]
    end
  end
  copy[#copy + 1] = 'redrives'
  copy[#copy + 1] = tostring(redrives + 1)
  redis.call('XADD', KEYS[2], '*', unpack(copy))
  redis.call('XDEL', KEYS[1], entry[1])
end
return { 1, entries }
`;

/** Dead letters one REDRIVE script moves at most, for `all`: a script blocks Redis meanwhile. */
const REDRIVE_CHUNK = 500;

/** A group's heartbeats outlive the last beat by a day, then go. */
const BEATS_TTL_MS = 24 * 60 * 60 * 1000;

interface LogScripts {
  feedmeshEventLogBeat(
    key: string,
    consumer: string,
    timeoutMs: number,
    ttlMs: number,
  ): Promise<unknown>;
  feedmeshEventLogSilent(key: string): Promise<unknown>;
  feedmeshEventLogLeave(key: string, group: string, consumer: string): Promise<unknown>;
  feedmeshEventLogUnbeat(key: string, consumer: string, onlyIfSilent: 0 | 1): Promise<unknown>;
  feedmeshEventLogCreateGroup(key: string, group: string, id: '0' | '$'): Promise<unknown>;
  feedmeshEventLogReadNewBuffer(
    key: string,
    group: string,
    consumer: string,
    count: number,
  ): Promise<unknown>;
  feedmeshEventLogRedriveBuffer(
    deadKey: string,
    redriveKey: string,
    group: string,
    ...args: (string | number)[]
  ): Promise<unknown>;
}

/** An event checked and encoded for its partition. */
interface PlacedEvent {
  readonly partition: number;
  readonly eventId: string;
  readonly bytes: Uint8Array;
}

function groupByPartition(placed: readonly PlacedEvent[]): PlacedEvent[][] {
  const byPartition = new Map<number, PlacedEvent[]>();
  for (const item of placed) {
    const batch = byPartition.get(item.partition);
    if (batch === undefined) byPartition.set(item.partition, [item]);
    else batch.push(item);
  }
  return [...byPartition.values()];
}

/** A Buffer over the same memory: ioredis sends Buffers as binary, other views as text. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function toStreamEntry(partition: number, [id, fields]: RawEntry, deliveries: number): StreamEntry {
  const byName = fieldsOf(fields);
  const bytes = byName.get('event') ?? Buffer.alloc(0);
  return {
    partition,
    id: id.toString(),
    eventId: byName.get('event_id')?.toString() ?? '',
    bytes,
    event: decodeEvent(bytes),
    deliveries,
  };
}

/** A redriven dead letter, from the fields REDRIVE copied to the redrive stream. */
function toRedrivenEntry([id, fields]: RawEntry, deliveries: number): StreamEntry {
  const byName = fieldsOf(fields);
  const text = (name: string): string => byName.get(name)?.toString() ?? '';
  const bytes = byName.get('event') ?? Buffer.alloc(0);
  return {
    partition: Number(text('partition')),
    id: id.toString(),
    eventId: text('event_id'),
    bytes,
    event: decodeEvent(bytes),
    deliveries,
    redriven: { entryId: text('entry_id'), redrives: Number(text('redrives')) || 1 },
  };
}

function toDeadLetter(id: string, fields: Map<string, Buffer>): DeadLetter {
  const text = (name: string): string => fields.get(name)?.toString() ?? '';
  const bytes = fields.get('event');
  return {
    id,
    eventId: text('event_id'),
    event: bytes === undefined ? undefined : decodeEvent(bytes),
    partition: Number(text('partition')),
    entryId: text('entry_id'),
    consumer: text('consumer'),
    deliveries: Number(text('deliveries')),
    error: text('error'),
    // Dead letters written before redrives existed have none.
    redrives: Number(text('redrives')) || 0,
  };
}

/** Undefined for bytes that are not an Event, or none at all (an entry without `event`). */
/** An entry of a partition's history, with the id the stream gave it. */
interface HistoryEntry {
  readonly ms: number;
  readonly seq: number;
  readonly event: eventsv1.Event;
}

/**
 * One partition's history, read a chunk at a time, oldest first. Entries that do not decode
 * are skipped.
 */
class HistoryReader {
  private buffer: HistoryEntry[] = [];
  /** The buffer's next entry. */
  private at = 0;
  private start = '-';
  private done = false;
  /** The next chunk, asked for while this one is consumed. */
  private ahead: Promise<RawEntry[]> | undefined;

  constructor(
    private readonly chunk: number,
    private readonly read: (start: string) => Promise<RawEntry[]>,
  ) {}

  get head(): HistoryEntry | undefined {
    return this.buffer[this.at];
  }

  take(): eventsv1.Event {
    return this.buffer[this.at++]!.event;
  }

  /** Reads chunks until one holds an event or the partition ends. */
  async fill(): Promise<void> {
    while (this.at >= this.buffer.length && !this.done) {
      this.buffer = [];
      this.at = 0;
      const entries = await (this.ahead ?? this.read(this.start));
      this.ahead = undefined;
      const last = entries.at(-1);
      if (last) this.start = `(${last[0].toString()}`;
      if (entries.length < this.chunk) this.done = true;
      else this.readAhead();
      for (const [rawId, fields] of entries) {
        const event = decodeEvent(fieldsOf(fields).get('event') ?? Buffer.alloc(0));
        if (!event) continue;
        const id = rawId.toString();
        const dash = id.indexOf('-');
        this.buffer.push({ ms: Number(id.slice(0, dash)), seq: Number(id.slice(dash + 1)), event });
      }
    }
  }

  private readAhead(): void {
    this.ahead = this.read(this.start);
    // Awaited by the next fill; a reader left early must not leave it unhandled.
    this.ahead.catch(() => undefined);
  }
}

/**
 * Whether `a` was appended before `b`, as far as the streams tell. Each partition's stream ids
 * are the Redis server's clock (ms) and a sequence within the ms, so the ms orders entries
 * across partitions; within one ms the sequences of different streams say nothing, and the
 * events' own times decide (a post before the likes of it published in the same batch). Within
 * one partition the sequence decides.
 */
function before(a: HistoryEntry, b: HistoryEntry): boolean {
  if (a.ms !== b.ms) return a.ms < b.ms;
  if (a.event.atMs !== b.event.atMs) return a.event.atMs < b.event.atMs;
  return a.seq < b.seq;
}

function decodeEvent(bytes: Uint8Array): eventsv1.Event | undefined {
  if (bytes.length === 0) return undefined;
  try {
    return eventsv1.Event.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Throws the first error of a pipeline or transaction; ioredis reports them per command. */
async function execOrThrow(
  results: Promise<[error: Error | null, result: unknown][] | null>,
): Promise<void> {
  const replies = await results;
  if (replies === null) throw new UnavailableError('redis', 'the transaction was discarded');
  for (const [error] of replies) if (error !== null) throw error;
}

/** What `unlessScriptRefused` resolves with for a script the Redis user may not run. */
const SCRIPT_REFUSED = Symbol('script refused');

/**
 * Rethrows the failure of a script, unless it is Redis refusing the user a command (NOPERM:
 * EVALSHA itself, or a command the script calls before it writes anything).
 */
function unlessScriptRefused(error: unknown): typeof SCRIPT_REFUSED {
  if (messageOf(error).includes('NOPERM')) return SCRIPT_REFUSED;
  throw error;
}

/** Turns a Redis failure into `UnavailableError`; the project's own errors pass through. */
async function unavailableOnFailure<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof FeedmeshError) throw error;
    throw new UnavailableError('redis', `${action} failed: ${messageOf(error)}`, { cause: error });
  }
}
