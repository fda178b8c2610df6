import { open, readFile, rm } from 'node:fs/promises';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { NotFoundError } from '@feedmesh/errors';
import { inOrder, type Consumer } from '@feedmesh/events';
import type { Logger, Runtime } from '@feedmesh/service-kit';
import { withSpan } from '@feedmesh/telemetry';
import {
  readIndexSnapshot,
  SearchIndex,
  SnapshotFormatError,
  writeIndexSnapshot,
  type SearchIndexOptions,
} from './engine/index.js';
import { PostIndexer } from './post-indexer.js';
import type { PostTagger } from './post-tagger.js';
import { GROUP_SLOTS, searchGroupName } from './search-group.js';

export interface SnapshotSettings {
  /** The snapshot file of this replica. */
  readonly path: string;
  /** How often a snapshot is taken while running, ms. */
  readonly intervalMs: number;
  /** How long a snapshot round waits for the next group to catch up before giving up, ms. */
  readonly catchUpTimeoutMs: number;
  /** Take one when shutting down (the fast path of a rolling restart). */
  readonly onShutdown: boolean;
}

export type SnapshotEvent =
  | { readonly kind: 'restored'; readonly documents: number; readonly group: string }
  | { readonly kind: 'rebuilt'; readonly events: number; readonly reason: string }
  | {
      readonly kind: 'written';
      readonly documents: number;
      readonly bytes: number;
      readonly group: string;
      readonly ms: number;
    }
  | { readonly kind: 'failed'; readonly reason: string };

export interface IndexReplicaOptions {
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly index?: SearchIndexOptions;
  /** Undefined: no snapshots; every start indexes the retained log. */
  readonly snapshots?: SnapshotSettings;
  /** Told of every snapshot restored, written or given up on (logs, tests). */
  readonly onSnapshot?: (event: SnapshotEvent) => void;
  /** Derives canonical and inferred tags for each post; default: rules only, no models. */
  readonly tagger?: PostTagger;
  /**
   * Aborts the start: the snapshot read, the history pass, the replay and the catch-up stop at
   * their next check, and `start` rejects with the abort, having stopped its consumers and
   * written no snapshot. Only the start reads it.
   */
  readonly signal?: AbortSignal;
}

/** How often lag is polled while waiting for a group to catch up, ms. */
const LAG_POLL_MS = 20;

/**
 * Events of a history pass between two checks of the start's signal. Each check also lets the
 * event loop turn, so that a SIGTERM is heard at all: a log whose history never waits (the
 * in-memory one) would otherwise hold the loop for the whole pass.
 */
const ABORT_CHECK_EVENTS = 1_000;

/**
 * The replica's index and how it stays complete across restarts: it follows the log with a
 * consumer group of its own, snapshots the index to disk, and on start restores the snapshot
 * and catches up from the log, instead of indexing the whole retained history again.
 *
 * A snapshot is only good together with a consumer group that stopped exactly where the
 * snapshot ends, so the replica rotates through three groups (`searchGroupName` slots):
 * - **live**: delivers events to the index;
 * - **paired**: stopped where the durable snapshot ends; only read again on restart;
 * - **idle**: neither; the next live one.
 * A round starts the idle group (new groups start at the log's end), waits until both it and
 * the live group have nothing undelivered (so the live group has passed the idle one's start:
 * no event falls between them), stops the live group, and writes the snapshot, paired with
 * the group just stopped. The idle group is live from then on; the old paired group is idle.
 * Until the new file is renamed into place the old snapshot and its untouched group stay a
 * valid pair, so a crash at any point loses nothing. Events both groups deliver are applied
 * twice, which indexing tolerates (it is idempotent).
 *
 * A snapshot also names a **spare**: another stopped group whose position is no later than
 * the snapshot's end (every event before it is in the snapshot, or was trimmed before anyone
 * read it), so catching up from it only replays events again. On start, the snapshot is
 * loaded and the spare catches up as the live group, so the file and its paired group stay
 * an untouched, valid pair until the next round replaces them: a crash before that loses
 * nothing. Which groups a start consumed is noted first in `<path>.resumed` (fsynced), so a
 * second start from the same snapshot never takes a group that moved on: it takes the paired
 * group itself (then the snapshot has no untouched group left), and a third catches up by
 * indexing the retained log over the snapshot (losing only what the log trimmed since the
 * snapshot). Without a usable snapshot, the retained log is indexed from its `history()`
 * while a live group follows new events; that start first creates the other slots' groups
 * (at the log's end, before the history pass), so they can serve as spares.
 */
