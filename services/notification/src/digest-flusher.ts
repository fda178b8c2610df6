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
  /** Users with an entry due at once since the last look (see `kick`). */
  private readonly hinted = new Set<string>();
  private wakeUp: (() => void) | undefined;
  private stopWake: (() => void) | undefined;
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

  /**
   * `userId` has an entry due now: look at its shard at once (or right after the flush in
   * progress) rather than at the next tick, which looks at every shard.
   */
  kick(userId: string): void {
    this.hinted.add(userId);
    this.wakeUp?.();
  }

  /**
   * Flushes everything due now (with `users`, what is due in their shards); returns what
   * became of it.
   */
  async flushDue(users?: readonly string[]): Promise<FlushCounts> {
    const counts: FlushCounts = { delivered: 0, duplicate: 0, dropped: 0, delayed: 0, failed: 0 };
    for (;;) {
      const { batchSize, leaseMs } = this.settings;
      const due = await this.store.claimDue(this.clock(), batchSize, leaseMs, users);
      const outcomes = await Promise.all(due.map((digest) => this.flush(digest)));
      for (const outcome of outcomes) counts[outcome] += 1;
      if (due.length === 0 || this.stopping) return counts;
    }
  }

  /** Lets the flush in progress finish, then stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopWake?.();
    await this.running;
  }

  /**
   * Every `intervalMs` a look at every shard; in between, at once, a look at the shards of
   * users kicked meanwhile. Time here is the wall clock's: the ticks pace Redis reads, whatever
   * the service's clock says.
   */
  private async loop(): Promise<void> {
    let failures = 0;
    let nextTick = 0;
    while (!this.stopping) {
      const tick = Date.now() >= nextTick;
      const users = [...this.hinted];
      this.hinted.clear();
      try {
        await (tick ? this.flushDue() : this.flushDue(users));
        failures = 0;
      } catch (error) {
        failures += 1;
        // The kicked users' entries are still due: the next tick (or kick) finds them.
        this.logger.warn({ err: error, failures }, 'digest flush failed; retrying');
      }
      if (tick) {
        // Back off while the store is down rather than log and fail every interval.
        const backoff = Math.min(this.settings.intervalMs * 2 ** failures, MAX_BACKOFF_MS);
        nextTick = Date.now() + Math.max(backoff, this.settings.intervalMs);
      }
      // While the store fails, kicks wait for the next (backed-off) tick too.
      await this.sleep(nextTick - Date.now(), failures === 0);
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

  /** Until `ms` passed, or stop, or (if `kickable`) a kick. */
  private sleep(ms: number, kickable: boolean): Promise<void> {
    if (this.stopping || ms <= 0 || (kickable && this.hinted.size > 0)) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.wakeUp = kickable ? finish : undefined;
      this.stopWake = finish;
    });
  }
}
