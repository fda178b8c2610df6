import { eventsv1 } from '@feedmesh/contracts';
import { FailedPreconditionError, InternalError, NotFoundError } from '@feedmesh/errors';
import {
  checkName,
  ConsumerRunner,
  NONE_TRIMMED,
  type ClaimedEntries,
  type GroupStreams,
  type NewEntries,
  type NewEntryWaiter,
  type RedeliveredEntries,
  type StreamEntry,
} from './consumer-runner.js';
import type {
  ConsumeOptions,
  Consumer,
  DeadLetter,
  EventLog,
  EventLogOptions,
  GroupConsumer,
  GroupLag,
  GroupStatus,
  HistoryOptions,
  LogMark,
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
import { RunningConsumers } from './running-consumers.js';

interface StoredEntry {
  readonly seq: number;
  /** Place in the whole log's append order, across partitions. */
  readonly order: number;
  readonly eventId: string;
  readonly bytes: Uint8Array;
}

interface PendingEntry {
  consumer: string;
  deliveredAt: number;
  deliveries: number;
}

interface GroupCursor {
  /** Sequence number of the first entry not yet delivered to the group. */
  nextSeq: number;
  /** By sequence number, like a Redis stream's pending entries list. */
  readonly pending: Map<number, PendingEntry>;
}

const TRIM_STEP = 100;

const NOTHING_NEW: NewEntries = { entries: [], trimmed: NONE_TRIMMED };

/** One partition: a Redis stream's semantics, with sequence numbers for entry ids. */
class Partition {
  /** The retained entries; `entries[i].seq === firstSeq + i`. */
  readonly entries: StoredEntry[] = [];
  firstSeq = 0;
  nextSeq = 0;
  readonly groups = new Map<string, GroupCursor>();

  at(seq: number): StoredEntry | undefined {
    return this.entries[seq - this.firstSeq];
  }

  /** Trims like `MAXLEN ~`: in steps of TRIM_STEP entries, so an append stays cheap. */
  append(eventId: string, bytes: Uint8Array, order: number, maxLen: number | undefined): void {
    this.entries.push({ seq: this.nextSeq, order, eventId, bytes });
    this.nextSeq += 1;
    if (maxLen !== undefined && this.entries.length >= maxLen + TRIM_STEP) {
      const dropped = this.entries.length - maxLen;
      this.entries.splice(0, dropped);
      this.firstSeq += dropped;
    }
  }
}

/**
 * Processed-markers of one group with a fixed time to live, per partition and event_id as on
 * Redis (where a marker shares its partition's hash tag). Insertion order is expiry order (a
 * marker is never refreshed), so expired markers are always at the front of the map.
 */
class ProcessedMarkers {
  private readonly expiries = new Map<string, number>();

  constructor(private readonly ttlMs: number) {}

  has(partition: number, eventId: string): boolean {
    return (this.expiries.get(markerOf(partition, eventId)) ?? 0) > Date.now();
  }

  add(partition: number, eventId: string): boolean {
    const now = Date.now();
    for (const [marker, expiresAt] of this.expiries) {
      if (expiresAt > now) break;
      this.expiries.delete(marker);
    }
    const marker = markerOf(partition, eventId);
    if (this.expiries.has(marker)) return false;
    this.expiries.set(marker, now + this.ttlMs);
    return true;
  }
}

function markerOf(partition: number, eventId: string): string {
  return `${partition}:${eventId}`;
}

/** Waits for the next append to any partition, as a blocking XREADGROUP of every one does. */
class AppendWaiter implements NewEntryWaiter {
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly readAll: (count: number) => NewEntries,
    private readonly appended: Set<() => void>,
  ) {}

  async readNew(count: number, timeoutMs: number): Promise<NewEntries> {
    if (this.closed) return NOTHING_NEW;
    const ready = this.readAll(count);
    if (ready.entries.length > 0 || timeoutMs === 0) return ready;
    await new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.appended.delete(finish);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.appended.add(finish);
      this.wake = finish;
    });
    return this.closed ? NOTHING_NEW : this.readAll(count);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
  }
}

