import { eventsv1 } from '@feedmesh/contracts';
import { FailedPreconditionError, InternalError, NotFoundError } from '@feedmesh/errors';
import {
  checkName,
  ConsumerRunner,
  NONE_TRIMMED,
  REDRIVEN,
  type ClaimedEntries,
  type EntrySource,
  type GroupStreams,
  type NewEntries,
  type NewEntryWaiter,
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

/** A dead letter as kept: what `deadLetters` lists, and the bytes a redrive delivers again. */
interface StoredDeadLetter {
  readonly letter: DeadLetter;
  readonly bytes: Uint8Array;
}

/** A group's dead letters, oldest first, and the next one's id (ids are never reused). */
interface DeadLetterList {
  letters: StoredDeadLetter[];
  nextId: number;
}

/** A dead letter redriven to its group, waiting in its redrive stream. */
interface RedrivenEntry {
  readonly eventId: string;
  readonly bytes: Uint8Array;
  readonly partition: number;
  /** Its id in its partition. */
  readonly entryId: string;
  /** This redrive included. */
  readonly redrives: number;
}

/**
 * Pending entries of one source of a group (a partition, or its redrive stream), and the
 * entries themselves as delivered: what claiming and taking over work on.
 */
interface PendingSource {
  readonly pending: Map<number, PendingEntry>;
  /** Entry `seq` as delivered for the `deliveries`th time; undefined once it is gone. */
  entry(seq: number, deliveries: number): StreamEntry | undefined;
}

/**
 * A group's redrive stream (as on Redis, a stream only this group reads): redriven dead
 * letters, by sequence number, removed once acknowledged; the first not delivered yet; and
 * those delivered and not acknowledged.
 */
class RedriveStream implements PendingSource {
  readonly entries = new Map<number, RedrivenEntry>();
  readonly pending = new Map<number, PendingEntry>();
  private nextSeq = 0;
  private nextUndelivered = 0;

  add(entry: RedrivenEntry): void {
    this.entries.set(this.nextSeq++, entry);
  }

  get undelivered(): number {
    return this.entries.size - this.pending.size;
  }

  readNew(consumer: string, count: number): StreamEntry[] {
    const delivered: StreamEntry[] = [];
    while (this.nextUndelivered < this.nextSeq && delivered.length < count) {
      const seq = this.nextUndelivered++;
      const entry = this.entry(seq, 1);
      if (entry === undefined) continue;
      this.pending.set(seq, { consumer, deliveredAt: Date.now(), deliveries: 1 });
      delivered.push(entry);
    }
    return delivered;
  }

  entry(seq: number, deliveries: number): StreamEntry | undefined {
    const stored = this.entries.get(seq);
    if (stored === undefined) return undefined;
    return {
      partition: stored.partition,
      id: String(seq),
      eventId: stored.eventId,
      bytes: stored.bytes,
      event: eventsv1.Event.decode(stored.bytes),
      deliveries,
      redriven: { entryId: stored.entryId, redrives: stored.redrives },
    };
  }

  acknowledge(seq: number): void {
    this.pending.delete(seq);
    this.entries.delete(seq);
  }
}

/** Waits for the next append to any partition, as a blocking XREADGROUP of every one does. */
class AppendWaiter implements NewEntryWaiter {
  /** `readAll` reads the redrive stream too, and a redrive wakes waiters as an append does. */
  readonly readsRedriven = true;
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
  private readonly deadLetterLists = new Map<string, DeadLetterList>();
  private readonly redriveStreams = new Map<string, RedriveStream>();
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
            entries: [
              ...this.redriveStreamOf(group).readNew(consumer, count),
              ...reads.flatMap((read) => read.entries),
            ],
            trimmed: reads.flatMap((read) => read.trimmed),
          };
        }, this.appended),
      createGroup: async (group, startFrom) => this.createGroup(group, startFrom),
      readNew: async (partition, group, consumer, count) =>
        this.readNew(partition, group, consumer, count),
      readRedriven: async (group, consumer, count) =>
        this.redriveStreamOf(group).readNew(consumer, count),
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
    const redrive = this.redriveStreams.get(group);
    undelivered += redrive?.undelivered ?? 0;
    pending += redrive?.pending.size ?? 0;
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
      const redrive = this.redriveStreams.get(group);
      if (redrive !== undefined) {
        undelivered += redrive.undelivered;
        pending += redrive.pending.size;
        for (const { consumer } of redrive.pending.values()) {
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
      const deadLetters = this.deadLetterLists.get(group)?.letters.length ?? 0;
      return { group, undelivered, pending, consumers, deadLetters };
    });
  }

  consumers(): readonly Consumer[] {
    return this.consumersRunning.list();
  }

  async deadLetters(group: string, page?: DeadLetterPage): Promise<DeadLetter[]> {
    checkName('group', group);
    const { after, limit } = checkDeadLetterPage(page, isSeq);
    const letters = this.deadLetterLists.get(group)?.letters ?? [];
    const from =
      after === undefined
        ? 0
        : letters.findIndex(({ letter }) => Number(letter.id) > Number(after));
    return from === -1 ? [] : letters.slice(from, from + limit).map(({ letter }) => letter);
  }

  /** Synchronous from the check to the move: two calls at once cannot take the same one. */
  async redriveDeadLetters(group: string, selection: RedriveSelection): Promise<DeadLetter[]> {
    checkName('group', group);
    const chosen = checkRedriveSelection(selection);
    if (!this.partitions.some((partition) => partition.groups.has(group))) {
      throw new NotFoundError('consumer group', group);
    }
    const list = this.deadLetterLists.get(group);
    const letters = list?.letters ?? [];
    let moved: StoredDeadLetter[];
    if (chosen.ids !== undefined) {
      const wanted = new Set(chosen.ids);
      moved = letters.filter(({ letter }) => wanted.has(letter.id));
      if (moved.length < wanted.size) {
        for (const { letter } of moved) wanted.delete(letter.id);
        throw new UnknownDeadLettersError(group, [...wanted]);
      }
    } else {
      moved = letters.slice(0, Math.min(chosen.limit, letters.length));
    }
    if (moved.length === 0) return [];
    const taken = new Set(moved);
    list!.letters = letters.filter((stored) => !taken.has(stored));
    const redrive = this.redriveStreamOf(group);
    for (const { letter, bytes } of moved) {
      redrive.add({
        eventId: letter.eventId,
        bytes,
        partition: letter.partition,
        entryId: letter.entryId,
        redrives: letter.redrives + 1,
      });
    }
    for (const wake of [...this.appended]) wake();
    return moved.map(({ letter }) => letter);
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

  private redriveStreamOf(group: string): RedriveStream {
    let stream = this.redriveStreams.get(group);
    if (stream === undefined) {
      stream = new RedriveStream();
      this.redriveStreams.set(group, stream);
    }
    return stream;
  }

  /** The pending entries of `source` for the group, and how to deliver one again. */
  private pendingSource(source: EntrySource, group: string): PendingSource {
    if (source === REDRIVEN) return this.redriveStreamOf(group);
    const partition = this.partition(source);
    const { pending } = this.cursorOf(partition, group);
    return {
      pending,
      entry: (seq, deliveries) => {
        const stored = partition.at(seq);
        return stored === undefined ? undefined : toStreamEntry(source, stored, deliveries);
      },
    };
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
    source: EntrySource,
    group: string,
    consumer: string,
    count: number,
    after: string | undefined,
    counted: boolean,
  ): ClaimedEntries {
    const entries = this.pendingSource(source, group);
    const from = after === undefined ? -1 : Number(after);
    const own = [...entries.pending]
      .filter(([seq, claim]) => seq > from && claim.consumer === consumer)
      .sort(([a], [b]) => a - b);
    const now = Date.now();
    const delivered: StreamEntry[] = [];
    let trimmed = 0;
    let last: number | undefined;
    for (const [seq, claim] of own.slice(0, count)) {
      last = seq;
      const entry = redeliver(entries, seq, claim, consumer, counted, now);
      if (entry !== undefined) delivered.push(entry);
      else trimmed += 1;
    }
    const cursor = own.length > count && last !== undefined ? String(last) : undefined;
    return { entries: delivered, trimmed, cursor };
  }

  private claimIdle(
    source: EntrySource,
    group: string,
    consumer: string,
    minIdleMs: number,
    count: number,
    resumeAt: string | undefined,
  ): ClaimedEntries {
    const entries = this.pendingSource(source, group);
    const from = resumeAt === undefined ? 0 : Number(resumeAt);
    const candidates = [...entries.pending.keys()]
      .filter((seq) => seq >= from)
      .sort((a, b) => a - b);
    const now = Date.now();
    const claimed: StreamEntry[] = [];
    let trimmed = 0;
    for (const seq of candidates) {
      if (claimed.length === count) return { entries: claimed, trimmed, cursor: String(seq) };
      const claim = entries.pending.get(seq);
      if (claim === undefined || now - claim.deliveredAt < minIdleMs) continue;
      const entry = redeliver(entries, seq, claim, consumer, true, now);
      if (entry !== undefined) claimed.push(entry);
      else trimmed += 1;
    }
    return { entries: claimed, trimmed, cursor: undefined };
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
    source: EntrySource,
    group: string,
    owner: string,
    consumer: string,
    minIdleMs: number,
    count: number,
  ): RedeliveredEntries {
    const entries = this.pendingSource(source, group);
    const now = Date.now();
    const taken: StreamEntry[] = [];
    let trimmed = 0;
    for (const [seq, claim] of [...entries.pending].sort(([a], [b]) => a - b)) {
      if (taken.length === count) break;
      if (claim.consumer !== owner || now - claim.deliveredAt < minIdleMs) continue;
      const entry = redeliver(entries, seq, claim, consumer, true, now);
      if (entry !== undefined) taken.push(entry);
      else trimmed += 1;
    }
    return { entries: taken, trimmed };
  }

  /** No consumer list to leave here (pending entries name their consumer): only the beat. */
  private forget(group: string, consumer: string, onlyIfSilent: boolean): boolean {
    const pendingLists = [
      ...this.partitions.flatMap((partition) => partition.groups.get(group)?.pending ?? []),
      this.redriveStreams.get(group)?.pending ?? new Map<number, PendingEntry>(),
    ];
    for (const pending of pendingLists) {
      for (const claim of pending.values()) if (claim.consumer === consumer) return false;
    }
    const beats = this.beatsOf(group);
    const silentAt = beats.get(consumer);
    if (silentAt !== undefined && (!onlyIfSilent || silentAt < Date.now())) beats.delete(consumer);
    return true;
  }

  private acknowledge(group: string, entry: StreamEntry): void {
    if (entry.redriven !== undefined) {
      this.redriveStreamOf(group).acknowledge(Number(entry.id));
      return;
    }
    const partition = this.partition(entry.partition);
    this.cursorOf(partition, group).pending.delete(Number(entry.id));
  }

  private deadLetter(group: string, consumer: string, entry: StreamEntry, error: string): void {
    let list = this.deadLetterLists.get(group);
    if (list === undefined) {
      list = { letters: [], nextId: 0 };
      this.deadLetterLists.set(group, list);
    }
    list.letters.push({
      letter: {
        id: String(list.nextId++),
        eventId: entry.eventId,
        event: entry.event,
        partition: entry.partition,
        entryId: entry.redriven?.entryId ?? entry.id,
        consumer,
        deliveries: entry.deliveries,
        error,
        redrives: entry.redriven?.redrives ?? 0,
      },
      bytes: entry.bytes,
    });
    const { maxLen } = this.settings;
    const { letters } = list;
    if (maxLen !== undefined && letters.length > maxLen) letters.splice(0, letters.length - maxLen);
    this.acknowledge(group, entry);
  }
}

/**
 * Hands the pending entry `seq` to `consumer` again (a delivery, counted or not). Undefined,
 * and dropped from the pending list, when it was trimmed while pending, as Redis 7 does.
 */
function redeliver(
  entries: PendingSource,
  seq: number,
  claim: PendingEntry,
  consumer: string,
  counted: boolean,
  now: number,
): StreamEntry | undefined {
  const entry = entries.entry(seq, counted ? claim.deliveries + 1 : claim.deliveries);
  if (entry === undefined) {
    entries.pending.delete(seq);
    return undefined;
  }
  claim.consumer = consumer;
  claim.deliveredAt = now;
  if (counted) claim.deliveries += 1;
  return entry;
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
