import type { EventLog } from '@feedmesh/events';

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
  /** Between two looks at the lag, ms. */
  readonly pollMs: number;
}

/**
 * The group has caught up when the log reports nothing undelivered and nothing pending at one
 * look: every event appended before that look (so before the call) was delivered to a consumer
 * of the group and acknowledged (handled, or given up on as a dead letter). A group the log does
 * not know yet (its consumer has not started) has not caught up, nor has one whose lag cannot be
 * read. Time here is the wall clock's: it paces reads of the lag.
 *
 * The log reports counts, not positions, so a group that never has an idle moment (something
 * undelivered or pending at every look) does not count as caught up even when what it has left
 * was all appended after the call.
 */
export class GroupCatchUp implements CatchUp {
  constructor(
    private readonly log: Pick<EventLog, 'lag'>,
    private readonly group: string,
    private readonly settings: GroupCatchUpSettings,
  ) {}

  async caughtUp(signal?: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + this.settings.waitMs;
    for (;;) {
      if (signal?.aborted === true) return false;
      const lag = await this.log.lag(this.group).catch(() => undefined);
      if (lag !== undefined && lag.undelivered === 0 && lag.pending === 0) return true;
      const pause = Math.min(this.settings.pollMs, deadline - Date.now());
      if (pause <= 0) return false;
      await sleep(pause, signal);
    }
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
