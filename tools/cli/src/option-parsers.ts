import { InvalidArgumentError } from '@commander-js/extra-typings';
import { statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

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

/** Comma-separated integers from `min` to `max`, each once, e.g. cut-offs `100,500,1000`. */
export function integerList(min: number, max: number): (value: string) => number[] {
  return (value) => {
    const items = value.split(',').map((item) => item.trim());
    const parsed = items.map((item) => (/^-?\d+$/.test(item) ? Number(item) : Number.NaN));
    if (parsed.some((n) => !Number.isSafeInteger(n) || n < min || n > max)) {
      throw new InvalidArgumentError(`expected comma-separated integers from ${min} to ${max}`);
    }
    const repeated = parsed.find((n, i) => parsed.indexOf(n) !== i);
    if (repeated !== undefined) throw new InvalidArgumentError(`${repeated} is given twice`);
    return parsed;
  };
}

/** Comma-separated numbers from `min` to `max`, e.g. weights `0,0.5,1`. */
export function numberList(min: number, max: number): (value: string) => number[] {
  return (value) => {
    const parsed = value.split(',').map((item) => (item.trim() === '' ? Number.NaN : Number(item)));
    if (parsed.some((n) => !Number.isFinite(n) || n < min || n > max)) {
      throw new InvalidArgumentError(`expected comma-separated numbers from ${min} to ${max}`);
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

/** An `instant` no earlier than `earliest` (ms since the epoch), which the message names. */
export function instantFrom(earliest: number): (value: string) => number {
  return (value) => {
    const parsed = instant(value);
    if (parsed < earliest) {
      throw new InvalidArgumentError(
        `expected ${new Date(earliest).toISOString()} or later, got ${new Date(parsed).toISOString()}`,
      );
    }
    return parsed;
  };
}

/**
 * An id (`--user`, `--post`): a blank one is refused here, naming the option, rather than
 * sent and answered with the wire field's name (`user_id: is required`), or, where the id is
 * optional, silently taken as none.
 */
export function id(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected a non-empty id');
  return value;
}

/** A tag, with or without `#`: a blank one, or `#` alone, is refused. */
export function tagName(value: string): string {
  if (value.replace(/^#/, '').trim() === '') {
    throw new InvalidArgumentError('expected a tag, e.g. music or #music');
  }
  return value;
}

/** For repeatable options: `--tag a --tag b`. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A repeatable `--tag`, each checked by `tagName`. */
export function collectTags(value: string, previous: string[] | undefined): string[] {
  return collect(tagName(value), previous);
}

/** A file to read: it must exist and be a file, checked before any work starts. */
export function existingFile(value: string): string {
  const stats = statOrUndefined(value);
  if (stats === undefined) throw new InvalidArgumentError('no such file');
  if (!stats.isFile()) throw new InvalidArgumentError('expected a file, not a directory');
  return value;
}

/** A folder to read holding `files`: checked before any work starts. */
export function existingDir(...files: readonly string[]): (value: string) => string {
  return (value) => {
    const stats = statOrUndefined(value);
    if (stats === undefined) throw new InvalidArgumentError('no such directory');
    if (!stats.isDirectory()) throw new InvalidArgumentError('expected a directory, not a file');
    const missing = files.filter((file) => !statOrUndefined(join(value, file))?.isFile());
    if (missing.length > 0) {
      throw new InvalidArgumentError(
        `expected ${files.join(', ')} in it; missing ${missing.join(', ')}`,
      );
    }
    return value;
  };
}

/**
 * A file to write at the end of a long run: its folder must exist, and the path must not be a
 * folder, checked at the start, so a typo costs seconds rather than the run.
 */
export function outputFile(value: string): string {
  if (statOrUndefined(value)?.isDirectory()) {
    throw new InvalidArgumentError('expected a file to write, not a directory');
  }
  const folder = dirname(resolve(value));
  if (!statOrUndefined(folder)?.isDirectory()) {
    throw new InvalidArgumentError(`no such directory ${folder} to write it in`);
  }
  return value;
}

/** A folder to write into (created when missing): the path must not be a file. */
export function outputDir(value: string): string {
  const stats = statOrUndefined(value);
  if (stats !== undefined && !stats.isDirectory()) {
    throw new InvalidArgumentError('expected a directory, not a file');
  }
  return value;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Node flags for a child process, blank-separated: each must start with `-`, so a stray word
 * is refused here rather than taken by node as the script to run.
 */
export function nodeFlags(value: string): string[] {
  const flags = value.trim().split(/\s+/).filter(Boolean);
  const notFlag = flags.find((flag) => !flag.startsWith('-'));
  if (flags.length === 0 || notFlag !== undefined) {
    throw new InvalidArgumentError(
      notFlag === undefined
        ? 'expected node flags, e.g. "--trace-gc"'
        : `expected node flags, each starting with "-"; "${notFlag}" does not`,
    );
  }
  return flags;
}

/** Split seeds, comma-separated: two or more distinct integers from 0 to 2^32 − 1. */
export function seedList(value: string): number[] {
  const items = value.split(',').map((item) => item.trim());
  const seeds = items.map((item) => (/^\d+$/.test(item) ? Number(item) : Number.NaN));
  if (seeds.some((seed) => !Number.isSafeInteger(seed) || seed > 2 ** 32 - 1)) {
    throw new InvalidArgumentError('expected comma-separated integers from 0 to 4294967295');
  }
  if (seeds.length < 2) throw new InvalidArgumentError('expected two seeds or more');
  const repeated = seeds.find((seed, i) => seeds.indexOf(seed) !== i);
  if (repeated !== undefined) {
    throw new InvalidArgumentError(`seed ${repeated} is given twice (the same draw twice)`);
  }
  return seeds;
}