export class IndexReplica {
  private liveSlot = 0;
  private live: Consumer | undefined;
  private pairedSlot: number | undefined;
  /** Stopped groups every event before whose position is in the index (spare candidates). */
  private readonly covered = new Set<number>();
  /** The snapshot file on disk: when taken, its spare, and the groups taken since. */
  private file: { takenAtMs: number; spare: number | undefined; used: number[] } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private stopping = false;
  private lastSnapshotAtMs: number | undefined;

  private constructor(
    private readonly options: IndexReplicaOptions,
    readonly index: SearchIndex,
  ) {}

  /**
   * Restores or rebuilds the index; resolves once it is complete and followed live. A start
   * that fails (or is aborted by `options.signal`) stops the consumer it started and writes no
   * snapshot: the index it leaves is incomplete.
   */
  static async start(options: IndexReplicaOptions): Promise<IndexReplica> {
    options.signal?.throwIfAborted();
    const restored = await IndexReplica.restore(options);
    options.signal?.throwIfAborted();
    const replica = new IndexReplica(
      options,
      'index' in restored ? restored.index : new SearchIndex(options.index),
    );
    try {
      if ('index' in restored) await replica.resume(restored);
      else await replica.rebuild(restored.reason);
    } catch (error) {
      await replica.abandon();
      throw error;
    }
    return replica;
  }

  /** The group delivering events now (for the lag gauge). */
  get liveGroup(): string {
    return this.group(this.liveSlot);
  }

  /** Seconds since the last snapshot was written by this process, if one was. */
  get snapshotAgeSeconds(): number | undefined {
    return this.lastSnapshotAtMs === undefined
      ? undefined
      : (Date.now() - this.lastSnapshotAtMs) / 1000;
  }

  /** Starts taking snapshots every interval (after a first one soon, when `soon`). */
  startSnapshots(soon: boolean): void {
    const settings = this.options.snapshots;
    if (settings === undefined) return;
    this.timer = setInterval(() => void this.snapshot(), settings.intervalMs);
    this.timer.unref();
    if (soon) setImmediate(() => void this.snapshot());
  }

  /** One snapshot round (see the class comment). Never throws; outcomes go to `onSnapshot`. */
  snapshot(): Promise<void> {
    if (this.round === undefined && !this.stopping && this.options.snapshots !== undefined) {
      this.round = this.rotate().finally(() => {
        this.round = undefined;
      });
    }
    return this.round ?? Promise.resolve();
  }

  /** Stops following the log and, when configured, writes a last snapshot. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.round;
    await this.live?.stop();
    if (this.live !== undefined) this.covered.add(this.liveSlot);
    const settings = this.options.snapshots;
    if (settings?.onShutdown === true && this.live !== undefined) {
      // The live group just stopped where the index ends: it pairs with this snapshot.
      await this.write(settings, this.liveSlot);
    }
    this.live = undefined;
  }

  /** Stops following the log without a snapshot: what a start that did not finish leaves. */
  private async abandon(): Promise<void> {
    this.stopping = true;
    const live = this.live;
    this.live = undefined;
    await live?.stop().catch((error: unknown) => {
      this.options.logger.warn({ err: error }, 'search could not stop the group of a failed start');
    });
  }

  private group(slot: number): string {
    return searchGroupName(this.options.runtime.consumerName, slot);
  }

  private emit(event: SnapshotEvent): void {
    this.options.onSnapshot?.(event);
  }

