import { FeedmeshError, UnavailableError } from '@feedmesh/errors';
import type { RedisClient } from '@feedmesh/service-kit';
import { traceRedis } from '@feedmesh/telemetry';
import type { ScriptPipeline } from './redis-scripts.js';

/** One command of a batch: the key it touches (for slot grouping) and how to queue it. */
export interface QueuedCommand {
  readonly key: string;
  readonly queue: (pipeline: ScriptPipeline) => void;
}

/**
 * Runs the commands as one pipeline, one round trip, and returns their replies in order. On a
 * Redis Cluster a pipeline cannot span slots, so the commands are grouped by hash tag into
 * pipelines sent together.
 */
export async function runPipelined(
  client: RedisClient,
  operation: string,
  commands: readonly QueuedCommand[],
): Promise<unknown[]> {
  if (commands.length === 0) return [];
  const replies = new Array<unknown>(commands.length);
  const groups = client.isCluster
    ? groupBy(commands, (command) => hashTagOf(command.key))
    : [commands.map((command, index) => ({ command, index }))];
  try {
    await traceRedis(
      operation,
      () =>
        Promise.all(
          groups.map(async (group) => {
            const pipeline = client.pipeline() as ScriptPipeline;
            for (const { command } of group) command.queue(pipeline);
            const results = await pipeline.exec();
            if (results === null) throw new UnavailableError('redis', 'pipeline was discarded');
            results.forEach(([error, reply], i) => {
              if (error) throw error;
              replies[group[i]!.index] = reply;
            });
          }),
        ),
      { 'db.redis.commands': commands.length, 'db.redis.pipelines': groups.length },
    );
  } catch (error) {
    if (error instanceof FeedmeshError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new UnavailableError('redis', `${operation} failed: ${message}`, { cause: error });
  }
  return replies;
}

/** The part of a key Redis Cluster hashes: the first non-empty `{...}`, else the whole key. */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

function groupBy(
  commands: readonly QueuedCommand[],
  slotOf: (command: QueuedCommand) => string,
): { command: QueuedCommand; index: number }[][] {
  const groups = new Map<string, { command: QueuedCommand; index: number }[]>();
  commands.forEach((command, index) => {
    const slot = slotOf(command);
    const group = groups.get(slot);
    if (group) group.push({ command, index });
    else groups.set(slot, [{ command, index }]);
  });
  return [...groups.values()];
}
