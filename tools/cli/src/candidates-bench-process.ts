import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { GenerateBenchReport } from '@feedmesh/candidate-generation';
import { SERVICE_NODE_FLAGS } from '@feedmesh/playground';
import type { WorldPresetName } from '@feedmesh/world';
import { CommandFailedError } from './cli-errors.js';

/**
 * Flags of the measuring process beyond the service's own: `gc()` for the heap figures, and
 * room for what the service never holds, the generated world and the embeddings' training.
 */
const CANDIDATES_BENCH_NODE_FLAGS: readonly string[] = ['--expose-gc', '--max-old-space-size=8192'];

export interface CandidatesBenchProcessOptions {
  readonly preset: WorldPresetName;
  readonly seed: number;
  readonly requests: number;
  readonly maxCandidates: number;
  readonly factors: number;
  readonly grpc: boolean;
  readonly profile?: string;
  /** Node flags after the service's and the benchmark's own, so they win (e.g. --trace-gc). */
  readonly nodeFlags?: readonly string[];
  /** The process's progress and diagnostics, a line at a time. */
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
}

/** The node flags `runCandidatesBenchProcess` starts the measuring process with, in order. */
function candidatesBenchNodeFlags(extra: readonly string[] = []): string[] {
  return [...SERVICE_NODE_FLAGS['candidate-generation'], ...CANDIDATES_BENCH_NODE_FLAGS, ...extra];
}

/**
 * Runs candidate generation's benchmark (its `bench/generate.js`) in a process of its own
 * with the V8 flags the service is deployed with, and returns its report. In the CLI's own
 * process the young generation and the allocation-site pretenuring would be Node's defaults,
 * and the figures those of a service nobody runs.
 */
export async function runCandidatesBenchProcess(
  options: CandidatesBenchProcessOptions,
): Promise<GenerateBenchReport> {
  const script = fileURLToPath(
    new URL('./bench/generate.js', import.meta.resolve('@feedmesh/candidate-generation')),
  );
  const flags = candidatesBenchNodeFlags(options.nodeFlags);
  // The gRPC caller plays the gateway, so it runs with the gateway's flags.
  const callerFlags = SERVICE_NODE_FLAGS['feed-gateway'];
  const args = [
    ...flags,
    script,
    ...['--preset', options.preset, '--seed', String(options.seed)],
    ...['--requests', String(options.requests)],
    ...['--max-candidates', String(options.maxCandidates)],
    ...['--factors', String(options.factors)],
    ...(options.grpc ? ['--grpc', `--caller-node-flags=${callerFlags.join(' ')}`] : []),
    ...(options.profile === undefined ? [] : ['--profile', options.profile]),
    '--json',
  ];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', options.log);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve, reject) => {
      child.once('error', (error) => {
        if (options.signal?.aborted) resolve({ code: null, signal: 'SIGTERM' });
        else reject(error);
      });
      child.once('close', (code, signal) => resolve({ code, signal }));
    },
  );
  if (options.signal?.aborted) {
    throw new CommandFailedError('interrupted; the benchmark stopped before its report');
  }
  if (exit.code !== 0) {
    throw new CommandFailedError(
      `the benchmark process exited (${exit.signal ?? `code ${exit.code}`}); its output is above`,
      `it ran: node ${flags.join(' ')} ${script} …`,
    );
  }
  try {
    return JSON.parse(stdout) as GenerateBenchReport;
  } catch {
    throw new CommandFailedError(
      `the benchmark process printed no report (${stdout.length} bytes on stdout, not JSON)`,
    );
  }
}
