/**
 * Runs the Cranfield evaluation and prints MAP, P@10 and nDCG@10:
 *   node services/search/dist/eval/cranfield.js --cranfield ../shared/data/cranfield \
 *     [--run run.tsv] [--no-feedback] [--json]
 */
import { InvalidArgumentError } from '@feedmesh/errors';
import { parseScriptArgs } from '@feedmesh/service-kit';
import { runCranfieldEval } from './cranfield-eval.js';

const values = parseScriptArgs(
  'node services/search/dist/eval/cranfield.js [--cranfield ../shared/data/cranfield] [--run run.tsv] [--no-feedback] [--json]',
  {
    cranfield: { type: 'string', default: '../shared/data/cranfield' },
    run: { type: 'string' },
    'no-feedback': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
);

const report = await runCranfieldEval({
  dir: values.cranfield,
  ...(values.run === undefined ? {} : { runPath: values.run }),
  feedback: !values['no-feedback'],
}).catch((error: unknown) => {
  // A path that cannot be read or written: named by its flag, without a stack trace.
  if (!(error instanceof InvalidArgumentError)) throw error;
  process.stderr.write(`--${error.message}\n`);
  return process.exit(2);
});
if (values.json) {
  const { scores, ...summary } = report;
  console.log(JSON.stringify({ ...summary, perQuery: scores.perQuery }, null, 2));
} else {
  const f = (n: number) => n.toFixed(4);
  console.log(
    `Cranfield: ${report.documents} documents, ${report.queries} queries ` +
      `(k1 ${report.settings.k1}, b ${report.settings.b}, ` +
      `${report.settings.feedback === undefined ? 'no feedback' : 'RM3 10/10/0.5'})`,
  );
  console.log(`MAP      ${f(report.map)}   (Xapian BM25 0.3005)`);
  console.log(`P@10     ${f(report.precisionAt10)}   (Xapian BM25 0.2324)`);
  console.log(`nDCG@10  ${f(report.ndcgAt10)}   (Xapian BM25 0.3527)`);
  console.log(
    `indexed in ${report.indexMs.toFixed(0)} ms, searched in ${report.searchMs.toFixed(0)} ms`,
  );
  if (report.runPath !== undefined) console.log(`run written to ${report.runPath}`);
}
