import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { getHeapStatistics } from 'node:v8';
import { Option, type Command } from '@commander-js/extra-typings';
import { eventsv1 } from '@feedmesh/contracts';
import {
  createWorld,
  resolveWorldOptions,
  worldHeapBytes,
  WORLD_PRESET_NAMES,
  type World,
  type WorldOptions,
  type WorldParameters,
} from '@feedmesh/world';
import { CommandFailedError, UsageError } from '../cli-errors.js';
import { write, type CliIo, type Output } from '../cli-io.js';
import { instantFrom, integerIn, outputFile } from '../option-parsers.js';
import { startProgress } from '../progress.js';
import { counted, formatCount } from '../render/text.js';

/** The earliest --now: 2000-01-01. */
const EARLIEST_NOW = Date.UTC(2000, 0, 1);

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
      "the world's present, ms or ISO date, 2000 or later (default: now, to the minute)",
      // Its oldest blogs were started up to about four years before now: from 2000 on, the
      // whole world is after the epoch, where publish accepts it.
      instantFrom(EARLIEST_NOW),
    )
    .option('--days <n>', 'days of activity before now (default 30)', integerIn(2, 365))
    .option('--out <file>', 'write to this file instead of stdout', outputFile)
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
      const target = options.out ?? 'stdout';
      const started = performance.now();
      const { written, ending } = await writeWorldLines(world, output, io.stderr, io.interrupt);
      // The reader went away (`| head`): nothing to report.
      if (ending === 'reader-gone') return;
      if (options.out !== undefined) {
        output.end();
        await finished(output);
      }
      if (ending === 'interrupted') {
        throw new CommandFailedError(
          `interrupted; wrote ${counted(written, 'event')} to ${target} before it, ` +
            'so it holds only the start of the world',
          'run it again to the end for the whole world',
        );
      }
      const p = world.truth.parameters;
      const seconds = (performance.now() - started) / 1000;
      io.stderr.write(
        `wrote ${formatCount(written)} events (seed ${p.seed}: ${formatCount(p.users)} users, ` +
          `${formatCount(p.blogs)} blogs, ${formatCount(p.posts)} posts) ` +
          `to ${target} in ${seconds.toFixed(1)} s\n`,
      );
    });
}

/**
 * The world for these options; a bad combination is a usage error naming the option, and a
 * world too large for this process's heap is refused before any of it is built (10,000,000
 * users, on a 4.3 GB heap, ended after 44 s in V8's "JavaScript heap out of memory").
 */
export function buildWorld(options: WorldOptions): World {
  const defined = Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as WorldOptions;
  let parameters: WorldParameters;
  try {
    parameters = resolveWorldOptions(defined);
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(`--${error.message}`);
    throw error;
  }
  refuseBeyondHeap(parameters, defined);
  return createWorld(defined);
}

/** At most this share of the heap limit for what the world keeps, leaving room for its peak. */
const WORLD_HEAP_SHARE = 0.5;

function refuseBeyondHeap(size: WorldParameters, options: WorldOptions): void {
  const needed = worldHeapBytes(size);
  const limit = getHeapStatistics().heap_size_limit;
  if (needed <= WORLD_HEAP_SHARE * limit) return;
  const named = [
    ...(options.users === undefined ? [] : [`--users ${options.users}`]),
    ...(options.blogs === undefined ? [] : [`--blogs ${options.blogs}`]),
  ];
  const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;
  throw new CommandFailedError(
    `${named.length > 0 ? named.join(' ') : `--preset ${options.preset ?? 'default'}`}: ` +
      `${formatCount(size.users)} users and ${formatCount(size.blogs)} blogs keep about ` +
      `${gb(needed)} of heap while the world is generated, and peak near twice that; ` +
      `this process may use ${gb(limit)}`,
    'lower --users or --blogs, or raise the heap limit: ' +
      `NODE_OPTIONS=--max-old-space-size=${Math.ceil((needed * 2.5) / 1e6)}`,
  );
}

/** How writing a world ended: every event written, the reader gone (`| head`), or Ctrl-C. */
export type WorldLinesEnding = 'complete' | 'reader-gone' | 'interrupted';

/**
 * Streams the world's events as JSON lines, waiting on the output so memory stays flat; a
 * reader that goes away (`| head`) ends the stream quietly, and `interrupt` stops it after the
 * chunk in hand. Says how many were written, and how it ended.
 */
export async function writeWorldLines(
  world: World,
  output: Output,
  stderr: Output,
  interrupt: AbortSignal,
): Promise<{ written: number; ending: WorldLinesEnding }> {
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
      if (chunk.length === 1000) {
        await write(output, `${chunk.join('\n')}\n`);
        written += chunk.length;
        chunk = [];
        const share = (event.atMs - windowStartMs) / (nowMs - windowStartMs);
        progress.update(Math.max(0, Math.min(100, Math.floor(share * 100))), { events: written });
        // A write to a file or a redirected stdout completes without a turn of the event loop,
        // so a SIGINT would never be heard: let it in once a chunk.
        await new Promise((resolve) => setImmediate(resolve));
        if (interrupt.aborted) return { written, ending: 'interrupted' };
      }
    }
    if (chunk.length > 0) await write(output, `${chunk.join('\n')}\n`);
    written += chunk.length;
    progress.update(100, { events: written });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
    return { written, ending: 'reader-gone' };
  } finally {
    output.off('error', ignore);
    progress.stop();
  }
  return { written, ending: 'complete' };
}
