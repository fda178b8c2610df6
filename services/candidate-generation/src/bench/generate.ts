/**
 * node --expose-gc --max-old-space-size=8192 services/candidate-generation/dist/bench/generate.js \
 *   [--preset large] [--requests 2000] [--max-candidates 1000] [--grpc] [--json]
 *   [--profile out.cpuprofile] [--heap-profile out.heapprofile]
 */
import { integerFlagOr, parseScriptArgs } from '@feedmesh/service-kit';
import { WORLD_PRESET_NAMES, type WorldPresetName } from '@feedmesh/world';
import { runGenerateBench } from './generate-bench.js';

const values = parseScriptArgs(
  `generate.js [--preset large] [--seed 1] [--requests 2000] [--max-candidates 1000]
  [--factors 32] [--iterations 8] [--grpc] [--json] [--profile out.cpuprofile]
  [--heap-profile out.heapprofile]`,
  {
    preset: { type: 'string', default: 'large' },
    seed: { type: 'string' },
    requests: { type: 'string' },
    'max-candidates': { type: 'string' },
    factors: { type: 'string' },
    iterations: { type: 'string' },
    profile: { type: 'string' },
    'heap-profile': { type: 'string' },
    grpc: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
);
if (!WORLD_PRESET_NAMES.includes(values.preset as WorldPresetName)) {
  process.stderr.write(`--preset: expected one of ${WORLD_PRESET_NAMES.join(', ')}\n`);
  process.exit(2);
}

const report = await runGenerateBench({
  preset: values.preset as WorldPresetName,
  seed: integerFlagOr('seed', values.seed, 1, 0),
  requests: integerFlagOr('requests', values.requests, 2_000),
  maxCandidates: integerFlagOr('max-candidates', values['max-candidates'], 1_000),
  factors: integerFlagOr('factors', values.factors, 32),
  iterations: integerFlagOr('iterations', values.iterations, 8),
  ...(values.profile ? { profile: values.profile } : {}),
  ...(values['heap-profile'] ? { heapProfile: values['heap-profile'] } : {}),
  grpc: values.grpc,
  progress: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(
  values.json ? `${JSON.stringify(report)}\n` : `${JSON.stringify(report, null, 2)}\n`,
);
