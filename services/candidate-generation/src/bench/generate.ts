/**
 * node --expose-gc --max-old-space-size=8192 services/candidate-generation/dist/bench/generate.js \
 *   [--preset large] [--requests 2000] [--max-candidates 1000] [--grpc] [--json]
 *   [--profile out.cpuprofile] [--heap-profile out.heapprofile]
 */
import { choiceFlag, integerFlagOr, parseScriptArgs } from '@feedmesh/service-kit';
import { WORLD_PRESET_NAMES } from '@feedmesh/world';
import { runGenerateBench } from './generate-bench.js';

const values = parseScriptArgs(
  `generate.js [--preset large] [--seed 1] [--requests 2000] [--max-candidates 1000]
  [--factors 32] [--iterations 8] [--grpc] [--json] [--profile out.cpuprofile]
  [--heap-profile out.heapprofile] [--caller-node-flags=--max-semi-space-size=64]`,
  {
    preset: { type: 'string' },
    seed: { type: 'string' },
    requests: { type: 'string' },
    'max-candidates': { type: 'string' },
    factors: { type: 'string' },
    iterations: { type: 'string' },
    profile: { type: 'string' },
    'heap-profile': { type: 'string' },
    'caller-node-flags': { type: 'string' },
    grpc: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
);
const preset = choiceFlag('preset', values.preset, WORLD_PRESET_NAMES) ?? 'large';

const report = await runGenerateBench({
  preset,
  seed: integerFlagOr('seed', values.seed, 1, 0),
  requests: integerFlagOr('requests', values.requests, 2_000),
  maxCandidates: integerFlagOr('max-candidates', values['max-candidates'], 1_000),
  // 0: no embeddings source, as runGenerateBench and the CLI take it.
  factors: integerFlagOr('factors', values.factors, 32, 0),
  iterations: integerFlagOr('iterations', values.iterations, 8),
  ...(values.profile ? { profile: values.profile } : {}),
  ...(values['heap-profile'] ? { heapProfile: values['heap-profile'] } : {}),
  grpc: values.grpc,
  // The gRPC caller plays the gateway: `bench candidates` gives it the gateway's flags.
  ...(values['caller-node-flags']
    ? { callerNodeFlags: values['caller-node-flags'].split(/\s+/).filter(Boolean) }
    : {}),
  progress: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(
  values.json ? `${JSON.stringify(report)}\n` : `${JSON.stringify(report, null, 2)}\n`,
);
