import type { eventsv1 } from '@feedmesh/contracts';
import { ClientError, Status } from '@feedmesh/service-kit';
import type { GatewayClient } from '../support/mesh.js';

export interface RetryingPublisherOptions {
  /** Concurrent producers, each with one batch in flight. */
  readonly producers: number;
  /** Batch number `n` (unique across producers); the same events on every retry. */
  readonly batch: (n: number) => eventsv1.Event[];
  /** Pause after an acknowledged batch, ms: paces the ingestion. */
  readonly pauseMs: number;
  /** Each attempt's deadline, ms. */
  readonly deadlineMs: number;
  /** A batch not acknowledged after this long fails the run, ms. Default 60 s. */
  readonly giveUpAfterMs?: number;
}

/**
 * Producers as the gateway's contract asks them to behave: publish a batch, and when the
 * answer is not OK, publish the same batch (same event ids) again until it is. `acknowledged`
 * holds exactly the events of batches PublishEvents answered OK: the ones the mesh owes.
 */
export class RetryingPublisher {
  readonly acknowledged: eventsv1.Event[] = [];
  /** Failed attempts by status, e.g. { UNAVAILABLE: 12 }. */
  readonly failedAttempts: Record<string, number> = {};
  private stopped = false;
  private sequence = 0;
  private running: Promise<void>[] = [];

  constructor(
    private readonly gateway: GatewayClient,
    private readonly options: RetryingPublisherOptions,
  ) {}

  start(): this {
    this.running = Array.from({ length: this.options.producers }, () => this.produce());
    return this;
  }

  /** Starts no new batch; resolves once every batch in hand is acknowledged. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running);
  }

  private async produce(): Promise<void> {
    while (!this.stopped) {
      const events = this.options.batch(this.sequence++);
      await this.publishUntilAcknowledged(events);
      this.acknowledged.push(...events);
      await sleep(this.options.pauseMs);
    }
  }

  private async publishUntilAcknowledged(events: eventsv1.Event[]): Promise<void> {
    const giveUpAt = Date.now() + (this.options.giveUpAfterMs ?? 60_000);
    for (;;) {
      try {
        await this.gateway.publishEvents(
          { events },
          { deadline: new Date(Date.now() + this.options.deadlineMs) },
        );
        return;
      } catch (error) {
        if (!(error instanceof ClientError)) throw error;
        if (error.code === Status.INVALID_ARGUMENT) throw error;
        const status = Status[error.code];
        this.failedAttempts[status] = (this.failedAttempts[status] ?? 0) + 1;
        if (Date.now() > giveUpAt) {
          throw new Error(
            `a batch was still not acknowledged after retries: ${status} ${error.details}`,
          );
        }
        await sleep(100);
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
