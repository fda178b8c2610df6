/**
 * node services/candidate-generation/dist/evaluation/split.js --ratings ratings.csv \
 *   --out-dir dir [--seed 42] [--protocol random|temporal]
 */
import { parseArgs } from 'node:util';
import { splitRatings, type SplitProtocol } from '@feedmesh/evaluation';

const { values } = parseArgs({
  options: {
    ratings: { type: 'string' },
    'out-dir': { type: 'string' },
    seed: { type: 'string', default: '42' },
    protocol: { type: 'string', default: 'random' },
  },
});
if (!values.ratings || !values['out-dir'] || !['random', 'temporal'].includes(values.protocol)) {
  process.stderr.write(
    'usage: split.js --ratings ratings.csv --out-dir dir [--seed N] [--protocol random|temporal]\n',
  );
  process.exit(2);
}
const report = await splitRatings({
  ratings: values.ratings,
  outDir: values['out-dir'],
  seed: Number(values.seed),
  protocol: values.protocol as SplitProtocol,
});
process.stdout.write(`${JSON.stringify(report)}\n`);
