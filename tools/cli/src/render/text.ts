/** Small formatting helpers the renderers share. */

/** One line of at most `width` characters, cut with an ellipsis. */
export function clip(text: string, width: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= width ? line : `${line.slice(0, Math.max(0, width - 1))}…`;
}

export function formatScore(score: number): string {
  return Number.isFinite(score) ? score.toFixed(3) : String(score);
}

/** UTC to the minute: `2025-06-01 12:34`. */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '-';
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

export function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

/** `1 event`, `2,000 events`. */
export function counted(count: number, noun: string, plural = `${noun}s`): string {
  return `${formatCount(count)} ${count === 1 ? noun : plural}`;
}

/** Quotes an argument for the shell only when it needs it, so suggested commands paste. */
export function shellArg(value: string): string {
  return /^[A-Za-z0-9_.:,/@%+=-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** How to run a feedmesh command from the repository root. */
export function feedmeshCommand(args: readonly string[]): string {
  return ['npm run feedmesh --', ...args.map(shellArg)].join(' ');
}
