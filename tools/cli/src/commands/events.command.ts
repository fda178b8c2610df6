import type { Command } from '@commander-js/extra-typings';
import { eventsv1 } from '@feedmesh/contracts';
import type { DeadLetter, EventLog, GroupStatus } from '@feedmesh/events';
import {
  connectReachableRedis,
  createRuntime,
  loadConfig,
  runtimeConfigShape,
  type Runtime,
} from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { CommandFailedError } from '../cli-errors.js';
import { write, type CliIo } from '../cli-io.js';
import { integerIn } from '../option-parsers.js';

/**
 * `feedmesh events`: the deployment's event log as an operator sees it (REDIS_URL,
 * REDIS_PREFIX, EVENT_PARTITIONS): every consumer group's lag and consumers, and what a group
 * dead-lettered. Reads only; joins no group.
 */
export function registerEventsCommand(program: Command, io: CliIo): void {
  const events = program
    .command('events')
    .description(
      "the deployment's event log (REDIS_URL): each consumer group's lag, consumers and dead letters",
    );

  events
    .command('groups')
    .description(
      'every consumer group: undelivered and pending entries, dead letters, and each consumer ' +
        'with what it holds and whether it still beats',
    )
    .option('--json', 'print the groups as JSON')
    .action(async (options) => {
      await withLog(io, async (log) => {
        const groups = await log.groups();
        if (options.json) return write(io.stdout, `${JSON.stringify(groups, null, 2)}\n`);
        await write(io.stdout, renderGroups(groups));
      });
    });

  events
    .command('dead-letters')
    .description('the events a consumer group gave up on, oldest first, with why')
    .argument('<group>', 'the consumer group, e.g. feature-store')
    .option('--limit <n>', 'at most this many (1-10000)', integerIn(1, 10_000), 20)
    .option('--json', 'print them as JSON (each event as ts-proto Event.toJSON)')
    .action(async (group, options) => {
      await withLog(io, async (log) => {
        const letters = await log.deadLetters(group, options.limit);
        // A group that never existed has no dead letters either: not an all-clear.
        if (letters.length === 0) await checkGroupExists(log, group);
        if (options.json) {
          const json = letters.map(({ event, ...letter }) => ({
            ...letter,
            event: event === undefined ? null : eventsv1.Event.toJSON(event),
          }));
          return write(io.stdout, `${JSON.stringify(json, null, 2)}\n`);
        }
        await write(io.stdout, renderDeadLetters(group, letters));
      });
    });
}

async function withLog(io: CliIo, body: (log: EventLog) => Promise<void>): Promise<void> {
  const runtime = await openDeploymentRuntime(io, {
    name: 'events',
    unset: 'feedmesh events reads a deployment’s event log: set REDIS_URL (and REDIS_PREFIX)',
  });
  try {
    await body(runtime.eventLog);
  } finally {
    await runtime.close();
  }
}

/**
 * The deployment's runtime (REDIS_URL, REDIS_PREFIX, EVENT_PARTITIONS) for a command that
 * reads its event log, once Redis answers: without REDIS_URL the runtime would be an empty
 * in-memory log, and an unreachable Redis would be retried with a warning per attempt.
 * `unset` is the error when REDIS_URL is not set; `name` names the log lines.
 */
export async function openDeploymentRuntime(
  io: CliIo,
  options: { readonly name: string; readonly unset: string },
): Promise<Runtime> {
  const config = loadConfig(runtimeConfigShape, io.env);
  if (!config.REDIS_URL) throw new CommandFailedError(options.unset);
  const logger = createLogger(options.name, {
    destination: io.stderr,
    env: io.env as NodeJS.ProcessEnv,
    ...(io.env['LOG_LEVEL'] ? {} : { level: 'warn' as const }),
  });
  (await connectReachableRedis(config.REDIS_URL, { source: 'REDIS_URL' })).disconnect();
  return createRuntime(config, logger);
}

async function checkGroupExists(log: EventLog, group: string): Promise<void> {
  const groups = (await log.groups()).map((status) => status.group);
  if (groups.includes(group)) return;
  throw new CommandFailedError(
    `no consumer group ${JSON.stringify(group)} reads this log; ` +
      (groups.length === 0 ? 'none does yet' : `its groups: ${groups.join(', ')}`),
  );
}

function renderGroups(groups: readonly GroupStatus[]): string {
  if (groups.length === 0) return 'no consumer group reads this log yet\n';
  const lines: string[] = [];
  for (const group of groups) {
    lines.push(
      `${group.group}: ${group.undelivered} undelivered, ${group.pending} pending, ` +
        `${group.deadLetters} dead-lettered`,
    );
    if (group.consumers.length === 0) lines.push('  no consumers');
    for (const consumer of group.consumers) {
      lines.push(`  ${consumer.name}  ${consumer.pending} pending  ${consumer.heartbeat}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function renderDeadLetters(group: string, letters: readonly DeadLetter[]): string {
  if (letters.length === 0) return `${group} dead-lettered nothing\n`;
  return (
    letters
      .map(
        (letter) =>
          `${letter.eventId} (${letter.event?.payload?.$case ?? 'undecodable'}, partition ` +
          `${letter.partition}, entry ${letter.entryId}) by ${letter.consumer} after ` +
          `${letter.deliveries} deliveries: ${letter.error}`,
      )
      .join('\n') + '\n'
  );
}
