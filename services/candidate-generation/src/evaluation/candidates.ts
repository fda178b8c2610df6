/**
 * node services/candidate-generation/dist/evaluation/candidates.js --train train.csv \
 *   --test test.csv [--movies movies.csv] [--users N] [--json]
 * node services/candidate-generation/dist/evaluation/candidates.js \
 *   --data-dir ../shared/data/ml-latest-small [--seed 42] [--json]
 */
import { choiceFlag, integerFlag, numberFlag, parseScriptArgs } from '@feedmesh/service-kit';
import { ASK_AT, runCandidateEval } from './candidate-eval.js';
import { parseSourceWeights } from './union-weights.js';

const USAGE =
  'candidates.js (--train train.csv --test test.csv | --data-dir ml-latest-small [--seed 42])\n' +
  '  [--movies movies.csv] [--users N] [--weights source=w,...] [--lists lists.jsonl]\n' +
  '  [--source-depth 1] [--union-per-k] [--ask-at end|last-activity] [--json]';
const values = parseScriptArgs(USAGE, {
  train: { type: 'string' },
  test: { type: 'string' },
  'data-dir': { type: 'string' },
  seed: { type: 'string' },
  movies: { type: 'string' },
  users: { type: 'string' },
  weights: { type: 'string' },
  lists: { type: 'string' },
  'source-depth': { type: 'string' },
  'ask-at': { type: 'string' },
  'union-per-k': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
});
if (!(values.train && values.test) && !values['data-dir']) {
  process.stderr.write(`usage: ${USAGE}\n`);
  process.exit(2);
}
const seed = integerFlag('seed', values.seed, 0);
const users = integerFlag('users', values.users);
const sourceDepth = numberFlag('source-depth', values['source-depth'], 1);
const askAt = choiceFlag('ask-at', values['ask-at'], ASK_AT);
const report = await runCandidateEval({
  ...(values.train ? { train: values.train } : {}),
  ...(values.test ? { test: values.test } : {}),
  ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
  ...(seed === undefined ? {} : { seed }),
  ...(values.movies ? { movies: values.movies } : {}),
  ...(users === undefined ? {} : { users }),
  // --lists out.jsonl: each test user's list from every source alone, and their test items.
  ...(values.lists ? { listsPath: values.lists } : {}),
  // --source-depth 2: the union at K asks every source for 2K candidates before its cut.
  ...(sourceDepth === undefined ? {} : { sourceDepth }),
  // --ask-at last-activity: each user as of their last training rating (needs movie titles).
  ...(askAt === undefined ? {} : { askAt }),
  // --union-per-k: the union asked once per K, as measured before 2026-11-27.
  unionPerK: values['union-per-k'],
  // --weights popular=0.2,tags=0.1: fusion weights of the union (default: the FOR_YOU ones).
  ...(values.weights ? { weights: weightsFlag(values.weights) } : {}),
  progress: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${JSON.stringify(report, null, values.json ? undefined : 2)}\n`);

/** `--weights session=2,popular=0.2`; a wrong name or number prints what is wrong, exit 2. */
function weightsFlag(raw: string): Record<string, number> {
  try {
    return parseSourceWeights(raw);
  } catch (error) {
    process.stderr.write(`--${(error as Error).message}\n`);
    return process.exit(2);
  }
}
