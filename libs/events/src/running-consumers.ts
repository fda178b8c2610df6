import { FailedPreconditionError } from '@feedmesh/errors';
import type { ConsumerRunner } from './consumer-runner.js';
import type { Consumer } from './event-log.js';

/**
 * The consumers a log runs, and those still joining their group, so that `close()` stops every
 * one: a consume that was joining when the log closed is stopped and refused, rather than left
 * reading on a closed log (for ever, on a connection that was quit).
 */
export class RunningConsumers {
  private readonly running = new Set<ConsumerRunner>();
  private readonly joining = new Set<Promise<unknown>>();
  private closed = false;

  /** Starts a consumer with `start` (which calls `onStopped` once it has stopped). */
  async start(
    start: (onStopped: (runner: ConsumerRunner) => void) => Promise<ConsumerRunner>,
  ): Promise<Consumer> {
    const joined = start((runner) => this.running.delete(runner)).then((runner) => {
      this.running.add(runner);
      return runner;
    });
    this.joining.add(joined);
    try {
      const runner = await joined;
      if (this.closed) {
        await runner.stop();
        throw new FailedPreconditionError('the event log closed while the consumer was joining');
      }
      return runner;
    } finally {
      this.joining.delete(joined);
    }
  }

  list(): readonly Consumer[] {
    return [...this.running];
  }

  /** The log's connection dropped: see `ConsumerRunner.connectionDropped`. */
  connectionDropped(): void {
    for (const runner of this.running) runner.connectionDropped();
  }

  /** Stops every consumer, those still joining included (once they have joined). */
  async stopAll(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.joining]);
    await Promise.all([...this.running].map((consumer) => consumer.stop()));
  }
}
