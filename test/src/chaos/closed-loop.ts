import { commonv1 } from '@feedmesh/contracts';
import { ClientError, Status } from '@feedmesh/service-kit';
import type { GatewayClient } from '../support/mesh.js';

/** One call of a loop, as the caller saw it. */
export interface CallSample {
  /** ms since the epoch. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** The gRPC status name: OK, DEADLINE_EXCEEDED, UNAVAILABLE, ... */
  readonly status: string;
  /** Feed items or search hits returned. */
  readonly items: number;
  /** `degraded[].component` of the response. */
  readonly degraded: readonly string[];
  /** `degraded[].reason` of the response, in the same order: which stage failed, and why. */
  readonly reasons: readonly string[];
  /** The error's message, when the call failed. */
  readonly error?: string;
}

/** What one call returned; `call` throws a ClientError when the call failed. */
export interface CallOutcome {
  readonly items: number;
  readonly degraded: readonly string[];
  readonly reasons?: readonly string[];
}

export interface ClosedLoopOptions {
  /** Concurrent callers, each with at most one call in flight. */
  readonly callers: number;
  /** Each call's deadline, ms. */
  readonly deadlineMs: number;
  /** Pause between a caller's calls, ms. Default 0: call again at once. */
  readonly pauseMs?: number;
  /** Makes call number `n` (unique across callers) with this deadline. */
  readonly call: (n: number, deadline: Date) => Promise<CallOutcome>;
}

/**
 * A bounded closed loop of calls from the test process: `callers` callers, each calling
 * again as soon as its previous call ended, until `stop()`.
 */
export class ClosedLoop {
  readonly samples: CallSample[] = [];
  private stopped = false;
  private running: Promise<void>[] = [];
  private sequence = 0;

  constructor(private readonly options: ClosedLoopOptions) {}

  start(): this {
    this.running = Array.from({ length: this.options.callers }, () => this.caller());
    return this;
  }

  /** Lets the calls in flight finish, then resolves with every sample. */
  async stop(): Promise<CallSample[]> {
    this.stopped = true;
    await Promise.all(this.running);
    return this.samples;
  }

  private async caller(): Promise<void> {
    const { deadlineMs, pauseMs = 0 } = this.options;
    while (!this.stopped) {
      const startedAt = Date.now();
      let failed = false;
      try {
        const outcome = await this.options.call(this.sequence++, new Date(startedAt + deadlineMs));
        this.samples.push({
          startedAt,
          endedAt: Date.now(),
          status: 'OK',
          items: outcome.items,
          degraded: outcome.degraded,
          reasons: outcome.reasons ?? outcome.degraded.map(() => ''),
        });
      } catch (error) {
        failed = true;
        const status = error instanceof ClientError ? Status[error.code] : 'CLIENT_ERROR';
        this.samples.push({
          startedAt,
          endedAt: Date.now(),
          status,
          items: 0,
          degraded: [],
          reasons: [],
          error: error instanceof Error ? error.message : String(error),
        });
      }
      // A caller whose calls fail at once (nothing listening) must not spin the CPU.
      const pause = Math.max(pauseMs, failed ? 5 : 0);
      if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/**
 * GetFeed for a user never seen before on every call, so the previously-served filter never
 * empties a feed and every call runs the whole pipeline.
 */
export function getFeedCall(gateway: GatewayClient, run: string): ClosedLoopOptions['call'] {
  return async (n, deadline) => {
    const response = await gateway.getFeed(
      {
        userId: `load-${run}-${n}`,
        surface: commonv1.Surface.SURFACE_FOR_YOU,
        tag: '',
        pageSize: 20,
        cursor: '',
      },
      { deadline },
    );
    return {
      items: response.items.length,
      degraded: response.degraded.map((d) => d.component),
      reasons: response.degraded.map((d) => d.reason),
    };
  };
}

/** A feed the user got: OK within the deadline (the client enforces it), and not empty. */
export function succeeded(sample: CallSample): boolean {
  return sample.status === 'OK' && sample.items > 0;
}
