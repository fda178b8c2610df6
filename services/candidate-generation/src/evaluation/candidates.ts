/**
 * node services/candidate-generation/dist/evaluation/candidates.js --train train.csv \
 *   --test test.csv [--movies movies.csv] [--users N] [--json]
 * node services/candidate-generation/dist/evaluation/candidates.js \
 *   --data-dir ../shared/data/ml-latest-small [--seed 42] [--json]
 */
import { parseArgs } from 'node:util';
import { runCandidateEval } from './candidate-eval.js';

const { values } = parseArgs({
  options: {
    train: { type: 'string' },
    test: { type: 'string' },
    'data-dir': { type: 'string' },
    seed: { type: 'string' },
    movies: { type: 'string' },
    users: { type: 'string' },
    weights: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
if (!(values.train && values.test) && !values['data-dir']) {
  process.stderr.write(
    'usage: candidates.js (--train train.csv --test test.csv | --data-dir ml-latest-small [--seed 42])\n' +
      '  [--movies movies.csv] [--users N] [--weights source=w,...] [--json]\n',
  );
  process.exit(2);
}
const report = await runCandidateEval({
  ...(values.train ? { train: values.train } : {}),
  ...(values.test ? { test: values.test } : {}),
  ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
  ...(values.seed ? { seed: Number(values.seed) } : {}),
  ...(values.movies ? { movies: values.movies } : {}),
  ...(values.users ? { users: Number(values.users) } : {}),
  // --weights popular=0.2,tags=0.1: fusion weights of the union (default: the FOR_YOU ones).
  ...(values.weights
    ? {
        weights: Object.fromEntries(
          values.weights.split(',').map((pair) => {
            const [name, weight] = pair.split('=');
            return [name!, Number(weight)];
          }),
        ),
      }
    : {}),
  progress: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${JSON.stringify(report, null, values.json ? undefined : 2)}\n`);
