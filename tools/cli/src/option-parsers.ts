import { InvalidArgumentError } from '@commander-js/extra-typings';

/**
 * Parsers for option values. They throw commander's InvalidArgumentError, which commander
 * prints with the option's name (`option '--page-size <n>' argument 'x' is invalid. ...`)
 * and which the CLI turns into exit code 2.
 */

export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const parsed = /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return parsed;
  };
}

export function numberIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const parsed = value.trim() === '' ? Number.NaN : Number(value);
    if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`expected a number from ${min} to ${max}`);
    }
    return parsed;
  };
}

/** `host:port` (or `[v6]:port`), as the services' GRPC_LISTEN and *_ADDR take. */
export function address(value: string): string {
  if (!/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(value)) {
    throw new InvalidArgumentError('expected host:port, e.g. 127.0.0.1:50051');
  }
  const port = Number(value.slice(value.lastIndexOf(':') + 1));
  if (port > 65_535) throw new InvalidArgumentError('the port must be at most 65535');
  return value;
}

/** A time as ms since the epoch or an ISO date (`2025-06-01T12:00:00Z`). */
export function instant(value: string): number {
  const parsed = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isSafeInteger(parsed) || parsed <= 0) {
    throw new InvalidArgumentError('expected ms since the epoch or an ISO date');
  }
  return parsed;
}

/** For repeatable options: `--tag a --tag b`. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
