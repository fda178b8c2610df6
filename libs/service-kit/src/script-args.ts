import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** What a script's command line was: `values` as node:util's parseArgs gives them. */
export type ScriptValues<T extends Options> = ReturnType<
  typeof parseArgs<{ options: T & { help: { type: 'boolean' } }; allowPositionals: false }>
>['values'];

/** Where a script writes and how it ends: the process by default, a recorder in tests. */
export interface ScriptIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly exit: (code: number) => never;
}

const processIo: ScriptIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  exit: (code) => process.exit(code),
};

/**
 * The command line of a benchmark or evaluation script (`node dist/bench/x.js --flag ...`):
 * `--help` prints `usage` and exits 0; an unknown flag, a missing value or a stray argument
 * prints what was wrong and the usage, and exits 2, instead of a stack trace.
 */
export function parseScriptArgs<T extends Options>(
  usage: string,
  options: T,
  args: readonly string[] = process.argv.slice(2),
  io: ScriptIo = processIo,
): ScriptValues<T> {
  let values: ScriptValues<T>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { ...options, help: { type: 'boolean' } },
      allowPositionals: false,
      strict: true,
    }) as { values: ScriptValues<T> });
  } catch (error) {
    io.err(`${(error as Error).message}\n\nusage: ${usage}\n`);
    return io.exit(2);
  }
  if ((values as { help?: boolean }).help === true) {
    io.out(`usage: ${usage}\n`);
    return io.exit(0);
  }
  return values;
}

/**
 * A flag's value as an integer of at least `min` (default 1), or undefined when it was not
 * given; anything else prints `--<name>: expected ...` and exits 2.
 */
export function integerFlag(
  name: string,
  raw: string | undefined,
  min = 1,
  io: ScriptIo = processIo,
): number | undefined {
  return boundedFlag(name, raw, min, 'an integer', Number.isSafeInteger, io);
}

/**
 * A finite number of at least `min`, or undefined when the flag was not given; anything else
 * prints `--<name>: expected a number of at least <min>` and exits 2.
 */
export function numberFlag(
  name: string,
  raw: string | undefined,
  min: number,
  io: ScriptIo = processIo,
): number | undefined {
  return boundedFlag(name, raw, min, 'a number', Number.isFinite, io);
}

/** The flag's number when `valid` and at least `min`; else `--<name>: expected <what> ...`, exit 2. */
function boundedFlag(
  name: string,
  raw: string | undefined,
  min: number,
  what: string,
  valid: (value: number) => boolean,
  io: ScriptIo,
): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !valid(value) || value < min) {
    io.err(`--${name}: expected ${what} of at least ${min}, got ${JSON.stringify(raw)}\n`);
    return io.exit(2);
  }
  return value;
}

/** As `integerFlag`, with a default for a flag not given. */
export function integerFlagOr(
  name: string,
  raw: string | undefined,
  fallback: number,
  min = 1,
  io: ScriptIo = processIo,
): number {
  return integerFlag(name, raw, min, io) ?? fallback;
}

/**
 * A flag's value when it is one of `choices`, or undefined when it was not given; anything
 * else prints `--<name>: expected one of ...` and exits 2.
 */
export function choiceFlag<C extends string>(
  name: string,
  raw: string | undefined,
  choices: readonly C[],
  io: ScriptIo = processIo,
): C | undefined {
  if (raw === undefined) return undefined;
  if ((choices as readonly string[]).includes(raw)) return raw as C;
  io.err(`--${name}: expected one of ${choices.join(', ')}, got ${JSON.stringify(raw)}\n`);
  return io.exit(2);
}
