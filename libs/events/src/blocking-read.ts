import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import {
  NONE_TRIMMED,
  type NewEntries,
  type NewEntryWaiter,
  type StreamEntry,
} from './consumer-runner.js';
import type { EventLogLogger } from './event-log.js';
import { parseStreamsReply, type RawEntry } from './redis-replies.js';

export interface BlockingReadOptions {
  /** The log's client: the waiter's own connection is a duplicate of it. */
  readonly client: Redis;
  /**
   * The streams it reads, by index (`toEntry`'s): every partition's, by partition, then the
   * group's redrive stream when `readsRedriven`.
   */
  readonly streamKeys: readonly string[];
  readonly readsRedriven: boolean;
  readonly group: string;
  readonly consumer: string;
  readonly toEntry: (index: number, raw: RawEntry) => StreamEntry;
  readonly logger: EventLogLogger;
  /**
   * Called when the connection closes with a read in flight: Redis may have delivered entries
   * in a reply that was lost (ioredis then sends the read again, which delivers what comes
   * next).
   */
  readonly onDropped: () => void;
}

/**
 * How long a close waits for the reply of a read Redis had already answered (or had not yet
 * begun) before it drops the connection; entries in a dropped reply stay pending for the
 * consumer, taken back at its next start or by another consumer after `claimIdleMs`.
 */
const CLOSE_GRACE_MS = 250;

const NOTHING_NEW: NewEntries = { entries: [], trimmed: NONE_TRIMMED };

/**
 * A consumer's read on a standalone Redis: one `XREADGROUP ... BLOCK ms STREAMS p0 ... pN >
 * ... >` over every partition, on a connection of its own (a blocked connection answers
 * nothing else), and of the group's redrive stream (so a redrive wakes it too). It returns at
 * once what any partition holds; when none holds anything, Redis hands over the first entries
 * appended to any partition as they come.
 *
 * `close()` ends a wait in progress with `CLIENT UNBLOCK <id> TIMEOUT`, so nothing Redis
 * delivered is dropped; where the log's user may not run it (an ACL without `client`), it
 * drops the connection after a short grace instead. A client-side timer (`blockingTimeout`)
 * gives up on a read whose connection died without closing, 10 s past its block time.
 *
 * It cannot tell when the read jumps over entries the length cap trimmed before the group read
 * them (`NewEntries.trimmed`): a consumer reads each partition on its own after a slow round.
 */
export class BlockingRead implements NewEntryWaiter {
  readonly readsRedriven: boolean;
  private connection: Redis | undefined;
  private clientId: number | undefined;
  private inFlight: Promise<unknown> | undefined;
  private closed = false;
  private readonly partitionOf: ReadonlyMap<string, number>;

  constructor(private readonly options: BlockingReadOptions) {
    this.partitionOf = new Map(options.streamKeys.map((key, partition) => [key, partition]));
    this.readsRedriven = options.readsRedriven;
  }

  async readNew(count: number, timeoutMs: number): Promise<NewEntries> {
    const { streamKeys, group, consumer, toEntry } = this.options;
    if (this.closed) return NOTHING_NEW;
    const connection = this.connect();
    try {
      this.clientId ??= Number(await connection.client('ID'));
      if (this.closed) return NOTHING_NEW;
      const read = connection.callBuffer('XREADGROUP', [
        'GROUP',
        group,
        consumer,
        'COUNT',
        count,
        // BLOCK 0 would wait for ever.
        ...(timeoutMs > 0 ? ['BLOCK', timeoutMs] : []),
        'STREAMS',
        ...streamKeys,
        ...streamKeys.map(() => '>'),
      ]);
      this.inFlight = read;
      const reply = await read;
      const entries = parseStreamsReply(reply).flatMap(({ key, entries }) => {
        const partition = this.partitionOf.get(key);
        return partition === undefined ? [] : entries.map((raw) => toEntry(partition, raw));
      });
      return { entries, trimmed: NONE_TRIMMED };
    } catch (error) {
      if (this.closed) return NOTHING_NEW;
      throw error;
    } finally {
      this.inFlight = undefined;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const { connection, inFlight, clientId } = this;
    if (connection === undefined) return;
    if (inFlight !== undefined) {
      const unblocked =
        clientId === undefined
          ? 0
          : await this.options.client.call('CLIENT', 'UNBLOCK', clientId, 'TIMEOUT').catch(() => 0);
      const settled = inFlight.then(
        () => undefined,
        () => undefined,
      );
      await (unblocked === 1 ? settled : Promise.race([settled, delay(CLOSE_GRACE_MS)]));
    }
    connection.disconnect();
  }

  private connect(): Redis {
    if (this.connection !== undefined) return this.connection;
    const { client, group, consumer, logger } = this.options;
    const connection = client.duplicate({
      connectionName: `feedmesh-events-wait:${group}:${consumer}`,
      // Any positive value turns the client-side timer on; a read with a BLOCK time gets
      // that time plus the grace.
      blockingTimeout: 15_000,
      blockingTimeoutGrace: 10_000,
    });
    connection.on('error', (error: unknown) =>
      logger.warn({ err: error, group, consumer }, 'event log: waiting connection error'),
    );
    // A new connection has a new id (and ioredis sends an unanswered read again on it).
    connection.on('close', () => {
      this.clientId = undefined;
      if (this.inFlight !== undefined && !this.closed) this.options.onDropped();
    });
    this.connection = connection;
    return connection;
  }
}
