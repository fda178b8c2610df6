import { UnavailableError } from '@feedmesh/errors';
import type { RedisClient } from '@feedmesh/service-kit';
import { traceRedis } from '@feedmesh/telemetry';
import calculateSlot from 'cluster-key-slot';
import type { ChainableCommander } from 'ioredis';

type Enqueue = (pipeline: ChainableCommander) => void;

/** Picks a command's reply out of what `exec` resolved with. */
export type Reply<T> = (replies: readonly unknown[]) => T;

/**
 * Commands sent together in one round trip. On a single Redis that is one pipeline. On a
 * Cluster a pipeline (and an MGET) must stay within one slot, so the batch becomes one
 * pipeline per slot, sent concurrently: still one round trip of latency, spread over nodes.
 */
export class SlotBatch {
  private readonly queued: { readonly slot: number; readonly enqueue: Enqueue }[] = [];

  constructor(private readonly redis: RedisClient) {}

  get size(): number {
    return this.queued.length;
  }

  /** Queues a command whose keys all share `key`'s hash tag. */
  add(key: string, enqueue: Enqueue): Reply<unknown> {
    const index = this.queued.length;
    this.queued.push({ slot: this.slotOf(key), enqueue });
    return (replies) => replies[index];
  }

  /** GETs `keys` (binary): one MGET, or one per slot on a Cluster. */
  mget(keys: readonly string[]): Reply<(Buffer | null)[]> {
    const groups = new Map<number, { keys: string[]; positions: number[] }>();
    keys.forEach((key, position) => {
      const slot = this.slotOf(key);
      let group = groups.get(slot);
      if (group === undefined) {
        group = { keys: [], positions: [] };
        groups.set(slot, group);
      }
      group.keys.push(key);
      group.positions.push(position);
    });
    const parts = [...groups.values()].map((group) => ({
      positions: group.positions,
      reply: this.add(group.keys[0]!, (pipeline) => pipeline.mgetBuffer(...group.keys)),
    }));
    return (replies) => {
      const values = new Array<Buffer | null>(keys.length).fill(null);
      for (const { positions, reply } of parts) {
        const got = reply(replies) as (Buffer | null)[];
        positions.forEach((position, i) => {
          values[position] = got[i] ?? null;
        });
      }
      return values;
    };
  }

  /**
   * Sends everything queued and resolves with every reply, in queue order. A Redis that cannot
   * be reached is an UnavailableError; an error reply (a bug) is thrown as it is.
   */
  async exec(operation: string): Promise<unknown[]> {
    if (this.queued.length === 0) return [];
    const groups = new Map<number, number[]>();
    this.queued.forEach(({ slot }, index) => {
      const group = groups.get(slot);
      if (group === undefined) groups.set(slot, [index]);
      else group.push(index);
    });
    const replies = new Array<unknown>(this.queued.length);
    const run = async () => {
      await Promise.all(
        [...groups.values()].map(async (indexes) => {
          const pipeline = this.redis.pipeline();
          for (const index of indexes) this.queued[index]!.enqueue(pipeline);
          const results = (await pipeline.exec()) ?? [];
          results.forEach(([error, reply], i) => {
            if (error) throw error;
            replies[indexes[i]!] = reply;
          });
        }),
      );
    };
    try {
      await traceRedis(operation, run, {
        'feedmesh.redis.commands': this.queued.length,
        'feedmesh.redis.pipelines': groups.size,
      });
    } catch (error) {
      if (error instanceof Error && error.name === 'ReplyError') throw error;
      throw new UnavailableError('redis', error instanceof Error ? error.message : String(error), {
        cause: error,
      });
    }
    return replies;
  }

  private slotOf(key: string): number {
    return this.redis.isCluster ? calculateSlot(key) : 0;
  }
}
