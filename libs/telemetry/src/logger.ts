import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type LevelWithSilent, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** Where the JSON lines go; stdout by default. */
  destination?: DestinationStream;
  /** Overrides LOG_LEVEL. */
  level?: LevelWithSilent;
  /** Where to read LOG_LEVEL from; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** The values LOG_LEVEL may take (any case, surrounding blanks ignored). */
export const LOG_LEVELS: readonly LevelWithSilent[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

/** The level `value` (a LOG_LEVEL) names, or undefined when it names none. */
export function logLevelOf(value: string): LevelWithSilent | undefined {
  const level = value.trim().toLowerCase();
  return LOG_LEVELS.find((known) => known === level);
}

/**
 * A JSON-lines logger for `service`. Each line names the service and, inside a span, carries its
 * `trace_id` and `span_id`, so a log search can jump to the trace and back. Log errors as
 * `logger.error({ err }, 'message')` (or `logger.error(err)`): they are serialized with their
 * stack and causes.
 *
 * LOG_LEVEL unset gives `info`, and so does one that cannot be used (set to nothing, or no
 * level): a process builds its logger first thing, before it loads its configuration, and a
 * throw here would stop it with a stack trace. Its configuration refuses the value instead,
 * on one line naming LOG_LEVEL (`runtimeConfigShape` of @feedmesh/service-kit, which every
 * service and job reads, checks it with `logLevelOf`).
 */
export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? readLevel(options.env ?? process.env),
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names rather than numbers: log pipelines and people both read them.
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => {
        const spanContext = trace.getActiveSpan()?.spanContext();
        if (spanContext === undefined || !isSpanContextValid(spanContext)) return {};
        return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
      },
    },
    // Synchronous: a line is on stdout before the next statement runs, so the last lines of a
    // process that exits right after them (a drain that had nothing to wait for) are not left
    // in an asynchronous write that exit cuts short.
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

function readLevel(env: NodeJS.ProcessEnv): LevelWithSilent {
  return logLevelOf(env['LOG_LEVEL'] ?? '') ?? 'info';
}
