import { Option, type Command } from '@commander-js/extra-typings';
import { splitRatings, type SplitProtocol } from '@feedmesh/evaluation';
import { makeDirectory } from '@feedmesh/service-kit';
import { CommandFailedError } from '../cli-errors.js';
import type { CliIo } from '../cli-io.js';
import { existingFile, integerIn, outputDir } from '../option-parsers.js';
import { printReport } from './report-output.js';

/** `feedmesh data <what>`: prepares evaluation data (../shared/data/README.md). */
export function registerDataCommand(program: Command, io: CliIo): void {
  const data = program.command('data').description('prepare evaluation data sets');

  data
    .command('split')
    .description(
      "split a ratings CSV into train.csv and test.csv: 'random' keeps 75% of each user's " +
        "ratings for training (the README's protocol), 'temporal' each user's first 80% by time",
    )
    .requiredOption(
      '--ratings <file>',
      'ratings CSV (MovieLens ratings.csv or this project’s)',
      existingFile,
    )
    .requiredOption('--out <dir>', 'where train.csv and test.csv are written', outputDir)
    .addOption(
      new Option('--protocol <name>', 'how to split')
        .choices(['random', 'temporal'] as const satisfies readonly SplitProtocol[])
        .default('random' as const),
    )
    .option('--seed <n>', 'shuffle seed of the random split', integerIn(0, 2 ** 32 - 1), 42)
    .option('--json', 'print the report as JSON')
    .action(async (options) => {
      // Before splitRatings' own recursive mkdir, which spins forever under /proc.
      await makeDirectory(options.out).catch((error: Error) => {
        throw new CommandFailedError(`--out ${options.out}: cannot create it: ${error.message}`);
      });
      const report = await splitRatings({
        ratings: options.ratings,
        outDir: options.out,
        protocol: options.protocol,
        seed: options.seed,
      });
      await printReport(io, report, options, () => [
        `${report.protocol} split${report.protocol === 'random' ? ` (seed ${report.seed})` : ''} of ${report.users} users:` +
          ` ${report.train} training ratings, ${report.test} test ratings`,
        `train: ${report.trainPath}`,
        `test:  ${report.testPath}`,
      ]);
    });
}
