import type { Cluster } from 'ioredis';
import type { NewEntryWaiter, StreamEntry } from './consumer-runner.js';
import type { EventLogLogger } from './event-log.js';

export interface DoorbellReadOptions {
  /** The log's client: the wait runs on a duplicate of it. */
  readonly client: Cluster;
  /** The doorbell stream every append rings once its entries have landed. */
  readonly doorbellKey: string;
  readonly partitions: number;
  /** A partition's new entries for the consumer (XREADGROUP ... >, not blocking). */
  readonly readPartition: (partition: number, count: number) => Promise<StreamEntry[]>;
  readonly group: string;
  readonly consumer: string;
  readonly logger: EventLogLogger;
}

/** The rings a doorbell keeps (appends only need the newest to be newer than a reader's). */
export const DOORBELL_RINGS_KEPT = 100;

/**
 * A consumer's read on a Redis Cluster, where no command can read partitions of different
 * slots: every partition is read (one XREADGROUP each, not blocking), and when none holds
 * anything the consumer waits, on a connection of its own, for the next ring of the doorbell:
 * a small stream in a slot of its own that every append adds to after its entries have
 * landed (`XREAD BLOCK ms STREAMS <doorbell> <last ring seen>`).
 *
 * Nothing is missed between the reads and the wait: the wait starts from the newest ring seen
 * before the reads, so an append that landed after them has rung since and ends the wait at
 * once. A wait only reads the doorbell (XREAD, no group), so dropping its connection to stop
 * loses nothing.
 */
export class DoorbellRead implements NewEntryWaiter {
  private connection: Cluster | undefined;
  private closed = false;
  /** The newest ring seen; `undefined` until the first read asks. */
  private lastRing: string | undefined;

  constructor(private readonly options: DoorbellReadOptions) {}

  async readNew(count: number, timeoutMs: number): Promise<StreamEntry[]> {
    if (this.closed) return [];
    const { client, doorbellKey } = this.options;
    if (this.lastRing === undefined) {
      const [newest] = (await client.xrevrange(doorbellKey, '+', '-', 'COUNT', 1)) ?? [];
      this.lastRing = newest?.[0] ?? '0-0';
    }
    const since = this.lastRing;
    const entries = await this.readEveryPartition(count);
    if (entries.length > 0 || timeoutMs <= 0 || this.closed) return entries;
    let rings: [string, [string, string[]][]][] | null;
    try {
      rings = (await this.connect().xread(
        'COUNT',
        DOORBELL_RINGS_KEPT,
        'BLOCK',
        timeoutMs,
        'STREAMS',
        doorbellKey,
        since,
      )) as [string, [string, string[]][]][] | null;
    } catch (error) {
      if (this.closed) return [];
      throw error;
    }
    if (this.closed) return [];
    const rung = rings?.[0]?.[1];
    if (rung === undefined || rung.length === 0) return [];
    this.lastRing = rung[rung.length - 1]![0];
    return this.readEveryPartition(count);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.connection?.disconnect();
  }

  private async readEveryPartition(count: number): Promise<StreamEntry[]> {
    const { partitions, readPartition } = this.options;
    const reads = await Promise.all(
      Array.from({ length: partitions }, (_, partition) => readPartition(partition, count)),
    );
    return reads.flat();
  }

  private connect(): Cluster {
    if (this.connection !== undefined) return this.connection;
    const { client, group, consumer, logger } = this.options;
    const connection = client.duplicate([], {
      redisOptions: {
        ...client.options.redisOptions,
        connectionName: `feedmesh-events-wait:${group}:${consumer}`,
        // Gives up on a wait whose connection died without closing, 10 s past its block time.
        blockingTimeout: 15_000,
        blockingTimeoutGrace: 10_000,
      },
    });
    connection.on('error', (error: unknown) =>
      logger.warn({ err: error, group, consumer }, 'event log: waiting connection error'),
    );
    this.connection = connection;
    return connection;
  }
}
