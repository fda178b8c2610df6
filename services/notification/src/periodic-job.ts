import type { Logger } from '@feedmesh/service-kit';
import { runAsService } from '@feedmesh/telemetry';

const MAX_BACKOFF_MS = 60_000;

/**
 * Runs `run` every `intervalMs` until stopped: the first run one interval after start, a failed
 * run retried sooner with backoff, never two runs at once. `stop()` lets a run in progress
 * finish, and aborts the signal it was given (a run waiting for something ends its wait).
 */
export class PeriodicJob {
  private stopping = false;
  private readonly stopped = new AbortController();
  private wakeUp: (() => void) | undefined;
  private running: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private readonly intervalMs: number,
    private readonly run: (signal: AbortSignal) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.intervalMs <= 0) return;
    this.running ??= runAsService('notification', () => this.loop());
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    this.wakeUp?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const wait =
        failures === 0
          ? this.intervalMs
          : Math.min(1_000 * 2 ** failures, MAX_BACKOFF_MS, this.intervalMs);
      await this.sleep(wait);
      if (this.stopping) return;
      try {
        await this.run(this.stopped.signal);
        failures = 0;
      } catch (error) {
        failures += 1;
        this.logger.warn({ err: error, job: this.name, failures }, 'periodic job failed; retrying');
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.wakeUp = finish;
    });
  }
}
