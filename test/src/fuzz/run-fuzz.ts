/**
 * The full fuzz run, outside mocha:
 *
 *   node test/dist/fuzz/run-fuzz.js --per-rpc 10000 [--concurrency 32] [--seed 1] [--json]
 *   node test/dist/fuzz/run-fuzz.js --replay /feedmesh.ranker.v1.RankerService/Rank#123 [--seed 1]
 *
 * Prints a table (or the FuzzReport as JSON with --json); exits 1 when a service exited, an
 * outcome was unclear, calls hung (DEADLINE_EXCEEDED >= 0.1%) or a valid request failed
 * afterwards. --replay prints one input of a run, base64, to send again by hand.
 */
import { parseArgs } from 'node:util';
import { CLEAR_OUTCOMES, fuzzInput, runFuzz, type FuzzReport } from './fuzz-run.js';
import { UNDECODABLE } from './raw-client.js';

const { values } = parseArgs({
  options: {
    'per-rpc': { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '32' },
    seed: { type: 'string', default: '1' },
    'huge-per-rpc': { type: 'string' },
    'max-message-bytes': { type: 'string', default: String(16 * 1024 * 1024) },
    json: { type: 'boolean', default: false },
    replay: { type: 'string' },
  },
});
const perRpc = Number(values['per-rpc']);
const seed = Number(values.seed);
const maxMessageBytes = Number(values['max-message-bytes']);
const hugePerRpc =
  values['huge-per-rpc'] === undefined
    ? Math.max(2, Math.round(perRpc / 1_000))
    : Number(values['huge-per-rpc']);

if (values.replay) {
  const [path, index] = values.replay.split('#');
  const input = fuzzInput({ seed, hugePerRpc, maxMessageBytes }, path!, Number(index));
  process.stdout.write(
    `${JSON.stringify({ generator: input.generator, bytes: input.bytes.length, base64: Buffer.from(input.bytes).toString('base64') })}\n`,
  );
  process.exit(0);
}

const report = await runFuzz({
  perRpc,
  hugePerRpc,
  seed,
  concurrency: Number(values.concurrency),
  maxMessageBytes,
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
process.exit(problems(report).length === 0 ? 0 : 1);

/** What the run's assertions would fail on. */
function problems(report: FuzzReport): string[] {
  const found: string[] = [...report.exited];
  for (const rpc of report.rpcs) {
    const deadlines = rpc.outcomes.DEADLINE_EXCEEDED ?? 0;
    if (deadlines / rpc.calls >= 0.001) found.push(`${rpc.rpc}: ${deadlines} DEADLINE_EXCEEDED`);
    for (const [outcome, n] of Object.entries(rpc.outcomes)) {
      if (!CLEAR_OUTCOMES.has(outcome) && outcome !== 'DEADLINE_EXCEEDED')
        found.push(`${rpc.rpc}: ${n} ${outcome}`);
    }
  }
  for (const check of report.afterwards)
    if (!check.ok) found.push(`afterwards ${check.rpc}: ${check.detail}`);
  return found;
}

function formatReport(report: FuzzReport): string {
  const lines = [
    `${report.calls} calls (${report.perRpc} per RPC, ${report.hugePerRpc} near ${report.maxMessageBytes} bytes) in ${(report.wallMs / 1000).toFixed(1)} s, ${report.concurrency} in flight, seed ${report.seed}; the fuzzer's longest stall ${report.fuzzerMaxStallMs} ms`,
  ];
  for (const rpc of report.rpcs) {
    const outcomes = Object.entries(rpc.outcomes)
      .sort(([, a], [, b]) => b - a)
      .map(([o, n]) => `${o} ${n}`)
      .join(', ');
    const slowestHuge = Math.max(0, ...rpc.huge.map((h) => h.latencyMs));
    lines.push(
      `  ${rpc.rpc.padEnd(44)} ${String(rpc.calls).padStart(6)}  p50 ${rpc.p50LatencyMs} ms, p99 ${rpc.p99LatencyMs} ms, max ${rpc.maxLatencyMs} ms (huge: max ${slowestHuge} ms)  ${outcomes}`,
    );
    for (const sample of rpc.samples.filter((s) => s.outcome !== UNDECODABLE)) {
      lines.push(
        `      ${sample.outcome} (${sample.generator} #${sample.index}, ${sample.bytes} bytes): ${sample.details}`,
      );
    }
  }
  lines.push(`services exited: ${report.exited.length === 0 ? 'none' : report.exited.join('; ')}`);
  const failed = report.afterwards.filter((c) => !c.ok);
  lines.push(
    `valid requests afterwards: ${report.afterwards.length - failed.length}/${report.afterwards.length} answered correctly` +
      failed.map((c) => `\n      ${c.rpc}: ${c.detail}`).join(''),
  );
  lines.push(`dead letters by group: ${JSON.stringify(report.deadLetters)}`);
  const found = problems(report);
  lines.push(found.length === 0 ? 'no problem found' : `problems:\n  ${found.join('\n  ')}`);
  return `${lines.join('\n')}\n`;
}
