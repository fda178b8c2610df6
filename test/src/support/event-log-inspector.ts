import { RedisStreamsEventLog, type DeadLetter, type GroupLag } from '@feedmesh/events';
import { Redis } from 'ioredis';

/**
 * Looks at the mesh's event log from outside, as an operator would: which consumer groups
 * read it, how far behind each is, what each gave up on. Reads only; never joins a group.
 */
export class EventLogInspector {
  private readonly redis: Redis;
  private readonly log: RedisStreamsEventLog;

  constructor(
    redisUrl: string,
    /** The mesh's REDIS_PREFIX; the log lives under `<prefix>:events`. */
    prefix: string,
    partitions = 8,
  ) {
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
    this.redis.on('error', () => undefined);
    this.log = new RedisStreamsEventLog({
      client: this.redis,
      prefix: `${prefix}:events`,
      partitions,
    });
  }

  /**
   * Every group reading the log, found in the partitions themselves rather than listed by
   * name (`EventLog.groups`, what `feedmesh events groups` prints), so a group this test does
   * not know of (a search replica's) is checked too.
   */
  async groups(): Promise<string[]> {
    return (await this.log.groups()).map(({ group }) => group);
  }

  lag(group: string): Promise<GroupLag> {
    return this.log.lag(group);
  }

  /** Every group's lag, as `groups()` read it. */
  async lags(): Promise<Record<string, GroupLag>> {
    return Object.fromEntries(
      (await this.log.groups()).map(({ group, undelivered, pending }) => [
        group,
        { undelivered, pending },
      ]),
    );
  }

  async deadLetters(): Promise<Record<string, DeadLetter[]>> {
    const letters: Record<string, DeadLetter[]> = {};
    for (const group of await this.groups()) letters[group] = await this.log.deadLetters(group);
    return letters;
  }

  /**
   * Waits until every group in `groups` (all of them by default) has nothing undelivered and
   * nothing pending, and resolves with how long that took. Fails after `timeoutMs` with the
   * lags it last saw.
   */
  async waitUntilDrained(
    timeoutMs: number,
    groups?: readonly string[],
  ): Promise<{
    ms: number;
    lags: Record<string, GroupLag>;
    drainedAfterMs: Record<string, number>;
  }> {
    const started = Date.now();
    let lags: Record<string, GroupLag> = {};
    /** When each group was last seen to get from behind to drained, ms after `started`. */
    const drainedAfterMs: Record<string, number> = {};
    for (;;) {
      try {
        const all = await this.lags();
        lags = groups
          ? Object.fromEntries(groups.map((g) => [g, all[g] ?? { undelivered: -1, pending: -1 }]))
          : all;
        for (const [group, lag] of Object.entries(lags)) {
          const drained = lag.undelivered === 0 && lag.pending === 0;
          if (!drained) delete drainedAfterMs[group];
          else drainedAfterMs[group] ??= Date.now() - started;
        }
        const drained = Object.values(lags).every((l) => l.undelivered === 0 && l.pending === 0);
        if (drained && Object.keys(lags).length > 0) {
          return { ms: Date.now() - started, lags, drainedAfterMs };
        }
      } catch {
        // Redis restarting: try again.
      }
      if (Date.now() - started > timeoutMs) {
        throw new Error(`the log was not drained in ${timeoutMs} ms: ${JSON.stringify(lags)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async close(): Promise<void> {
    await this.log.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