  private consume(slot: number): Promise<Consumer> {
    const indexer = new PostIndexer(this.index, this.options.tagger);
    return this.options.runtime.eventLog.consume({
      group: this.group(slot),
      consumer: this.options.runtime.consumerName,
      // A new group starts at the end: what came before is in the history pass or a snapshot.
      startFrom: 'end',
      // Batch mode: the index is in memory, so a read costs two round trips, not two an event.
      batchHandler: inOrder(async (event) => indexer.apply(event)),
    });
  }

  private static async restore(
    options: IndexReplicaOptions,
  ): Promise<Restored | { reason: string }> {
    const settings = options.snapshots;
    if (settings === undefined) return { reason: 'snapshots off' };
    const { logger, runtime } = options;
    try {
      const loaded = await readIndexSnapshot(settings.path, options.index, options.signal);
      if (loaded === undefined) return { reason: 'no snapshot' };
      const slot = Number(loaded.meta['slot']);
      const group = searchGroupName(runtime.consumerName, slot);
      if (!Number.isInteger(slot) || slot < 0 || slot >= GROUP_SLOTS) {
        throw new SnapshotFormatError(`no group slot in its metadata`, settings.path);
      }
      // The group must still be where the snapshot left it: a log that lost it (flushed,
      // recreated) cannot be caught up from, so the snapshot is no use.
      await runtime.eventLog.lag(group);
      const takenAtMs = Number(loaded.meta['takenAtMs'] ?? 0);
      const used = await readResumed(settings.path, takenAtMs);
      let spare: number | undefined = Number(loaded.meta['spare'] ?? NaN);
      if (!Number.isInteger(spare) || spare < 0 || spare >= GROUP_SLOTS || spare === slot) {
        spare = undefined;
      } else if (used.includes(spare)) {
        spare = undefined;
      } else {
        try {
          await runtime.eventLog.lag(searchGroupName(runtime.consumerName, spare));
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
          spare = undefined;
        }
      }
      return { index: loaded.index, slot, spare, takenAtMs, used };
    } catch (error) {
      if (!(error instanceof SnapshotFormatError || error instanceof NotFoundError)) throw error;
      logger.warn({ err: error, path: settings.path }, 'search snapshot not usable; rebuilding');
      return { reason: `unusable snapshot: ${(error as Error).message}` };
    }
  }

  /**
   * Catches up from a restored snapshot: from its spare group when it has one nobody took
   * since, keeping the file and its paired group an untouched pair until the next round
   * replaces them; else from the paired group itself; else (both taken by earlier starts) by
   * indexing the retained log over the snapshot while the paired group follows.
   */
  private async resume(restored: Restored): Promise<void> {
    const settings = this.options.snapshots;
    const { slot, spare, takenAtMs, used } = restored;
    const fromSpare = spare !== undefined;
    const replay = !fromSpare && used.includes(slot);
    const liveSlot = spare ?? slot;
    // Noted (durably) before the group moves, so a later start from this snapshot skips it.
    if (settings !== undefined) {
      await writeResumed(settings.path, takenAtMs, [...new Set([...used, liveSlot])]);
    }
    this.file = { takenAtMs, spare, used: [...new Set([...used, liveSlot])] };
    if (fromSpare) {
      this.pairedSlot = slot;
      this.covered.add(slot);
    }
    this.liveSlot = liveSlot;
    await withSpan(
      'search.catch_up',
      { 'messaging.consumer.group.name': this.group(liveSlot) },
      async () => {
        this.live = await this.consume(liveSlot);
        if (replay) {
          // The paired group moved on in an earlier start that died before replacing the
          // snapshot: what it delivered then is read again from the retained log.
          await this.indexHistory();
        }
        // Delivered entries stay pending until handled, so wait for those too. An entry
        // whose handler keeps failing stays pending until dead-lettered: past the timeout
        // the replica serves anyway, and the group goes on catching up.
        const timeoutMs = settings?.catchUpTimeoutMs ?? Infinity;
        if (!(await this.caughtUp([liveSlot], timeoutMs, true, this.options.signal))) {
          this.options.logger.warn(
            { group: this.group(liveSlot), timeoutMs },
            'search serves before its catch-up settled: entries of the log are still pending',
          );
        }
      },
    );
    this.options.logger.info(
      { group: this.group(liveSlot), paired: this.group(slot), replay, ...this.index.stats() },
      'search index restored from its snapshot and caught up from the log',
    );
    this.emit({
      kind: 'restored',
      documents: this.index.stats().documents,
      group: this.group(liveSlot),
    });
  }