/**
 * The event log in process memory, for the single-process playground and unit tests: the
 * same partitions, consumer groups, pending lists, processed-markers and dead-letter streams
 * as `RedisStreamsEventLog`, and nothing survives the process.
 */
export class InMemoryEventLog implements EventLog {
  private readonly settings: LogSettings;
  private readonly partitions: Partition[];
  private readonly markers = new Map<string, ProcessedMarkers>();
  private readonly deadLetterStreams = new Map<string, DeadLetter[]>();
  private readonly consumersRunning = new RunningConsumers();
  /** Per group, when each consumer turns silent unless it beats again (ms). */
  private readonly beats = new Map<string, Map<string, number>>();
  /** Consumers waiting for the next append (see AppendWaiter). */
  private readonly appended = new Set<() => void>();
  /** Events appended so far: the next one's place in the log's append order. */
  private appendedCount = 0;
  private closed = false;

  /** What consumers run against; kept off the class so its public face stays `EventLog`. */
  private readonly groupStreams: GroupStreams;

  constructor(options: EventLogOptions = {}) {
    this.settings = logSettingsFrom(options);
    this.partitions = Array.from({ length: this.settings.partitions }, () => new Partition());
    this.groupStreams = {
      partitions: this.settings.partitions,
      waiter: (group, consumer) =>
        new AppendWaiter((count) => {
          const reads = this.partitions.map((_, index) =>
            this.readNew(index, group, consumer, count),
          );
          return {
            entries: reads.flatMap((read) => read.entries),
            trimmed: reads.flatMap((read) => read.trimmed),
          };
        }, this.appended),
      createGroup: async (group, startFrom) => this.createGroup(group, startFrom),
      readNew: async (partition, group, consumer, count) =>
        this.readNew(partition, group, consumer, count),
      readOwnPending: async (partition, group, consumer, count, cursor, counted) =>
        this.readOwnPending(partition, group, consumer, count, cursor, counted),
      claimIdle: async (partition, group, consumer, minIdleMs, count, cursor) =>
        this.claimIdle(partition, group, consumer, minIdleMs, count, cursor),
      beat: async (group, consumer, timeoutMs) => {
        this.beatsOf(group).set(consumer, Date.now() + timeoutMs);
      },
      silentConsumers: async (group) =>
        [...this.beatsOf(group)]
          .filter(([, silentAt]) => silentAt < Date.now())
          .map(([consumer]) => consumer),
      takeOver: async (partition, group, owner, consumer, minIdleMs, count) =>
        this.takeOver(partition, group, owner, consumer, minIdleMs, count),
      forget: async (group, consumer, onlyIfSilent) => this.forget(group, consumer, onlyIfSilent),
      isProcessed: async (group, partition, eventId) =>
        this.markersOf(group).has(partition, eventId),
      areProcessed: async (group, partition, eventIds) =>
        eventIds.map((eventId) => this.markersOf(group).has(partition, eventId)),
      settle: async (group, entry) => {
        this.markersOf(group).add(entry.partition, entry.eventId);
        this.acknowledge(group, entry);
      },
      settleAll: async (group, _partition, entries, mark) => {
        for (const entry of entries) {
          if (mark) this.markersOf(group).add(entry.partition, entry.eventId);
          this.acknowledge(group, entry);
        }
      },
      deadLetter: async (group, consumer, entry, error) =>
        this.deadLetter(group, consumer, entry, error),
    };
  }

  async append(events: readonly eventsv1.Event[]): Promise<void> {
    this.checkOpen();
    const encoded = encodeAppendable(events);
    events.forEach((event, index) => {
      const partition = this.partition(partitionOf(event, this.settings.partitions));
      partition.append(event.eventId, encoded[index]!, this.appendedCount++, this.settings.maxLen);
    });
    for (const wake of [...this.appended]) wake();
  }

