import { InvalidArgumentError } from '@commander-js/extra-typings';
import { numberIn } from '../option-parsers.js';

/** `20s`, `1500ms`, `2m`, or a bare number of seconds; returns ms. */
export function duration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  const unit = match?.[2] ?? 's';
  const ms = match ? Number(match[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1_000 : 60_000) : NaN;
  if (!Number.isFinite(ms) || ms < 100 || ms > 3_600_000) {
    throw new InvalidArgumentError('expected a duration from 100ms to 60m, e.g. 20s or 1500ms');
  }
  return Math.round(ms);
}

/** `1,4,16,32`: positive integers, at most `max` each. */
export function integerList(max: number): (value: string) => number[] {
  return (value) => {
    const items = value.split(',').map((item) => item.trim());
    const numbers = items.map((item) => (/^\d+$/.test(item) ? Number(item) : NaN));
    if (numbers.length === 0 || numbers.some((n) => !Number.isSafeInteger(n) || n < 1 || n > max)) {
      throw new InvalidArgumentError(`expected comma-separated integers from 1 to ${max}`);
    }
    return numbers;
  };
}

/** A share in [0, 1]; a blank value is refused, not read as 0 (as `Number('')` would). */
export const ratio: (value: string) => number = numberIn(0, 1);
