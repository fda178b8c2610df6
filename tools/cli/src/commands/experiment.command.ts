import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from '@commander-js/extra-typings';
import type { eventsv1 } from '@feedmesh/contracts';
import {
  experimentReportFromEvents,
  parseExperimentsConfig,
  renderExperimentReportHtml,
  type ExperimentReport,
} from '@feedmesh/experiments';
import { UsageError } from '../cli-errors.js';
import { write, type CliIo } from '../cli-io.js';
import { readEventLines } from '../event-lines.js';
import { existingFile, instant, outputFile } from '../option-parsers.js';
import { openDeploymentRuntime } from './events.command.js';
import { printReport } from './report-output.js';

/** `feedmesh experiment report <id>`: an experiment's success metrics, from the event log. */
export function registerExperimentCommand(program: Command, io: CliIo): void {
  const experiment = program.command('experiment').description('online experiments');

  experiment
    .command('report')
    .description(
      'per variant: the success metrics from the event log, the difference from control with ' +
        'its interval and p-value, the lift in percent with its interval, CUPED, the ' +
        'always-valid sequential p-value, the SRM check',
    )
    .argument('<id>', 'the experiment key')
    .requiredOption(
      '--config <file>',
      'the experiment config (what the gateway runs)',
      existingFile,
    )
    .option(
      '--events <file.jsonl>',
      'read the events from JSON lines instead of the deployment’s log (REDIS_URL, REDIS_PREFIX)',
      existingFile,
    )
    .option(
      '--start <time>',
      'window start (default: the config’s startAt, else first exposure)',
      instant,
    )
    .option(
      '--end <time>',
      'window end (default: the config’s endAt, else the last event)',
      instant,
    )
    .option(
      '--html <file>',
      'also write the report as a self-contained HTML page with charts',
      outputFile,
    )
    .option('--json', 'print the whole report as JSON')
    .action(async (id, options) => {
      if (
        options.start !== undefined &&
        options.end !== undefined &&
        options.end <= options.start
      ) {
        throw new UsageError(
          `--start (${new Date(options.start).toISOString()}) must be before --end ` +
            `(${new Date(options.end).toISOString()})`,
        );
      }
      const config = parseExperimentsConfig(await readFile(options.config, 'utf8'), options.config);
      const fromFile = options.events;
      // Without REDIS_URL the runtime's log is an empty one in memory: the experiment would
      // seem to have no exposure.
      const runtime = fromFile
        ? undefined
        : await openDeploymentRuntime(io, {
            name: 'experiment-report',
            unset:
              'experiment report reads the deployment’s event log: set REDIS_URL (and ' +
              'REDIS_PREFIX), or pass --events FILE',
          });
      try {
        const report = await experimentReportFromEvents({
          events: fromFile ? () => eventsFrom(fromFile) : () => runtime!.eventLog.history(),
          config,
          experiment: id,
          windowNames: { start: '--start', end: '--end' },
          ...(options.start !== undefined ? { startMs: options.start } : {}),
          ...(options.end !== undefined ? { endMs: options.end } : {}),
        });
        if (options.html) await writeFile(options.html, renderExperimentReportHtml(report));
        for (const warning of report.warnings) await write(io.stderr, `WARNING: ${warning}\n`);
        await printReport(io, report, options, () => summary(report, options.html));
      } finally {
        await runtime?.close();
      }
    });
}

async function* eventsFrom(file: string): AsyncGenerator<eventsv1.Event> {
  for await (const { event } of readEventLines(createReadStream(file))) yield event;
}

function summary(report: ExperimentReport, html: string | undefined): string[] {
  const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '–');
  // Too little data gives no value (NaN in the report): a dash, as the HTML shows it.
  const num = (v: number) => (Number.isFinite(v) ? v.toPrecision(3) : '–');
  // The lift in percent with its interval; a dash where control's value is 0 or its interval
  // includes 0 (no relativeCi): the ratio has no bound there, and its point estimate no use.
  const signedPct = (v: number) => {
    const text = `${(Math.abs(v) * 100).toFixed(1)}%`;
    return text === '0.0%' ? text : `${v > 0 ? '+' : '-'}${text}`;
  };
  const lift = (v: number, ci: readonly [number, number] | null) =>
    ci && Number.isFinite(v) ? `${signedPct(v)} [${signedPct(ci[0])}, ${signedPct(ci[1])}]` : '–';
  const lines = [
    `experiment ${report.experiment}: ` +
      report.variants
        .map((v) => `${v.variant} ${v.users} users (${pct(v.observedShare)})`)
        .join(', ') +
      `; SRM p = ${report.srm.pValue.toPrecision(3)}${report.srm.mismatch ? ' MISMATCH' : ''}`,
  ];
  // A split that is not the config's means assignment or logging is broken: no comparison
  // below can be trusted, so none is called better or worse.
  const mismatch = report.srm.mismatch;
  if (mismatch) {
    lines.push(
      'sample ratio mismatch: the variants do not hold the shares the config gives them ' +
        '(assignment or logging is broken); do not trust the comparisons below',
    );
  }
  for (const metric of report.metrics) {
    for (const c of metric.comparisons) {
      const diff = c.difference;
      // With several treatments, significance is judged on Holm's adjusted p-value.
      const holm = metric.comparisons.length > 1 ? ` (Holm ${num(c.adjustedPValue)})` : '';
      lines.push(
        `${metric.name.padEnd(34)} ${c.variant} vs ${c.control}: ${diff >= 0 ? '+' : ''}${num(diff)}` +
          ` [${num(c.ci[0])}, ${num(c.ci[1])}] lift ${lift(c.relativeDifference, c.relativeCi)}` +
          ` p = ${num(c.pValue)}${holm}` +
          `${c.significant && !mismatch ? (c.improvement ? '  better' : '  worse') : ''}`,
      );
    }
  }
  if (html) lines.push(`HTML report written to ${html}`);
  return lines;
}
