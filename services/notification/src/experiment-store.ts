import { commonv1 } from '@feedmesh/contracts';
import type { RedisClient } from '@feedmesh/service-kit';
import { LuaScript, redisCall } from './redis-call.js';
import type { NotificationKeys } from './redis-keys.js';

type Assignment = commonv1.ExperimentAssignment;

/**
 * The experiment variants each user was last served under, learned from the gateway's
 * Impression events (which carry the request's assignments). Every NotificationSent carries
 * them, so the experiment report can compare what notifications did per variant (opens,
 * sessions within 3 days of a reactivation digest) without this service knowing the
 * experiment config. The latest impression by event time wins; none means no variants.
 */
export interface ExperimentStore {
  /**
   * Remembers the impression's assignments unless a later impression's are remembered: at most
   * MAX_ASSIGNMENTS, the first by experiment id (then variant), whatever their order in the
   * impression, so every replica and every replay keeps the same ones. Resolves with the
   * assignments beyond those, in that order (none: `[]`), for the caller to log and count.
   */
  record(userId: string, experiments: readonly Assignment[], atMs: number): Promise<Assignment[]>;
  get(userId: string): Promise<Assignment[]>;
}

/** Assignments are kept this long after the impression that told them. */
const MEMORY_MS = 30 * 24 * 60 * 60 * 1000;
/** More than any sane config; bounds the stored value. */
export const MAX_ASSIGNMENTS = 50;

/** Sorted by experiment id (then variant) before the cut: the input's order decides nothing. */
function limited(experiments: readonly Assignment[]): { kept: Assignment[]; cut: Assignment[] } {
  const sorted = experiments
    .map(({ experiment, variant }) => ({ experiment, variant }))
    .sort((a, b) => compare(a.experiment, b.experiment) || compare(a.variant, b.variant));
  return { kept: sorted.slice(0, MAX_ASSIGNMENTS), cut: sorted.slice(MAX_ASSIGNMENTS) };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class InMemoryExperimentStore implements ExperimentStore {
  private readonly byUser = new Map<string, { atMs: number; experiments: Assignment[] }>();

  async record(
    userId: string,
    experiments: readonly Assignment[],
    atMs: number,
  ): Promise<Assignment[]> {
    const { kept, cut } = limited(experiments);
    const current = this.byUser.get(userId);
    if (current === undefined || current.atMs <= atMs) {
      this.byUser.set(userId, { atMs, experiments: kept });
    }
    return cut;
  }

  async get(userId: string): Promise<Assignment[]> {
    return (this.byUser.get(userId)?.experiments ?? []).map((a) => ({ ...a }));
  }
}

/** `{u:U}:experiments` hash `at`, `json`: written only by a later impression. */
const RECORD = new LuaScript(
  'notification.experiments.record',
  `
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or '-1')
if tonumber(ARGV[1]) < at then return 0 end
redis.call('HSET', KEYS[1], 'at', ARGV[1], 'json', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`,
);

/**
 * Impressions come by the dozen per feed page with the same assignments, so this process
 * remembers what it last wrote per user and skips writing the same again within an hour
 * (bounded; a cleared cache only costs writes). A user's impressions are read by one consumer
 * while the group's partitions stay assigned, so the memory is rarely behind Redis; when it is
 * (a rebalance), a variant change shows at most an hour late.
 */
export class RedisExperimentStore implements ExperimentStore {
  private readonly written = new Map<string, { readonly json: string; readonly atMs: number }>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: NotificationKeys,
    private readonly maxCached = 100_000,
  ) {}

  async record(
    userId: string,
    experiments: readonly Assignment[],
    atMs: number,
  ): Promise<Assignment[]> {
    const { kept, cut } = limited(experiments);
    const json = JSON.stringify(kept);
    const last = this.written.get(userId);
    // Same variants as an impression at most an hour older: nothing new to say.
    if (
      last !== undefined &&
      last.json === json &&
      atMs >= last.atMs &&
      atMs - last.atMs < 3_600_000
    ) {
      return cut;
    }
    const wrote = await RECORD.run(this.redis, [this.key(userId)], [atMs, json, MEMORY_MS]);
    if (wrote === 1) {
      if (this.written.size >= this.maxCached) this.written.clear();
      this.written.set(userId, { json, atMs });
    }
    return cut;
  }

  async get(userId: string): Promise<Assignment[]> {
    const key = this.key(userId);
    const json = await redisCall('HGET', () => this.redis.hget(key, 'json'));
    if (json === null) return [];
    const parsed = JSON.parse(json) as unknown;
    return Array.isArray(parsed)
      ? parsed.map((item) => commonv1.ExperimentAssignment.fromJSON(item))
      : [];
  }

  private key(userId: string): string {
    return `${this.keys.user(userId)}:experiments`;
  }
}
