import { Command, CommanderError } from '@commander-js/extra-typings';
import { CommandFailedError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from './cli-errors.js';
import type { CliIo } from './cli-io.js';
import { registerBenchCommand } from './commands/bench.command.js';
import { registerDataCommand } from './commands/data.command.js';
import { registerEvalCommand } from './commands/eval.command.js';
import { registerEventsCommand } from './commands/events.command.js';
import { registerExperimentCommand } from './commands/experiment.command.js';
import { registerFeaturesCommand } from './commands/features.command.js';
import { registerFeedCommand } from './commands/feed.command.js';
import { registerNotificationsCommand } from './commands/notifications.command.js';
import { registerProfileCommand } from './commands/profile.command.js';
import { registerPublishCommand } from './commands/publish.command.js';
import { registerSearchCommand } from './commands/search.command.js';
import { registerSimulateCommand } from './commands/simulate.command.js';
import { registerUpCommand } from './commands/up.command.js';
import { registerWorldCommand } from './commands/world.command.js';

const USAGE_HINT = '(see `npm run feedmesh -- --help`, or `<command> --help`)';

/** The `feedmesh` command tree, writing through `io` rather than to the process. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('feedmesh')
    .description('Feedmesh from the command line: the playground, data loading, feeds, search')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError(USAGE_HINT)
    // Commander would call process.exit; throwing lets runCli choose the exit code.
    .exitOverride();
  registerUpCommand(program, io);
  registerWorldCommand(program, io);
  registerPublishCommand(program, io);
  registerFeedCommand(program, io);
  registerSearchCommand(program, io);
  registerNotificationsCommand(program, io);
  registerFeaturesCommand(program, io);
  registerProfileCommand(program, io);
  registerDataCommand(program, io);
  registerEvalCommand(program, io);
  registerBenchCommand(program, io);
  registerExperimentCommand(program, io);
  registerEventsCommand(program, io);
  registerSimulateCommand(program, io);
  return program;
}

/**
 * Runs one command line and returns the exit code: 0 done, 1 failed (a gRPC error, a bad
 * input line: `error: <STATUS>: <details>`, never a stack trace), 2 the command line is wrong.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Already printed by commander. Help and --version exit 0; a bare `feedmesh` prints
      // help as an error, which is a usage error too.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      io.stderr.write(`error: ${error.message}\n${USAGE_HINT}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof CommandFailedError) {
      io.stderr.write(`error: ${error.message}\n`);
      if (error.hint !== undefined) io.stderr.write(`hint: ${error.hint}\n`);
      return EXIT_FAILED;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`error: ${message}\n`);
    if (io.env['FEEDMESH_DEBUG'] && error instanceof Error) io.stderr.write(`${error.stack}\n`);
    return EXIT_FAILED;
  }
}