  /** Indexes the retained history while the live group follows what comes next. */
  private async rebuild(reason: string): Promise<void> {
    const { runtime, logger } = this.options;
    this.liveSlot = 0;
    if (this.options.snapshots !== undefined) {
      // The other slots' groups, created before the history pass, are spares for the first
      // snapshot: everything before where they stand is in the history read next.
      for (let slot = 1; slot < GROUP_SLOTS; slot += 1) {
        try {
          await runtime.eventLog.lag(this.group(slot));
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
          await (await this.consume(slot)).stop();
        }
        this.covered.add(slot);
      }
    }
    this.live = await this.consume(0);
    const group = this.group(0);
    await withSpan('search.rebuild', { 'messaging.consumer.group.name': group }, async (span) => {
      logger.info({ group, reason }, 'search indexing the retained log');
      const { events, rejected } = await this.indexHistory();
      span.setAttributes({
        'feedmesh.search.events': events,
        'feedmesh.search.rejected': rejected,
      });
      logger.info(
        { events, rejected, reason, ...this.index.stats() },
        'search index rebuilt from the log',
      );
      this.emit({ kind: 'rebuilt', events, reason });
    });
  }

  /**
   * Indexes the retained log over what the index holds, checking the start's signal every
   * `ABORT_CHECK_EVENTS` events (leaving the loop closes the history read). A bad event is
   * skipped: its group meets it again and dead-letters it.
   */
  private async indexHistory(): Promise<{ events: number; rejected: number }> {
    const { runtime, logger, signal } = this.options;
    const indexer = new PostIndexer(this.index, this.options.tagger);
    let events = 0;
    let rejected = 0;
    for await (const event of runtime.eventLog.history()) {
      if (signal !== undefined && events % ABORT_CHECK_EVENTS === 0) {
        await nextTurn();
        signal.throwIfAborted();
      }
      events += 1;
      try {
        indexer.apply(event);
      } catch (error) {
        rejected += 1;
        logger.warn({ err: error, eventId: event.eventId }, 'search skipped a bad event');
      }
    }
    return { events, rejected };
  }

  /**
   * Whether each group caught up with the log before the deadline: seen with nothing
   * undelivered (and, with `settled`, nothing pending). Only the log's word counts: a consumer
   * that handled nothing for a while may be backing off after failed reads (up to 5 s) with
   * entries still waiting, and a group stopped short of them would leave them out of the
   * index (the event log reports nothing undelivered once a group was delivered the last
   * entry, entries trimmed before it read them or not). An abort of `signal` (the start's)
   * ends the wait with the abort.
   */
  private async caughtUp(
    slots: readonly number[],
    timeoutMs: number,
    settled = false,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const done = new Set<number>();
    while (done.size < slots.length) {
      signal?.throwIfAborted();
      if (Date.now() > deadline || this.stopping) return false;
      const lags = await Promise.all(
        slots.map((slot) => this.options.runtime.eventLog.lag(this.group(slot))),
      );
      lags.forEach((lag, i) => {
        if (lag.undelivered === 0 && (!settled || lag.pending === 0)) done.add(i);
      });
      if (done.size < slots.length) await sleep(LAG_POLL_MS, undefined, { signal });
    }
    return true;
  }

