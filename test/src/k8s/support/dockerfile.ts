/**
 * Reads a Dockerfile into stages and instructions, following the format's rules for what the
 * tests look at: comments and parser directives, line continuations, `ARG` before the first
 * `FROM`, and exec (JSON) versus shell form.
 */

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, ... */
  readonly keyword: string;
  /** Everything after the keyword, continuations joined. */
  readonly args: string;
  /** The JSON array of an exec-form instruction (CMD ["node", "main.js"]), else undefined. */
  readonly exec: readonly string[] | undefined;
  readonly line: number;
}

export interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM (usable in FROM lines), with their defaults. */
  readonly globalArgs: Readonly<Record<string, string | undefined>>;
  readonly stages: readonly Stage[];
}

const KEYWORDS = new Set([
  'FROM',
  'RUN',
  'CMD',
  'LABEL',
  'EXPOSE',
  'ENV',
  'ADD',
  'COPY',
  'ENTRYPOINT',
  'VOLUME',
  'USER',
  'WORKDIR',
  'ARG',
  'ONBUILD',
  'STOPSIGNAL',
  'HEALTHCHECK',
  'SHELL',
  'MAINTAINER',
]);

export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  let pending: { text: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && pending === undefined)) continue;
    const continued = trimmed.endsWith('\\');
    const part = continued ? trimmed.slice(0, -1) : trimmed;
    pending =
      pending === undefined
        ? { text: part, line: i + 1 }
        : { ...pending, text: `${pending.text} ${part}` };
    if (continued) continue;
    const match = /^(\S+)\s*(.*)$/s.exec(pending.text);
    if (match === null) throw new Error(`line ${pending.line}: cannot read "${pending.text}"`);
    const keyword = match[1]!.toUpperCase();
    if (!KEYWORDS.has(keyword))
      throw new Error(`line ${pending.line}: unknown instruction ${match[1]}`);
    const args = match[2]!.trim();
    instructions.push({ keyword, args, exec: execForm(args), line: pending.line });
    pending = undefined;
  }
  if (pending !== undefined) throw new Error('the Dockerfile ends inside a line continuation');

  const globalArgs: Record<string, string | undefined> = {};
  const stages: { from: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [image, as, name] = instruction.args.split(/\s+/);
      if (image === undefined || (as !== undefined && as.toUpperCase() !== 'AS')) {
        throw new Error(`line ${instruction.line}: FROM image [AS name]`);
      }
      stages.push({ from: image, name, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG') {
        throw new Error(`line ${instruction.line}: only ARG may come before the first FROM`);
      }
      const [name, value] = instruction.args.split('=', 2) as [string, string | undefined];
      globalArgs[name] = value;
    } else {
      stages[stages.length - 1]!.instructions.push(instruction);
    }
  }
  if (stages.length === 0) throw new Error('no FROM');
  return { globalArgs, stages };
}

function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Replaces `$NAME` and `${NAME}` with the given values (what Docker does in FROM, WORKDIR, ...). */
export function substitute(
  text: string,
  values: Readonly<Record<string, string | undefined>>,
): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => {
    const value = values[(braced ?? bare)!];
    return value ?? whole;
  });
}

/** Reads .dockerignore into its patterns (comments and blank lines dropped). */
export function parseDockerignore(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
