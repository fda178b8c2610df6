/**
 * node services/candidate-generation/dist/evaluation/split.js --ratings ratings.csv \
 *   --out-dir dir [--seed 42] [--protocol random|temporal]
 */
import { splitRatings, type SplitProtocol } from '@feedmesh/evaluation';
import { choiceFlag, integerFlagOr, makeDirectory, parseScriptArgs } from '@feedmesh/service-kit';

const USAGE =
  'split.js --ratings ratings.csv --out-dir dir [--seed 42] [--protocol random|temporal]';
const values = parseScriptArgs(USAGE, {
  ratings: { type: 'string' },
  'out-dir': { type: 'string' },
  seed: { type: 'string' },
  protocol: { type: 'string' },
});
const protocol = choiceFlag('protocol', values.protocol, ['random', 'temporal'] as const);
if (!values.ratings || !values['out-dir']) {
  process.stderr.write(`usage: ${USAGE}\n`);
  process.exit(2);
}
// mkdir -p that settles under /proc too; splitRatings makes only the last level.
await makeDirectory(values['out-dir']);
const report = await splitRatings({
  ratings: values.ratings,
  outDir: values['out-dir'],
  seed: integerFlagOr('seed', values.seed, 42, 0),
  protocol: (protocol ?? 'random') satisfies SplitProtocol,
});
process.stdout.write(`${JSON.stringify(report)}\n`);
