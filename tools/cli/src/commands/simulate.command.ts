import { Option, type Command } from '@commander-js/extra-typings';
import {
  runSimulation,
  simulateInProcess,
  type DayProgress,
  type SimulationSummary,
} from '@feedmesh/simulator';
import { createWorld, resolveWorldOptions, type WorldPresetName } from '@feedmesh/world';
import { UsageError } from '../cli-errors.js';
import { write, type CliIo } from '../cli-io.js';
import { confirmGatewayAnswers, withGateway } from '../gateway-client.js';
import { address, existingFile, integerIn } from '../option-parsers.js';
import { printReport } from './report-output.js';

/**
 * `feedmesh simulate`: synthetic users with hidden interests read feeds through the gateway and
 * publish what they do. Without --addr it runs its own mesh on simulated time.
 */
export function registerSimulateCommand(program: Command, io: CliIo): void {
  program
    .command('simulate')
    .description(
      'synthetic users read feeds through the real gateway and engage, hide, follow and return ' +
        'or lapse by how satisfied they are; without --addr, on a mesh of its own',
    )
    .option(
      '--addr <host:port>',
      'a running gateway (its world must be --world, --world-seed)',
      address,
    )
    .option(
      '--users <n>',
      'simulated users (a seeded sample of the world’s)',
      integerIn(1, 1_000_000),
      200,
    )
    .option('--days <n>', 'simulated days', integerIn(1, 365), 7)
    .option('--seed <n>', 'the simulation’s seed', integerIn(0, 2 ** 32 - 1), 1)
    .addOption(
      new Option('--world <preset>', 'the generated world the users come from')
        .choices(['small', 'default', 'medium', 'large'] as const)
        .default('default' as const),
    )
    .option(
      '--world-seed <n>',
      'the world’s seed (the playground uses 1)',
      integerIn(0, 2 ** 32 - 1),
      1,
    )
    .option(
      '--experiments <file>',
      'experiment config for the mesh it starts (no --addr)',
      existingFile,
    )
    .option('--no-train', 'keep the ranker’s built-in heuristic (no --addr)')
    .option('--json', 'print the whole summary as JSON')
    .action(async (options) => {
      const onDay = (day: number, progress: DayProgress) =>
        void write(
          io.stderr,
          `day ${day + 1} of ${options.days}: ${progress.activeUsers} active users,` +
            ` ${progress.sessions} sessions, ${progress.engagements} items engaged with so far\n`,
        );
      const preset: WorldPresetName = options.world;
      // The users are a sample of the world's: more than it has is refused now, not after
      // the world is loaded and a model trained.
      const worldUsers = resolveWorldOptions({ preset, seed: options.worldSeed }).users;
      if (options.users > worldUsers) {
        throw new UsageError(
          `--users ${options.users}: the ${preset} world has ${worldUsers} users; ` +
            'ask for at most that many, or pick a larger --world',
        );
      }
      let summary: SimulationSummary;
      if (options.addr) {
        if (options.experiments) {
          await write(
            io.stderr,
            'note: --experiments applies to the mesh simulate starts; ignored with --addr\n',
          );
        }
        if (!options.train) {
          await write(
            io.stderr,
            'note: --no-train applies to the mesh simulate starts; ignored with --addr\n',
          );
        }
        const world = createWorld({ preset, seed: options.worldSeed }).truth;
        // The run counts each failed call and carries on, so a wrong address would end in a
        // report of nobody doing anything, exit 0: ask once first.
        await withGateway(options.addr, (client) =>
          confirmGatewayAnswers(client, world.users[0]?.id),
        );
        summary = await runSimulation({
          gatewayAddress: options.addr,
          ...(io.env['FEEDMESH_TOKEN'] ? { token: io.env['FEEDMESH_TOKEN'] } : {}),
          world,
          users: options.users,
          days: options.days,
          seed: options.seed,
          onDay,
        });
      } else {
        const report = await simulateInProcess({
          preset,
          worldSeed: options.worldSeed,
          users: options.users,
          days: options.days,
          seed: options.seed,
          train: options.train,
          onDay,
          ...(options.experiments ? { env: { EXPERIMENTS_FILE: options.experiments } } : {}),
        });
        summary = report.summary;
      }
      await printReport(io, summary, options, () => [
        `${summary.users} users over ${summary.days} ${summary.days === 1 ? 'day' : 'days'}: ${summary.sessions} sessions,` +
          ` ${summary.impressions} impressions, ${summary.engagements.total} engagements (likes, reblogs, replies)` +
          ` (${summary.engagements.perImpression.toFixed(3)} per impression), ${summary.hides} hides`,
        `new creators: ${(summary.newCreators.impressionShare * 100).toFixed(1)}% of impressions,` +
          ` ${(summary.newCreators.engagementShare * 100).toFixed(1)}% of engagement`,
        `satisfaction mean ${summary.satisfaction.mean.toFixed(2)}; active by day` +
          ` ${summary.retention.activeByDay.join(' ')}; lapsed ${summary.retention.lapsedAtEnd},` +
          ` reactivated ${summary.retention.reactivated}`,
        `events accepted ${summary.published.accepted} of ${summary.published.sent}` +
          (summary.feedErrors > 0 ? `; ${summary.feedErrors} feed calls failed` : ''),
        ...(summary.published.firstRejection === undefined
          ? []
          : [`first rejected batch: ${summary.published.firstRejection}`]),
      ]);
    });
}
