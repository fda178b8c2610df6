import type { Readable, Writable } from 'node:stream';

/** A stream the CLI writes to: the terminal, a file, or a test's buffer. */
export type Output = Writable & { isTTY?: boolean; columns?: number };

/**
 * Everything a command touches outside itself, passed in so tests run commands in-process
 * against buffers and their own interrupt.
 */
export interface CliIo {
  readonly stdout: Output;
  readonly stderr: Output;
  readonly stdin: Readable;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM: long-running commands wind down and return. */
  readonly interrupt: AbortSignal;
}

/**
 * Writes and waits until the stream has taken the text, so a slow reader holds the producer
 * back and memory stays flat. A failure (EPIPE, a full disk) rejects; the caller keeps an
 * 'error' listener on the stream meanwhile, since the stream also emits the error.
 */
export function write(output: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    output.write(text, (error) => (error ? reject(error) : resolve()));
  });
}

/** Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function wantsColor(io: CliIo): boolean {
  return io.stdout.isTTY === true && !io.env['NO_COLOR'];
}
