import type { Command } from '@commander-js/extra-typings';
import { eventsv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import {
  UnknownDeadLettersError,
  type DeadLetter,
  type EventLog,
  type GroupStatus,
} from '@feedmesh/events';
import {
  connectReachableRedis,
  createRuntime,
  loadConfig,
  runtimeConfigShape,
  type Runtime,
} from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { CommandFailedError, UsageError } from '../cli-errors.js';
import { write, type CliIo } from '../cli-io.js';
import { collect, id, integerIn } from '../option-parsers.js';
import { counted, feedmeshCommand } from '../render/text.js';

/** Dead letters read at once when a command goes through them all (`redrive --dry-run`). */
const PAGE = 1_000;

/**
 * `feedmesh events`: the deployment's event log as an operator sees it (REDIS_URL,
 * REDIS_PREFIX, EVENT_PARTITIONS): every consumer group's lag and consumers, and what a group
 * dead-lettered; and, once the bug that killed them is fixed, the dead letters delivered again
 * to their group (`redrive`). Joins no group; only `redrive` writes.
 */
export function registerEventsCommand(program: Command, io: CliIo): void {
  const events = program
    .command('events')
    .description(
      "the deployment's event log (REDIS_URL): each consumer group's lag, consumers and dead " +
        'letters, and dead letters redriven to their group',
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
    .description(
      'the events a consumer group gave up on, oldest first, with why; each line starts with ' +
        'its dead-letter id (for --after and `events redrive --id`)',
    )
    .argument('<group>', 'the consumer group, e.g. feature-store')
    .option(
      '--after <id>',
      'the page after this dead letter (the last id of the previous page)',
      id,
    )
    .option('--limit <n>', 'at most this many (1-10000)', integerIn(1, 10_000), 20)
    .option('--json', 'print them as JSON (each event as ts-proto Event.toJSON)')
    .action(async (group, options) => {
      await withLog(io, async (log) => {
        // One more than asked for tells whether there is a next page.
        const read = await asUsage(() =>
          log.deadLetters(group, { after: options.after, limit: options.limit + 1 }),
        );
        const letters = read.slice(0, options.limit);
        // A group that never existed has no dead letters either: not an all-clear.
        if (letters.length === 0) await checkGroupExists(log, group);
        if (options.json) return write(io.stdout, deadLettersJson(letters));
        const lines = [
          letters.length === 0
            ? `${group} dead-lettered nothing${options.after === undefined ? '' : ` after ${options.after}`}`
            : renderDeadLetters(letters),
        ];
        if (read.length > options.limit) {
          const last = letters.at(-1)!.id;
          const next = ['events', 'dead-letters', group, '--limit', String(options.limit)];
          lines.push(`next page: ${feedmeshCommand([...next, '--after', last])}`);
        }
        await write(io.stdout, `${lines.join('\n')}\n`);
      });
    });

  events
    .command('redrive')
    .description(
      'delivers dead letters again to their consumer group only (no other group sees them), ' +
        'once the bug that killed them is fixed: they leave the dead-letter list as they are ' +
        'handed to the group, and one that fails again is dead-lettered again',
    )
    .argument('<group>', 'the consumer group, e.g. feature-store')
    .option('--all', 'every dead letter the group has now')
    .option(
      '--id <id>',
      'this dead letter (repeatable), as `events dead-letters` lists it',
      collect,
    )
    .option('--dry-run', 'only list what would be redriven; change nothing')
    .option('--json', 'print the dead letters (to be) redriven as JSON, as `dead-letters --json`')
    .action(async (group, options) => {
      const ids = options.id;
      if ((options.all === true) === (ids !== undefined)) {
        throw new UsageError('events redrive takes either --all or one or more --id, not both');
      }
      await withLog(io, async (log) => {
        await checkGroupExists(log, group);
        const letters = options.dryRun
          ? await deadLettersToRedrive(log, group, ids)
          : await redrive(log, group, ids === undefined ? { all: true } : { ids });
        if (options.json) return write(io.stdout, deadLettersJson(letters));
        await write(io.stdout, renderRedrive(group, letters, options.dryRun === true));
      });
    });
}

/**
 * Redrives, turning the log's refusals into what the operator typed: `--id` for ids that are
 * not (or no longer) dead letters, with the command that lists those there are.
 */
async function redrive(
  log: EventLog,
  group: string,
  selection: { ids: string[] } | { all: true },
): Promise<DeadLetter[]> {
  try {
    return await asUsage(() => log.redriveDeadLetters(group, selection));
  } catch (error) {
    if (error instanceof UnknownDeadLettersError) throw unknownIds(group, error.ids);
    throw error;
  }
}

/** What `redrive` would take, read without changing anything; unknown ids fail as it would. */
async function deadLettersToRedrive(
  log: EventLog,
  group: string,
  ids: readonly string[] | undefined,
): Promise<DeadLetter[]> {
  const all: DeadLetter[] = [];
  for (let after: string | undefined; ;) {
    const page = await log.deadLetters(group, { after, limit: PAGE });
    all.push(...page);
    if (page.length < PAGE) break;
    after = page.at(-1)!.id;
  }
  if (ids === undefined) return all;
  const wanted = new Set(ids);
  const chosen = all.filter((letter) => wanted.has(letter.id));
  for (const letter of chosen) wanted.delete(letter.id);
  if (wanted.size > 0) throw unknownIds(group, [...wanted]);
  return chosen;
}

function unknownIds(group: string, ids: readonly string[]): CommandFailedError {
  return new CommandFailedError(
    `--id ${ids.join(', ')}: not among the dead letters of ${group} (never were, or redriven ` +
      'already); nothing was redriven',
    `list them with: ${feedmeshCommand(['events', 'dead-letters', group])}`,
  );
}

/**
 * The log's argument errors name its fields (`after`, `ids`, `limit`): the command's options.
 * Unknown ids are not the command line's fault, and pass through (see `redrive`).
 */
async function asUsage<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof InvalidArgumentError && !(error instanceof UnknownDeadLettersError)) {
      const option = error.field === 'ids' ? 'id' : error.field;
      throw new UsageError(`--${option}: ${error.problem}`);
    }
    throw error;
  }
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

/** One line each: its dead-letter id, the event and where it was, who gave up and why. */
function renderDeadLetters(letters: readonly DeadLetter[]): string {
  return letters
    .map(
      (letter) =>
        `${letter.id}  ${letter.eventId} (${letter.event?.payload?.$case ?? 'undecodable'}, ` +
        `partition ${letter.partition}, entry ${letter.entryId}) by ${letter.consumer} after ` +
        `${letter.deliveries} deliveries` +
        (letter.redrives > 0 ? `, redriven ${counted(letter.redrives, 'time')} before` : '') +
        `: ${letter.error}`,
    )
    .join('\n');
}

function renderRedrive(group: string, letters: readonly DeadLetter[], dryRun: boolean): string {
  if (letters.length === 0) return `${group} has no dead letters to redrive\n`;
  const heading = dryRun
    ? `would redrive ${counted(letters.length, 'dead letter')} to ${group} (dry run: nothing changed):`
    : `redrove ${counted(letters.length, 'dead letter')} to ${group}; its consumers handle them again:`;
  return `${heading}\n${renderDeadLetters(letters)}\n`;
}

function deadLettersJson(letters: readonly DeadLetter[]): string {
  const json = letters.map(({ event, ...letter }) => ({
    ...letter,
    event: event === undefined ? null : eventsv1.Event.toJSON(event),
  }));
  return `${JSON.stringify(json, null, 2)}\n`;
}
