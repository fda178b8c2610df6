import type { RedisClient } from '@feedmesh/service-kit';
import { redisCall } from './redis-call.js';
import type { NotificationKeys } from './redis-keys.js';

/**
 * "This period's run of job X is mine": every replica runs the periodic jobs, and the lease
 * makes one of them do the work per period. Losing a lease holder costs at most one period;
 * the jobs are idempotent anyway (their entries have deterministic ids), the lease only saves
 * duplicate calls to other services.
 */
export interface JobLeases {
  tryLease(job: string, holder: string, nowMs: number, ttlMs: number): Promise<boolean>;
}

export class InMemoryJobLeases implements JobLeases {
  private readonly leases = new Map<string, { holder: string; until: number }>();

  async tryLease(job: string, holder: string, nowMs: number, ttlMs: number): Promise<boolean> {
    const lease = this.leases.get(job);
    if (lease !== undefined && lease.until > nowMs) return false;
    this.leases.set(job, { holder, until: nowMs + ttlMs });
    return true;
  }
}

export class RedisJobLeases implements JobLeases {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: NotificationKeys,
  ) {}

  async tryLease(job: string, holder: string, _nowMs: number, ttlMs: number): Promise<boolean> {
    const key = `${this.keys.job(job)}:lease`;
    const reply = await redisCall('SET NX', () => this.redis.set(key, holder, 'PX', ttlMs, 'NX'));
    return reply === 'OK';
  }
}
