import { eventsv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import type { EventLogLogger, EventLogOptions, LogMark } from './event-log.js';

/** Beats come every third of `consumerTimeoutMs`: at least 100 ms apart. */
export const MIN_CONSUMER_TIMEOUT_MS = 300;

/** `EventLogOptions` with the defaults filled in and the numbers checked. */
export interface LogSettings {
  readonly partitions: number;
  readonly maxLen: number | undefined;
  readonly processedTtlMs: number;
  /** Consumers' default `claimIdleMs`; undefined leaves the consumer's own default. */
  readonly claimIdleMs: number | undefined;
  /** Consumers' default `consumerTimeoutMs`; undefined leaves the consumer's own default. */
  readonly consumerTimeoutMs: number | undefined;
  readonly logger: EventLogLogger;
}

/** How long a processed-marker outlives its event unless `processedTtlMs` says otherwise. */
export const DEFAULT_PROCESSED_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const MAX_PARTITIONS = 1024;

const silent: EventLogLogger = { info() {}, warn() {}, error() {} };

/** `value` (`fallback` when undefined) if it is a positive integer; else an error naming `field`. */
export function positiveIntegerOr(
  field: string,
  value: number | undefined,
  fallback: number,
): number {
  const chosen = value ?? fallback;
  if (!Number.isSafeInteger(chosen) || chosen < 1) {
    throw new InvalidArgumentError(field, 'must be a positive integer');
  }
  return chosen;
}

export function logSettingsFrom(options: EventLogOptions): LogSettings {
  const partitions = options.partitions ?? 8;
  if (!Number.isSafeInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
    throw new InvalidArgumentError('partitions', `must be an integer from 1 to ${MAX_PARTITIONS}`);
  }
  if (
    options.maxLen !== undefined &&
    !(Number.isSafeInteger(options.maxLen) && options.maxLen > 0)
  ) {
    throw new InvalidArgumentError('maxLen', 'must be a positive integer');
  }
  const processedTtlMs = options.processedTtlMs ?? DEFAULT_PROCESSED_TTL_MS;
  if (!Number.isSafeInteger(processedTtlMs) || processedTtlMs < 1) {
    throw new InvalidArgumentError('processedTtlMs', 'must be a positive integer');
  }
  const { claimIdleMs } = options;
  if (claimIdleMs !== undefined && !(Number.isSafeInteger(claimIdleMs) && claimIdleMs > 0)) {
    throw new InvalidArgumentError('claimIdleMs', 'must be a positive integer (milliseconds)');
  }
  const { consumerTimeoutMs } = options;
  if (
    consumerTimeoutMs !== undefined &&
    !(Number.isSafeInteger(consumerTimeoutMs) && consumerTimeoutMs >= MIN_CONSUMER_TIMEOUT_MS)
  ) {
    throw new InvalidArgumentError(
      'consumerTimeoutMs',
      `must be an integer of at least ${MIN_CONSUMER_TIMEOUT_MS} (milliseconds)`,
    );
  }
  return {
    partitions,
    maxLen: options.maxLen,
    processedTtlMs,
    claimIdleMs,
    consumerTimeoutMs,
    logger: options.logger ?? silent,
  };
}

/**
 * The log itself needs an event_id (dedupe), a payload (partitioning) and bytes to store; the
 * gateway checks everything else. The whole batch is checked and encoded before anything is
 * appended, so a bad event (a fractional `at_ms`, a negative `position`...) fails the call
 * naming it, with none of the batch stored. Returns each event's bytes.
 */
export function encodeAppendable(events: readonly eventsv1.Event[]): Uint8Array[] {
  return events.map((event, index) => {
    if (event.eventId === '')
      throw new InvalidArgumentError(`events[${index}].event_id`, 'must be set');
    if (event.payload === undefined) {
      throw new InvalidArgumentError(
        `events[${index}].payload`,
        'exactly one event type must be set',
      );
    }
    if (!Number.isSafeInteger(event.atMs)) {
      throw new InvalidArgumentError(
        `events[${index}].at_ms`,
        `must be a whole number of milliseconds (a safe integer), not ${String(event.atMs)}`,
      );
    }
    try {
      return eventsv1.Event.encode(event).finish();
    } catch (error) {
      throw new InvalidArgumentError(
        `events[${index}]`,
        `does not encode as a feedmesh.events.v1.Event: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  });
}

/**
 * A mark's ends, one per partition, each one `isPosition` accepts: a mark this log can have
 * taken (not one of another implementation, or of a log with another partition count).
 */
export function checkMark(
  mark: LogMark,
  partitions: number,
  isPosition: (end: string) => boolean,
): readonly string[] {
  const ends: unknown = mark?.ends;
  if (!Array.isArray(ends) || ends.length !== partitions) {
    throw new InvalidArgumentError(
      'mark.ends',
      `must hold one position per partition (${partitions}): take marks with this log's endMark()`,
    );
  }
  ends.forEach((end: unknown, index) => {
    if (typeof end !== 'string' || !isPosition(end)) {
      throw new InvalidArgumentError(
        `mark.ends[${index}]`,
        `${JSON.stringify(end)} is not a position in this log: take marks with its endMark()`,
      );
    }
  });
  return ends as string[];
}