  async consume(options: ConsumeOptions): Promise<Consumer> {
    this.checkOpen();
    return this.consumersRunning.start((onStopped) =>
      ConsumerRunner.start(this.groupStreams, options, this.settings, onStopped),
    );
  }

  async lag(group: string): Promise<GroupLag> {
    checkName('group', group);
    let undelivered = 0;
    let pending = 0;
    for (const partition of this.partitions) {
      const cursor = this.cursorOf(partition, group);
      undelivered += partition.nextSeq - Math.max(cursor.nextSeq, partition.firstSeq);
      pending += cursor.pending.size;
    }
    return { undelivered, pending };
  }

  /** Per partition, how many entries were ever appended: those before the mark have lower seqs. */
  async endMark(): Promise<LogMark> {
    return { ends: this.partitions.map((partition) => String(partition.nextSeq)) };
  }

  async handledUpTo(group: string, mark: LogMark): Promise<boolean> {
    checkName('group', group);
    const ends = checkMark(mark, this.partitions.length, isSeq).map(Number);
    return this.partitions.every((partition, index) => {
      const cursor = partition.groups.get(group);
      if (cursor === undefined) return false;
      const end = ends[index]!;
      if (cursor.nextSeq < end) return false;
      for (const seq of cursor.pending.keys()) if (seq < end) return false;
      return true;
    });
  }

  /** Consumers are those holding entries or beating: this log keeps no other list of them. */
  async groups(): Promise<GroupStatus[]> {
    const names = new Set(this.partitions.flatMap((partition) => [...partition.groups.keys()]));
    return [...names].sort().map((group) => {
      let undelivered = 0;
      let pending = 0;
      const held = new Map<string, number>();
      for (const partition of this.partitions) {
        const cursor = partition.groups.get(group);
        if (cursor === undefined) continue;
        undelivered += partition.nextSeq - Math.max(cursor.nextSeq, partition.firstSeq);
        pending += cursor.pending.size;
        for (const { consumer } of cursor.pending.values()) {
          held.set(consumer, (held.get(consumer) ?? 0) + 1);
        }
      }
      const beats = this.beatsOf(group);
      const now = Date.now();
      const consumers = [...new Set([...held.keys(), ...beats.keys()])]
        .sort()
        .map((name): GroupConsumer => {
          const silentAt = beats.get(name);
          return {
            name,
            pending: held.get(name) ?? 0,
            heartbeat: silentAt === undefined ? 'unknown' : silentAt >= now ? 'alive' : 'silent',
          };
        });
      const deadLetters = this.deadLetterStreams.get(group)?.length ?? 0;
      return { group, undelivered, pending, consumers, deadLetters };
    });
  }

  consumers(): readonly Consumer[] {
    return this.consumersRunning.list();
  }

  async deadLetters(group: string, limit?: number): Promise<DeadLetter[]> {
    checkName('group', group);
    const count = positiveIntegerOr('limit', limit, 100);
    return (this.deadLetterStreams.get(group) ?? []).slice(0, count);
  }

  async isProcessed(group: string, event: eventsv1.Event): Promise<boolean> {
    checkName('group', group);
    return this.markersOf(group).has(this.partitionOf(event), event.eventId);
  }

  async markProcessed(group: string, event: eventsv1.Event): Promise<boolean> {
    checkName('group', group);
    return this.markersOf(group).add(this.partitionOf(event), event.eventId);
  }

