import { UnavailableError } from '@feedmesh/errors';
import { asUnavailable, redisUnavailable } from '@feedmesh/events';
import type { RedisClient } from '@feedmesh/service-kit';
import { traceRedis } from '@feedmesh/telemetry';
import calculateSlot from 'cluster-key-slot';
import type { ChainableCommander, Cluster } from 'ioredis';

type Enqueue = (pipeline: ChainableCommander) => void;

/** Picks a command's reply out of what `exec` resolved with. */
export type Reply<T> = (replies: readonly unknown[]) => T;

/**
 * Commands sent together in one round trip. On a single Redis that is one pipeline. On a
 * Cluster each command (an MGET, a script) must stay within one slot, and a pipeline within
 * one node: the batch becomes one pipeline per node, sent concurrently, still one round trip
 * of latency.
 */
export class SlotBatch {
  private readonly queued: { readonly group: string; readonly enqueue: Enqueue }[] = [];

  constructor(private readonly redis: RedisClient) {}

  get size(): number {
    return this.queued.length;
  }

  /** The slot of a key on a Cluster; 0 on a single Redis, where every key goes together. */
  slotOf(key: string): number {
    return this.redis.isCluster ? calculateSlot(key) : 0;
  }

  /** Queues a command whose keys all share `key`'s hash tag. */
  add(key: string, enqueue: Enqueue): Reply<unknown> {
    const index = this.queued.length;
    this.queued.push({ group: this.nodeOf(this.slotOf(key)), enqueue });
    return (replies) => replies[index];
  }

  /** GETs `keys` (binary): one MGET, or one per slot on a Cluster. */
  mget(keys: readonly string[]): Reply<(Buffer | null)[]> {
    if (keys.length === 0) return () => [];
    const bySlot = groupBy(keys.length, (i) => this.slotOf(keys[i]!));
    const parts = [...bySlot.values()].map((positions) => ({
      positions,
      reply: this.add(keys[positions[0]!]!, (pipeline) =>
        pipeline.mgetBuffer(...positions.map((i) => keys[i]!)),
      ),
    }));
    if (parts.length === 1) return (replies) => parts[0]!.reply(replies) as (Buffer | null)[];
    return (replies) => {
      const values = new Array<Buffer | null>(keys.length);
      for (const { positions, reply } of parts) {
        const got = reply(replies) as (Buffer | null)[];
        for (let i = 0; i < positions.length; i++) values[positions[i]!] = got[i] ?? null;
      }
      return values;
    };
  }

  /**
   * Sends everything queued and resolves with every reply, in queue order. A Redis that cannot
   * be reached, or cannot serve for now (see `redisFailure`), is an UnavailableError; another
   * error reply (a bug) is thrown as it is.
   */
  async exec(operation: string): Promise<unknown[]> {
    if (this.queued.length === 0) return [];
    const groups = groupBy(this.queued.length, (i) => this.queued[i]!.group);
    const replies = new Array<unknown>(this.queued.length);
    const run = async () => {
      await Promise.all(
        [...groups.values()].map(async (indexes) => {
          const pipeline = this.redis.pipeline();
          for (const index of indexes) this.queued[index]!.enqueue(pipeline);
          const results = (await pipeline.exec()) ?? [];
          for (let i = 0; i < indexes.length; i++) {
            const [error, reply] = results[i] ?? [new Error('no reply')];
            if (error) throw asUnavailable(error);
            replies[indexes[i]!] = reply;
          }
        }),
      );
    };
    try {
      await traceRedis(operation, run, {
        'feedmesh.redis.commands': this.queued.length,
        'feedmesh.redis.pipelines': groups.size,
      });
    } catch (error) {
      throw redisFailure(error);
    }
    return replies;
  }

  /**
   * Sends everything queued as one MULTI/EXEC (a single Redis: the keys need not share a
   * slot). Resolves with every reply, or with undefined when Redis refused the transaction
   * because a key the connection WATCHes changed since (nothing of it ran).
   */
  async execAtomically(operation: string): Promise<unknown[] | undefined> {
    if (this.redis.isCluster) throw new Error('a transaction needs a single Redis');
    if (this.queued.length === 0) return [];
    let results: [Error | null, unknown][] | null = null;
    const run = async () => {
      const transaction = this.redis.multi();
      for (const { enqueue } of this.queued) enqueue(transaction);
      results = await transaction.exec();
    };
    try {
      await traceRedis(operation, run, {
        'feedmesh.redis.commands': this.queued.length,
        'feedmesh.redis.transaction': true,
      });
    } catch (error) {
      throw redisFailure(error);
    }
    if (results === null) return undefined;
    return (results as [Error | null, unknown][]).map(([error, reply]) => {
      if (error) throw asUnavailable(error);
      return reply;
    });
  }

  /**
   * The node serving a slot, as the client last saw the Cluster's slot map; a slot it does
   * not know yet stands alone (the client routes it, and redirects if the map moved).
   */
  private nodeOf(slot: number): string {
    if (!this.redis.isCluster) return '';
    const nodes = (this.redis as Partial<Cluster>).slots?.[slot];
    return nodes?.[0] ?? `slot:${slot}`;
  }
}

/** Indexes 0..count-1 grouped by a key, in first-seen order. */
export function groupBy<K>(count: number, keyOf: (index: number) => K): Map<K, number[]> {
  const groups = new Map<K, number[]>();
  for (let i = 0; i < count; i++) {
    const key = keyOf(i);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [i]);
    else group.push(i);
  }
  return groups;
}

/**
 * What a failed pipeline or transaction means to the consumer. A Redis that cannot be reached,
 * or that answers it cannot serve for now (OOM, READONLY after a failover, LOADING, MISCONF,
 * BUSY: `redisUnavailable`), is an UnavailableError, so the batch is retried once Redis
 * answers without counting a failed delivery towards its dead-lettering; so is a transaction
 * Redis discarded (EXECABORT) because it refused one of its commands for such a reason.
 * Another error reply (WRONGTYPE, a script's error: a bug) is thrown as it is.
 */
function redisFailure(error: unknown): unknown {
  if (!(error instanceof Error) || error.name !== 'ReplyError') {
    return new UnavailableError('redis', error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
  const previous = (error as { previousErrors?: unknown[] }).previousErrors ?? [];
  if (error.message.startsWith('EXECABORT') && previous.some(redisUnavailable)) {
    return new UnavailableError('redis', error.message, { cause: error });
  }
  return asUnavailable(error);
}
