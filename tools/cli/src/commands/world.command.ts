import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { Option, type Command } from '@commander-js/extra-typings';
import { eventsv1 } from '@feedmesh/contracts';
import { createWorld, WORLD_PRESET_NAMES, type World, type WorldOptions } from '@feedmesh/world';
import { UsageError } from '../cli-errors.js';
import { write, type CliIo, type Output } from '../cli-io.js';
import { instant, integerIn } from '../option-parsers.js';
import { startProgress } from '../progress.js';
import { formatCount } from '../render/text.js';

export function registerWorldCommand(program: Command, io: CliIo): void {
  program
    .command('world')
    .description('generate a deterministic world as JSON lines of events (ts-proto Event.toJSON)')
    .addOption(
      new Option('--preset <name>', 'sizes to start from')
        .choices(WORLD_PRESET_NAMES)
        .default('default'),
    )
    .option('--users <n>', 'override the preset: users', integerIn(1, 10_000_000))
    .option('--blogs <n>', 'override the preset: blogs', integerIn(1, 1_000_000))
    .option('--posts <n>', 'override the preset: posts (exact)', integerIn(0, 100_000_000))
    .option('--engagements <n>', 'override the preset: engagements (about)', integerIn(0, 1e9))
    .option('--seed <n>', 'same seed, same world', integerIn(0, 2 ** 32 - 1), 1)
    .option(
      '--now <time>',
      "the world's present, ms or ISO date (default: now, to the minute)",
      instant,
    )
    .option('--days <n>', 'days of activity before now (default 30)', integerIn(2, 365))
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (options) => {
      const world = buildWorld({
        preset: options.preset as WorldOptions['preset'],
        users: options.users,
        blogs: options.blogs,
        posts: options.posts,
        engagements: options.engagements,
        seed: options.seed,
        now: options.now,
        days: options.days,
        // A short world still has new creators (from its last day) and, under two weeks,
        // cannot have anyone lapsed for two weeks.
        ...(options.days === undefined
          ? {}
          : {
              newCreatorDays: Math.min(7, options.days - 1),
              ...(options.days <= 14 ? { lapsedShare: 0 } : {}),
            }),
      });
      const output = options.out === undefined ? io.stdout : createWriteStream(options.out);
      const started = performance.now();
      const { written, complete } = await writeWorldLines(world, output, io.stderr);
      // The reader went away (`| head`): nothing to report.
      if (!complete) return;
      if (options.out !== undefined) {
        output.end();
        await finished(output);
      }
      const p = world.truth.parameters;
      const seconds = (performance.now() - started) / 1000;
      io.stderr.write(
        `wrote ${formatCount(written)} events (seed ${p.seed}: ${formatCount(p.users)} users, ` +
          `${formatCount(p.blogs)} blogs, ${formatCount(p.posts)} posts) ` +
          `to ${options.out ?? 'stdout'} in ${seconds.toFixed(1)} s\n`,
      );
    });
}

/** The world for these options; a bad combination is a usage error naming the option. */
export function buildWorld(options: WorldOptions): World {
  const defined = Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as WorldOptions;
  try {
    return createWorld(defined);
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(`--${error.message}`);
    throw error;
  }
}

/**
 * Streams the world's events as JSON lines, waiting on the output so memory stays flat; a
 * reader that goes away (`| head`) ends the stream quietly. Says how many were written, and whether all were.
 */
export async function writeWorldLines(
  world: World,
  output: Output,
  stderr: Output,
): Promise<{ written: number; complete: boolean }> {
  const { windowStartMs, nowMs } = world.truth;
  const progress = startProgress(stderr, {
    total: 100,
    format: 'world |{bar}| {percentage}% of the timeline | {events} events',
    payload: { events: 0 },
  });
  let written = 0;
  let chunk: string[] = [];
  // Failures arrive through write()'s rejection; without a listener the stream's own 'error'
  // event would end the process with a stack trace.
  const ignore = () => undefined;
  output.on('error', ignore);
  try {
    for (const event of world.events()) {
      chunk.push(JSON.stringify(eventsv1.Event.toJSON(event)));
      written += 1;
      if (chunk.length === 1000) {
        await write(output, `${chunk.join('\n')}\n`);
        chunk = [];
        const share = (event.atMs - windowStartMs) / (nowMs - windowStartMs);
        progress.update(Math.max(0, Math.min(100, Math.floor(share * 100))), { events: written });
      }
    }
    if (chunk.length > 0) await write(output, `${chunk.join('\n')}\n`);
    progress.update(100, { events: written });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
    return { written, complete: false };
  } finally {
    output.off('error', ignore);
    progress.stop();
  }
  return { written, complete: true };
}
