import cliProgress from 'cli-progress';
import type { Output } from './cli-io.js';

export interface Progress {
  update(value: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

/**
 * A progress bar on stderr, so it never mixes with data on stdout. It draws only on a
 * terminal (cli-progress checks isTTY): piped or in tests it stays silent.
 */
export function startProgress(
  stream: Output,
  options: { total: number; format: string; payload?: Record<string, string | number> },
): Progress {
  const bar = new cliProgress.SingleBar(
    {
      stream: stream as unknown as NodeJS.WritableStream,
      format: options.format,
      hideCursor: true,
      fps: 8,
      etaBuffer: 100,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(options.total, 0, options.payload ?? {});
  return {
    update: (value, payload) => bar.update(value, payload ?? {}),
    stop: () => bar.stop(),
  };
}
