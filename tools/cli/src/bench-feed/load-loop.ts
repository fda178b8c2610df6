import { setTimeout as sleep } from 'node:timers/promises';

/** What one call reports besides its latency. */
export interface CallOutcome {
  /** Stages the answer says failed open (GetFeed's `degraded[].component`); empty if none. */
  readonly degraded?: readonly string[];
}

export type Call = () => Promise<CallOutcome>;

/** How the load is applied. */
export type LoadShape =
  /** N callers, each sending its next call when the previous one returns. */
  | { readonly kind: 'closed'; readonly concurrency: number }
  /** Calls sent on a fixed schedule whatever the answers do (at most `maxInFlight` open). */
  | { readonly kind: 'open'; readonly ratePerSecond: number; readonly maxInFlight?: number };

/** The raw outcome of one load run: counts and every successful call's latency. */
export interface LoadRun {
  readonly shape: LoadShape;
  /** From the first call sent to the last answer, ms. */
  readonly elapsedMs: number;
  readonly sent: number;
  readonly ok: number;
  readonly degraded: number;
  /** Degraded answers by the component that failed open. */
  readonly degradedBy: Readonly<Record<string, number>>;
  readonly errors: number;
  /** Errors by what `errorKey` made of them (a gRPC status name, `overload`, ...). */
  readonly errorsByKind: Readonly<Record<string, number>>;
  /** Successful calls only, ms. In open loop, measured from when the call was due. */
  readonly latenciesMs: Float64Array;
}

export interface LoadOptions {
  readonly shape: LoadShape;
  readonly durationMs: number;
  readonly call: Call;
  readonly errorKey?: (error: unknown) => string;
}

/** Runs `call` under the given load shape for `durationMs`, then waits for what is in flight. */
export async function runLoad(options: LoadOptions): Promise<LoadRun> {
  const tally = new Tally(options.errorKey ?? (() => 'error'));
  const started = performance.now();
  const endAt = started + options.durationMs;
  if (options.shape.kind === 'closed') {
    const caller = async () => {
      while (performance.now() < endAt) await tally.measure(options.call, performance.now());
    };
    await Promise.all(Array.from({ length: options.shape.concurrency }, caller));
  } else {
    await openLoop(options.shape, endAt, started, options.call, tally);
  }
  return tally.toRun(options.shape, performance.now() - started);
}

/**
 * Sends call i at start + i / rate. Latency counts from when a call was due, not when the
 * timer woke up, so a stalled generator shows as latency instead of hiding it.
 */
async function openLoop(
  shape: Extract<LoadShape, { kind: 'open' }>,
  endAt: number,
  started: number,
  call: Call,
  tally: Tally,
): Promise<void> {
  const intervalMs = 1000 / shape.ratePerSecond;
  const maxInFlight = shape.maxInFlight ?? 10_000;
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; ; i++) {
    const due = started + i * intervalMs;
    if (due >= endAt) break;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    if (inFlight.size >= maxInFlight) {
      tally.fail('overload');
      continue;
    }
    const pending = tally.measure(call, due).finally(() => inFlight.delete(pending));
    inFlight.add(pending);
  }
  await Promise.all(inFlight);
}

class Tally {
  private sent = 0;
  private ok = 0;
  private degraded = 0;
  private errors = 0;
  private readonly errorsByKind: Record<string, number> = {};
  private readonly degradedBy: Record<string, number> = {};
  private latencies = new Float64Array(4096);

  constructor(private readonly errorKey: (error: unknown) => string) {}

  async measure(call: Call, since: number): Promise<void> {
    this.sent += 1;
    try {
      const outcome = await call();
      this.record(performance.now() - since);
      if (outcome.degraded?.length) {
        this.degraded += 1;
        // A service can be named once per failing stage: count answers, not entries.
        for (const component of new Set(outcome.degraded)) {
          this.degradedBy[component] = (this.degradedBy[component] ?? 0) + 1;
        }
      }
    } catch (error) {
      this.fail(this.errorKey(error));
    }
  }

  fail(kind: string): void {
    this.errors += 1;
    this.errorsByKind[kind] = (this.errorsByKind[kind] ?? 0) + 1;
  }

  toRun(shape: LoadShape, elapsedMs: number): LoadRun {
    return {
      shape,
      elapsedMs,
      sent: this.sent + (this.errorsByKind['overload'] ?? 0),
      ok: this.ok,
      degraded: this.degraded,
      degradedBy: { ...this.degradedBy },
      errors: this.errors,
      errorsByKind: { ...this.errorsByKind },
      latenciesMs: this.latencies.slice(0, this.ok),
    };
  }

  private record(ms: number): void {
    if (this.ok === this.latencies.length) {
      const grown = new Float64Array(this.latencies.length * 2);
      grown.set(this.latencies);
      this.latencies = grown;
    }
    this.latencies[this.ok++] = ms;
  }
}
