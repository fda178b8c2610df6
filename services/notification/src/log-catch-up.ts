import type { EventLog, LogMark } from '@feedmesh/events';

/** Whether the service's consumer group has handled the log up to now. */
export interface CatchUp {
  /**
   * True once the group has handled every event appended before the call; false if that was
   * not seen within the wait, or `signal` aborted it.
   */
  caughtUp(signal?: AbortSignal): Promise<boolean>;
}

export interface GroupCatchUpSettings {
  /** How long to wait for the group to catch up, ms; 0 looks once. */
  readonly waitMs: number;
  /** Between two looks at the group, ms. */
  readonly pollMs: number;
}

/**
 * Takes a mark of the log's end at the start of the call (`EventLog.endMark`), then looks until
 * the group has handled everything before it (`EventLog.handledUpTo`): every event appended
 * before the call was delivered to a consumer of the group and acknowledged (handled, or given
 * up on as a dead letter). What is appended after the mark does not count, so on a busy log,
 * where something is undelivered or pending at every look, the group still catches up. A group
 * the log does not know yet (its consumer has not started) has not caught up. A look that fails
 * counts as not caught up; if the mark itself could not be taken, the next look takes it (a
 * later mark asks for more, never less). Time here is the wall clock's: it paces the looks.
 */
export class GroupCatchUp implements CatchUp {
  constructor(
    private readonly log: Pick<EventLog, 'endMark' | 'handledUpTo'>,
    private readonly group: string,
    private readonly settings: GroupCatchUpSettings,
  ) {}

  async caughtUp(signal?: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + this.settings.waitMs;
    let mark: LogMark | undefined;
    for (;;) {
      if (signal?.aborted === true) return false;
      mark ??= await this.log.endMark().catch(() => undefined);
      if (mark !== undefined && (await this.handled(mark))) return true;
      const pause = Math.min(this.settings.pollMs, deadline - Date.now());
      if (pause <= 0) return false;
      await sleep(pause, signal);
    }
  }

  private handled(mark: LogMark): Promise<boolean> {
    return this.log.handledUpTo(this.group, mark).catch(() => false);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
