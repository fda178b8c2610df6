import type { EventLog } from './event-log.js';

export interface DrainWaitOptions {
  /** Gives up, with an error naming the group and what is left, after this long. Default: never. */
  readonly timeoutMs?: number;
  /** Between two looks at the lag. Default 100 ms. */
  readonly intervalMs?: number;
  /** Called with the events left (undelivered and pending) at each look. */
  readonly onLag?: (remaining: number) => void;
  /** Called with the events left at most every `progressEveryMs` (default 10 s): a progress line. */
  readonly progress?: (remaining: number) => void;
  readonly progressEveryMs?: number;
}

/**
 * Resolves once `group` has nothing undelivered and nothing pending in any partition: what
 * benchmarks and loaders wait for after publishing. A group that does not exist yet (its
 * consumer has not started) counts as not drained.
 */
export async function waitUntilDrained(
  log: Pick<EventLog, 'lag'>,
  group: string,
  options: DrainWaitOptions = {},
): Promise<void> {
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  let lastProgress = Date.now();
  for (;;) {
    const { undelivered, pending } = await log
      .lag(group)
      .catch(() => ({ undelivered: 1, pending: 0 }));
    options.onLag?.(undelivered + pending);
    if (undelivered === 0 && pending === 0) return;
    if (options.progress && Date.now() - lastProgress >= (options.progressEveryMs ?? 10_000)) {
      options.progress(undelivered + pending);
      lastProgress = Date.now();
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the group ${group} did not drain within ${options.timeoutMs} ms: ${undelivered} undelivered, ${pending} pending`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
