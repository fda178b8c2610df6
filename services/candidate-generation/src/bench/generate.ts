/**
 * node --expose-gc --max-old-space-size=8192 services/candidate-generation/dist/bench/generate.js \
 *   [--preset large] [--requests 2000] [--max-candidates 1000] [--grpc] [--json]
 *   [--profile out.cpuprofile] [--heap-profile out.heapprofile]
 */
import { parseArgs } from 'node:util';
import type { WorldPresetName } from '@feedmesh/world';
import { runGenerateBench } from './generate-bench.js';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'large' },
    seed: { type: 'string', default: '1' },
    requests: { type: 'string', default: '2000' },
    'max-candidates': { type: 'string', default: '1000' },
    factors: { type: 'string', default: '32' },
    iterations: { type: 'string', default: '8' },
    profile: { type: 'string' },
    'heap-profile': { type: 'string' },
    grpc: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

const report = await runGenerateBench({
  preset: values.preset as WorldPresetName,
  seed: Number(values.seed),
  requests: Number(values.requests),
  maxCandidates: Number(values['max-candidates']),
  factors: Number(values.factors),
  iterations: Number(values.iterations),
  ...(values.profile ? { profile: values.profile } : {}),
  ...(values['heap-profile'] ? { heapProfile: values['heap-profile'] } : {}),
  grpc: values.grpc,
  progress: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(
  values.json ? `${JSON.stringify(report)}\n` : `${JSON.stringify(report, null, 2)}\n`,
);
