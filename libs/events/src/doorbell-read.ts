import type { Cluster } from 'ioredis';
import { NONE_TRIMMED, type NewEntries, type NewEntryWaiter } from './consumer-runner.js';
import type { EventLogLogger } from './event-log.js';

export interface DoorbellReadOptions {
  /** The log's client: the wait runs on a duplicate of it. */
  readonly client: Cluster;
  /** The doorbell stream every append rings once its entries have landed. */
  readonly doorbellKey: string;
  readonly partitions: number;
  /** A partition's new entries for the consumer (XREADGROUP ... >, not blocking). */
  readonly readPartition: (partition: number, count: number) => Promise<NewEntries>;
  readonly group: string;
  readonly consumer: string;
  readonly logger: EventLogLogger;
}

/** The rings a doorbell keeps (a waiter only needs those newer than the last it saw). */
export const DOORBELL_RINGS_KEPT = 100;

/** A ring's field: the partitions the append added to, comma-separated. */
export const RING_PARTITIONS_FIELD = 'partitions';

const NOTHING_NEW: NewEntries = { entries: [], trimmed: NONE_TRIMMED };

type RingsReply = [string, [string, string[]][]][] | null;

/**
 * A consumer's read on a Redis Cluster, where no command can read partitions of different
 * slots. Every append, once its entries have landed, rings the doorbell: it adds to a small
 * stream in a slot of its own the partitions it appended to. A consumer waits for rings
 * newer than the last it saw (`XREAD BLOCK ms STREAMS <doorbell> <id>`, on a connection of its
 * own) and reads just the partitions they name, one XREADGROUP each; rings that came while it
 * was busy are read at once, together.
 *
 * Nothing is missed: its first read takes every partition (what was appended before it
 * started, rung before the newest ring it then knows), and a wait that ends with no ring
 * reads every partition again, which also finds what an append whose ring failed left. A wait
 * only reads the doorbell (XREAD, no group), so dropping its connection to stop loses nothing.
 */
export class DoorbellRead implements NewEntryWaiter {
  /** A redrive rings no doorbell: the consumer looks at its redrive stream itself. */
  readonly readsRedriven = false;
  private connection: Cluster | undefined;
  private closed = false;
  /** The newest ring seen; `undefined` until the first read. */
  private lastRing: string | undefined;

  constructor(private readonly options: DoorbellReadOptions) {}

  async readNew(count: number, timeoutMs: number): Promise<NewEntries> {
    if (this.closed) return NOTHING_NEW;
    const { client, doorbellKey, partitions } = this.options;
    if (this.lastRing === undefined) {
      const [newest] = await client.xrevrange(doorbellKey, '+', '-', 'COUNT', 1);
      this.lastRing = newest?.[0] ?? '0-0';
      return this.read(everyPartition(partitions), count);
    }
    let rings: RingsReply;
    try {
      const args = [
        'COUNT',
        DOORBELL_RINGS_KEPT,
        ...(timeoutMs > 0 ? ['BLOCK', timeoutMs] : []),
        'STREAMS',
        doorbellKey,
        this.lastRing,
      ];
      // A wait blocks its connection: only a wait goes on the waiter's own.
      rings = (await (timeoutMs > 0 ? this.connect() : client).call('XREAD', args)) as RingsReply;
    } catch (error) {
      if (this.closed) return NOTHING_NEW;
      throw error;
    }
    if (this.closed) return NOTHING_NEW;
    const rung = rings?.[0]?.[1] ?? [];
    if (rung.length === 0) {
      return timeoutMs > 0 ? this.read(everyPartition(partitions), count) : NOTHING_NEW;
    }
    this.lastRing = rung[rung.length - 1]![0];
    // As many rings as a read returns: older ones may have been trimmed, so read everything.
    if (rung.length >= DOORBELL_RINGS_KEPT) return this.read(everyPartition(partitions), count);
    const named = new Set<number>();
    for (const [, fields] of rung) {
      for (const partition of ringPartitions(fields, partitions)) named.add(partition);
    }
    return this.read([...named], count);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.connection?.disconnect();
  }

  private async read(partitions: readonly number[], count: number): Promise<NewEntries> {
    const { readPartition } = this.options;
    const reads = await Promise.all(partitions.map((partition) => readPartition(partition, count)));
    return {
      entries: reads.flatMap((read) => read.entries),
      trimmed: reads.flatMap((read) => read.trimmed),
    };
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

function everyPartition(partitions: number): number[] {
  return Array.from({ length: partitions }, (_, partition) => partition);
}

/** The partitions a ring names; every partition for a ring it cannot read. */
function ringPartitions(fields: readonly string[], partitions: number): number[] {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] !== RING_PARTITIONS_FIELD) continue;
    const named = fields[i + 1]!.split(',').map(Number);
    if (
      named.every(
        (partition) => Number.isInteger(partition) && partition >= 0 && partition < partitions,
      )
    ) {
      return named;
    }
  }
  return everyPartition(partitions);
}
