import type { RedisClient } from '@feedmesh/service-kit';
import type { ChainableCommander } from 'ioredis';
import { UnavailableError } from '@feedmesh/errors';
import { messageOf, redisCall } from './redis-call.js';

/** A pipeline's reply to one command: its error, or its result. */
export type PipelineReply = [Error | null, unknown];

interface Queued {
  readonly commands: (pipeline: ChainableCommander) => void;
  resolve(replies: PipelineReply[]): void;
  reject(error: unknown): void;
}

/**
 * Commands asked for in the same turn of the event loop, written to Redis as one pipeline.
 * A batch of events handled at once asks for hundreds of small reads and writes at a time;
 * written one by one, each costs a socket write and most of the client's CPU goes to that.
 * Each caller gets the replies to its own commands, in order, so it sees what it would have
 * seen alone; nothing is atomic beyond what its commands are. On a Cluster, where a pipeline
 * must stay in one slot, each caller's commands go as their own pipeline: they must share a
 * slot.
 */
export class TickPipeline {
  private queued: Queued[] = [];

  constructor(
    private readonly redis: RedisClient,
    /** The traced operation's name. */
    private readonly name: string,
  ) {}

  send(commands: (pipeline: ChainableCommander) => void): Promise<PipelineReply[]> {
    if (this.redis.isCluster) {
      const pipeline = this.redis.pipeline();
      commands(pipeline);
      return redisCall(this.name, async () => (await pipeline.exec()) ?? []);
    }
    if (this.queued.length === 0) setImmediate(() => void this.flush());
    return new Promise((resolve, reject) => this.queued.push({ commands, resolve, reject }));
  }

  private async flush(): Promise<void> {
    const queued = this.queued;
    this.queued = [];
    const pipeline = this.redis.pipeline();
    const ends = queued.map(({ commands }) => {
      commands(pipeline);
      return pipeline.length;
    });
    try {
      const replies = await redisCall(this.name, async () => (await pipeline.exec()) ?? []);
      queued.forEach(({ resolve }, i) => resolve(replies.slice(ends[i - 1] ?? 0, ends[i])));
    } catch (error) {
      for (const { reject } of queued) reject(error);
    }
  }
}

/** The result of one command of a pipeline; its error as an UnavailableError (retryable). */
export function resultOf(reply: PipelineReply | undefined, operation: string): unknown {
  const [error, result] = reply ?? [new Error('no reply'), undefined];
  if (error !== null) {
    throw new UnavailableError('redis', `${operation} failed: ${messageOf(error)}`, {
      cause: error,
    });
  }
  return result;
}