  /** `chunkSize` is checked, and means nothing here: the whole log is in memory. */
  async *history(options: HistoryOptions = {}): AsyncIterable<eventsv1.Event> {
    positiveIntegerOr('chunkSize', options.chunkSize, 1_000);
    // Copies: consumers may append while the caller iterates.
    const partitions = this.partitions.map((partition) => [...partition.entries]);
    const next = partitions.map(() => 0);
    for (;;) {
      // The oldest head of the partitions, by the log's append order.
      let from = -1;
      for (let p = 0; p < partitions.length; p++) {
        const head = partitions[p]![next[p]!];
        if (head && (from === -1 || head.order < partitions[from]![next[from]!]!.order)) from = p;
      }
      if (from === -1) return;
      const entry = partitions[from]![next[from]!++]!;
      try {
        yield eventsv1.Event.decode(entry.bytes);
      } catch {
        // not an Event: skipped, as the Redis log does
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.consumersRunning.stopAll();
  }

  private checkOpen(): void {
    if (this.closed) throw new FailedPreconditionError('the event log is closed');
  }

  private partition(index: number): Partition {
    const partition = this.partitions[index];
    if (partition === undefined) throw new InternalError(`no partition ${index}`);
    return partition;
  }

  private cursorOf(partition: Partition, group: string): GroupCursor {
    const cursor = partition.groups.get(group);
    if (cursor === undefined) throw new NotFoundError('consumer group', group);
    return cursor;
  }

  private partitionOf(event: eventsv1.Event): number {
    return partitionOf(event, this.settings.partitions);
  }

  private markersOf(group: string): ProcessedMarkers {
    let markers = this.markers.get(group);
    if (markers === undefined) {
      markers = new ProcessedMarkers(this.settings.processedTtlMs);
      this.markers.set(group, markers);
    }
    return markers;
  }

  private createGroup(group: string, startFrom: StartFrom): void {
    for (const partition of this.partitions) {
      if (partition.groups.has(group)) continue;
      const nextSeq = startFrom === 'end' ? partition.nextSeq : partition.firstSeq;
      partition.groups.set(group, { nextSeq, pending: new Map() });
    }
  }

  /** What a read jumps over, trimmed before the group read it, is reported as `trimmed`. */
  private readNew(index: number, group: string, consumer: string, count: number): NewEntries {
    const partition = this.partition(index);
    const cursor = this.cursorOf(partition, group);
    const from = Math.max(cursor.nextSeq, partition.firstSeq);
    const jumped = from - cursor.nextSeq;
    const to = Math.min(partition.nextSeq, from + count);
    const delivered: StreamEntry[] = [];
    for (let seq = from; seq < to; seq++) {
      const stored = partition.at(seq);
      if (stored === undefined) continue;
      cursor.pending.set(seq, { consumer, deliveredAt: Date.now(), deliveries: 1 });
      delivered.push(toStreamEntry(index, stored, 1));
    }
    cursor.nextSeq = to;
    return {
      entries: delivered,
      trimmed: jumped > 0 ? [{ partition: index, count: jumped }] : NONE_TRIMMED,
    };
  }

  private readOwnPending(
    index: number,
    group: string,
    consumer: string,
    count: number,
    after: string | undefined,
    counted: boolean,
  ): ClaimedEntries {
    const partition = this.partition(index);
    const { pending } = this.cursorOf(partition, group);
    const from = after === undefined ? -1 : Number(after);
    const own = [...pending]
      .filter(([seq, claim]) => seq > from && claim.consumer === consumer)
      .sort(([a], [b]) => a - b);
    const now = Date.now();
    const entries: StreamEntry[] = [];
    let trimmed = 0;
    let last: number | undefined;
    for (const [seq, claim] of own.slice(0, count)) {
      last = seq;
      const entry = redeliver(partition, index, pending, seq, claim, consumer, counted, now);
      if (entry !== undefined) entries.push(entry);
      else trimmed += 1;
    }
    const cursor = own.length > count && last !== undefined ? String(last) : undefined;
    return { entries, trimmed, cursor };
  }

  private claimIdle(
    index: number,
    group: string,
    consumer: string,
    minIdleMs: number,
    count: number,
    resumeAt: string | undefined,
  ): ClaimedEntries {
    const partition = this.partition(index);
    const { pending } = this.cursorOf(partition, group);
    const from = resumeAt === undefined ? 0 : Number(resumeAt);
    const candidates = [...pending.keys()].filter((seq) => seq >= from).sort((a, b) => a - b);
    const now = Date.now();
    const entries: StreamEntry[] = [];
    let trimmed = 0;
    for (const seq of candidates) {
      if (entries.length === count) return { entries, trimmed, cursor: String(seq) };
      const claim = pending.get(seq);
      if (claim === undefined || now - claim.deliveredAt < minIdleMs) continue;
      const entry = redeliver(partition, index, pending, seq, claim, consumer, true, now);
      if (entry !== undefined) entries.push(entry);
      else trimmed += 1;
    }
    return { entries, trimmed, cursor: undefined };
  }

  private beatsOf(group: string): Map<string, number> {
    let beats = this.beats.get(group);
    if (beats === undefined) {
      beats = new Map();
      this.beats.set(group, beats);
    }
    return beats;
  }

  private takeOver(
    index: number,
    group: string,
    owner: string,
    consumer: string,
    minIdleMs: number,
    count: number,
  ): RedeliveredEntries {
    const partition = this.partition(index);
    const { pending } = this.cursorOf(partition, group);
    const now = Date.now();
    const entries: StreamEntry[] = [];
    let trimmed = 0;
    for (const [seq, claim] of [...pending].sort(([a], [b]) => a - b)) {
      if (entries.length === count) break;
      if (claim.consumer !== owner || now - claim.deliveredAt < minIdleMs) continue;
      const entry = redeliver(partition, index, pending, seq, claim, consumer, true, now);
      if (entry !== undefined) entries.push(entry);
      else trimmed += 1;
    }
    return { entries, trimmed };
  }

  /** No consumer list to leave here (pending entries name their consumer): only the beat. */
  private forget(group: string, consumer: string, onlyIfSilent: boolean): boolean {
    for (const partition of this.partitions) {
      const cursor = partition.groups.get(group);
      if (cursor === undefined) continue;
      for (const claim of cursor.pending.values()) if (claim.consumer === consumer) return false;
    }
    const beats = this.beatsOf(group);
    const silentAt = beats.get(consumer);
    if (silentAt !== undefined && (!onlyIfSilent || silentAt < Date.now())) beats.delete(consumer);
    return true;
  }

  private acknowledge(group: string, entry: StreamEntry): void {
    const partition = this.partition(entry.partition);
    this.cursorOf(partition, group).pending.delete(Number(entry.id));
  }

  private deadLetter(group: string, consumer: string, entry: StreamEntry, error: string): void {
    let stream = this.deadLetterStreams.get(group);
    if (stream === undefined) {
      stream = [];
      this.deadLetterStreams.set(group, stream);
    }
    stream.push({
      eventId: entry.eventId,
      event: entry.event,
      partition: entry.partition,
      entryId: entry.id,
      consumer,
      deliveries: entry.deliveries,
      error,
    });
    const { maxLen } = this.settings;
    if (maxLen !== undefined && stream.length > maxLen) stream.splice(0, stream.length - maxLen);
    this.acknowledge(group, entry);
  }
}

/**
 * Hands the pending entry `seq` to `consumer` again (a delivery, counted or not). Undefined,
 * and dropped from the pending list, when it was trimmed while pending, as Redis 7 does.
 */
function redeliver(
  partition: Partition,
  index: number,
  pending: Map<number, PendingEntry>,
  seq: number,
  claim: PendingEntry,
  consumer: string,
  counted: boolean,
  now: number,
): StreamEntry | undefined {
  const stored = partition.at(seq);
  if (stored === undefined) {
    pending.delete(seq);
    return undefined;
  }
  claim.consumer = consumer;
  claim.deliveredAt = now;
  if (counted) claim.deliveries += 1;
  return toStreamEntry(index, stored, claim.deliveries);
}

/** A position in a partition of this log: a sequence number. */
function isSeq(text: string): boolean {
  return /^\d{1,15}$/.test(text);
}

function toStreamEntry(partition: number, stored: StoredEntry, deliveries: number): StreamEntry {
  return {
    partition,
    id: String(stored.seq),
    eventId: stored.eventId,
    bytes: stored.bytes,
    event: eventsv1.Event.decode(stored.bytes),
    deliveries,
  };
}
