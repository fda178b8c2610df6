import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type LevelWithSilent, type Logger } from 'pino';
import { TelemetryConfigError } from './telemetry-config.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** Where the JSON lines go; stdout by default. */
  destination?: DestinationStream;
  /** Overrides LOG_LEVEL. */
  level?: LevelWithSilent;
  /** Where to read LOG_LEVEL from; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
}

const LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * A JSON-lines logger for `service`. Each line names the service and, inside a span, carries its
 * `trace_id` and `span_id`, so a log search can jump to the trace and back. Log errors as
 * `logger.error({ err }, 'message')` (or `logger.error(err)`): they are serialized with their
 * stack and causes.
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
    options.destination ?? pino.destination(1),
  );
}

function readLevel(env: NodeJS.ProcessEnv): string {
  const level = env['LOG_LEVEL']?.trim().toLowerCase() || 'info';
  if (!LEVELS.includes(level)) {
    throw new TelemetryConfigError(
      'LOG_LEVEL',
      `expected one of ${LEVELS.join(', ')}, got "${level}"`,
    );
  }
  return level;
}