  private async rotate(): Promise<void> {
    const settings = this.options.snapshots;
    if (settings === undefined || this.live === undefined) return;
    const { logger } = this.options;
    const next = [0, 1, 2].find((slot) => slot !== this.liveSlot && slot !== this.pairedSlot) ?? 0;
    try {
      const file = this.file;
      if (file !== undefined && file.spare === next && !file.used.includes(next)) {
        // The round moves the file's spare: noted first, so a crash before the new snapshot
        // replaces the file does not restart from a group that moved on.
        file.used.push(next);
        await writeResumed(settings.path, file.takenAtMs, file.used);
      }
      const wasCovered = this.covered.delete(next);
      const nextConsumer = await this.consume(next);
      if (!(await this.caughtUp([this.liveSlot, next], settings.catchUpTimeoutMs))) {
        await nextConsumer.stop();
        // It read on from where it stood, applying what it acknowledged: covered as before.
        if (wasCovered) this.covered.add(next);
        if (this.stopping) return;
        logger.warn(
          { group: this.group(next), timeoutMs: settings.catchUpTimeoutMs },
          'search snapshot skipped: the groups did not catch up with the log in time',
        );
        this.emit({ kind: 'failed', reason: 'catch-up timed out' });
        return;
      }
      const stopped = this.liveSlot;
      await this.live.stop();
      this.covered.add(stopped);
      this.live = nextConsumer;
      this.liveSlot = next;
      await this.write(settings, stopped);
    } catch (error) {
      logger.error({ err: error }, 'search snapshot round failed');
      this.emit({ kind: 'failed', reason: String(error) });
    }
  }

  /** Writes the snapshot paired with `slot` (a stopped group); never throws. */
  private async write(settings: SnapshotSettings, slot: number): Promise<void> {
    const group = this.group(slot);
    const started = Date.now();
    // A spare: a stopped group other than the pair, standing no later than the snapshot ends.
    const spare = [...this.covered].find((s) => s !== slot);
    try {
      const { bytes } = await withSpan(
        'search.snapshot',
        { 'messaging.consumer.group.name': group },
        () =>
          writeIndexSnapshot(settings.path, this.index, {
            slot,
            group,
            takenAtMs: started,
            ...(spare === undefined ? {} : { spare }),
          }),
      );
      this.file = { takenAtMs: started, spare, used: [] };
      await rm(resumedPath(settings.path), { force: true }).catch(() => undefined);
      this.pairedSlot = slot;
      this.lastSnapshotAtMs = Date.now();
      const documents = this.index.stats().documents;
      this.options.logger.info({ group, bytes, documents }, 'search snapshot written');
      this.emit({ kind: 'written', documents, bytes, group, ms: Date.now() - started });
    } catch (error) {
      // Whether the file made it is unknown: remove it, so a restart rebuilds rather than
      // trusting a pair that may not hold. The next round pairs a fresh one.
      this.pairedSlot = undefined;
      this.file = undefined;
      await rm(settings.path, { force: true }).catch(() => undefined);
      this.options.logger.error({ err: error, path: settings.path }, 'search snapshot failed');
      this.emit({ kind: 'failed', reason: String(error) });
    }
  }
}

interface Restored {
  readonly index: SearchIndex;
  /** The group paired with the snapshot. */
  readonly slot: number;
  /** A stopped group no later than the snapshot's end that no start took since. */
  readonly spare: number | undefined;
  readonly takenAtMs: number;
  /** Groups earlier starts from this snapshot consumed. */
  readonly used: readonly number[];
}

function resumedPath(path: string): string {
  return `${path}.resumed`;
}

/** The groups earlier starts consumed from the snapshot taken at `takenAtMs`. */
async function readResumed(path: string, takenAtMs: number): Promise<number[]> {
  try {
    const note = JSON.parse(await readFile(resumedPath(path), 'utf8')) as {
      takenAtMs?: unknown;
      slots?: unknown;
    };
    if (note.takenAtMs !== takenAtMs || !Array.isArray(note.slots)) return [];
    return note.slots.filter((s): s is number => Number.isInteger(s));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    if (error instanceof SyntaxError) return [0, 1, 2]; // unreadable: assume all were taken
    throw error;
  }
}

async function writeResumed(path: string, takenAtMs: number, slots: number[]): Promise<void> {
  const file = await open(resumedPath(path), 'w');
  try {
    await file.writeFile(JSON.stringify({ takenAtMs, slots }));
    await file.sync();
  } finally {
    await file.close();
  }
}
