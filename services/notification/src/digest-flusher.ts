import type { Logger } from '@feedmesh/service-kit';
import type { DeliveryPipeline, PipelineOutcome } from './delivery-pipeline.js';
import type { DigestStore, PendingDigest } from './digest-store.js';
import { candidateOf } from './notification-candidate.js';

export interface DigestFlusherSettings {
  /** How often due digests are looked for, ms; `kick()` looks at once. */
  readonly intervalMs: number;
  /** Digests claimed per round trip. */
  readonly batchSize: number;
  /** A claimed digest is due again this long after its claim if not completed (a crash), ms. */
  readonly leaseMs: number;
}

const MAX_BACKOFF_MS = 5_000;

export type FlushCounts = Record<PipelineOutcome['outcome'] | 'failed', number>;

/**
 * The periodic job that sends due digests through the pipeline: delivered, duplicate and
 * dropped ones are completed, delayed ones postponed. Any replica's flusher can deliver any
 * digest (claims are atomic and leased), so a restart or a crash delays digests by at most
 * the lease and loses none.
 */
export class DigestFlusher {
  private stopping = false;
  private kicked = false;
  private wakeUp: (() => void) | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: DigestStore,
    private readonly pipeline: DeliveryPipeline,
    private readonly clock: () => number,
    private readonly logger: Logger,
    private readonly settings: DigestFlusherSettings,
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  /** Looks for due digests now (or right after the flush in progress). */
  kick(): void {
    this.kicked = true;
    this.wakeUp?.();
  }

  /** Flushes everything due now; returns what became of it. */
  async flushDue(): Promise<FlushCounts> {
    const counts: FlushCounts = { delivered: 0, duplicate: 0, dropped: 0, delayed: 0, failed: 0 };
    for (;;) {
      const { batchSize, leaseMs } = this.settings;
      const due = await this.store.claimDue(this.clock(), batchSize, leaseMs);
      const outcomes = await Promise.all(due.map((digest) => this.flush(digest)));
      for (const outcome of outcomes) counts[outcome] += 1;
      if (due.length < batchSize || this.stopping) return counts;
    }
  }

  /** Lets the flush in progress finish, then stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      this.kicked = false;
      try {
        await this.flushDue();
        failures = 0;
      } catch (error) {
        failures += 1;
        this.logger.warn({ err: error, failures }, 'digest flush failed; retrying');
      }
      // Back off while the store is down rather than log and fail every interval.
      const backoff = Math.min(this.settings.intervalMs * 2 ** failures, MAX_BACKOFF_MS);
      await this.sleep(Math.max(backoff, this.settings.intervalMs));
    }
  }

  private async flush(digest: PendingDigest): Promise<PipelineOutcome['outcome'] | 'failed'> {
    try {
      const outcome = await this.pipeline.run(candidateOf(digest), this.clock());
      if (outcome.outcome === 'delayed') {
        // Never due again within this flush: a policy answering "now" must not spin it.
        const untilMs = Math.max(outcome.untilMs, this.clock() + this.settings.intervalMs);
        await this.store.postpone(digest, untilMs);
      } else {
        await this.store.complete(digest);
      }
      return outcome.outcome;
    } catch (error) {
      // Left claimed: due again when its lease ends, and delivered at most once (dedupe key).
      this.logger.warn(
        { err: error, digestId: digest.digestId, userId: digest.subject.userId },
        'digest could not be flushed; retrying after its lease',
      );
      return 'failed';
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping || this.kicked) return Promise.resolve();
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
