import { Option, type Command } from '@commander-js/extra-typings';
import { WORLD_PRESET_NAMES, type WorldPresetName } from '@feedmesh/world';
import type { CliIo } from '../cli-io.js';
import { id, integerIn } from '../option-parsers.js';
import { DEFAULT_REDIS_URL, runPlayground } from '../playground-session.js';

export function registerUpCommand(program: Command, io: CliIo): void {
  program
    .command('up')
    .description(
      'the playground: every service, a generated world loaded, models trained, a feed printed',
    )
    .addOption(
      new Option('--world <preset>', 'the world to load, or none')
        .choices([...WORLD_PRESET_NAMES, 'none'] as const)
        .default('default' as const),
    )
    .option('--seed <n>', 'the world seed', integerIn(0, 2 ** 32 - 1), 1)
    .option(
      '--user <id>',
      'whose feed to print once ready (default: an active user of the world)',
      id,
    )
    .option(
      '--processes',
      `each service as its own process, meeting through Redis (REDIS_URL, default ${DEFAULT_REDIS_URL})`,
    )
    .option(
      '--port <n>',
      'gateway port (default: the port of GRPC_LISTEN, else 50051)',
      integerIn(0, 65_535),
    )
    .option('--reload', 'with Redis: publish the world even when the log already holds events')
    .action((options) =>
      runPlayground(
        {
          world: options.world === 'none' ? undefined : (options.world as WorldPresetName),
          seed: options.seed,
          user: options.user,
          processes: options.processes === true,
          port: options.port,
          reload: options.reload === true,
        },
        io,
      ),
    );
}
