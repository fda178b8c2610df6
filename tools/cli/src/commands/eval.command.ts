import type { Command } from '@commander-js/extra-typings';
import { runCranfieldEval } from '@feedmesh/search';
import type { CliIo } from '../cli-io.js';
import { fixed, printReport } from './report-output.js';

/** `feedmesh eval <what>`: offline evaluations on the data sets in ../shared/data. */
export function registerEvalCommand(program: Command, io: CliIo): void {
  const evaluate = program
    .command('eval')
    .description('offline evaluations (../shared/data/README.md)');

  evaluate
    .command('search')
    .description(
      'index Cranfield through the real search engine, run its 225 queries, score the run',
    )
    .requiredOption('--cranfield <dir>', 'the Cranfield folder (cran.all.1400, cran.qry, cranqrel)')
    .option('--run <file>', 'write the run: query_number<TAB>doc_id per line, in rank order')
    .option('--no-feedback', 'plain BM25F, without RM3 pseudo-relevance feedback')
    .option('--json', 'print the whole report as JSON')
    .action(async (options) => {
      const report = await runCranfieldEval({
        dir: options.cranfield,
        runPath: options.run,
        feedback: options.feedback,
      });
      await printReport(io, report, options, () => [
        `Cranfield: ${report.documents} documents, ${report.queries} queries` +
          ` (feedback ${report.settings.feedback ? 'on' : 'off'})`,
        `MAP      ${fixed(report.map)}   (Xapian BM25 0.3005)`,
        `P@10     ${fixed(report.precisionAt10)}   (Xapian BM25 0.2324)`,
        `nDCG@10  ${fixed(report.ndcgAt10)}   (Xapian BM25 0.3527)`,
        ...(report.runPath ? [`run written to ${report.runPath}`] : []),
      ]);
    });
}
