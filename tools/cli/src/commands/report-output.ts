import { write, type CliIo } from '../cli-io.js';

/**
 * Evaluations and benchmarks print either their whole report as JSON (`--json`, for
 * machines and notes) or a few readable lines a person can compare against a target.
 */
export async function printReport(
  io: CliIo,
  report: unknown,
  options: { json?: boolean | undefined },
  summary: () => readonly string[],
): Promise<void> {
  const text = options.json ? `${JSON.stringify(report, null, 2)}\n` : `${summary().join('\n')}\n`;
  await write(io.stdout, text);
}

export const fixed = (value: number, digits = 4): string => value.toFixed(digits);
export const ms = (value: number): string => `${value.toFixed(2)} ms`;
