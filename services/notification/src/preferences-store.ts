import { notificationv1 } from '@feedmesh/contracts';
import type { RedisClient } from '@feedmesh/service-kit';
import { redisCall } from './redis-call.js';
import type { NotificationKeys } from './redis-keys.js';

/**
 * Each user's notification preferences as they set them (validated and normalized by the
 * service). Undefined for a user who never set any: the defaults apply.
 */
export interface PreferencesStore {
  get(userId: string): Promise<notificationv1.Preferences | undefined>;
  set(userId: string, preferences: notificationv1.Preferences): Promise<void>;
}

export class InMemoryPreferencesStore implements PreferencesStore {
  private readonly byUser = new Map<string, notificationv1.Preferences>();

  async get(userId: string): Promise<notificationv1.Preferences | undefined> {
    const stored = this.byUser.get(userId);
    return stored === undefined ? undefined : structuredClone(stored);
  }

  async set(userId: string, preferences: notificationv1.Preferences): Promise<void> {
    this.byUser.set(userId, structuredClone(preferences));
  }
}

/**
 * One key per user who set preferences (`{u:U}:prefs`, proto JSON). It has no TTL on purpose:
 * a setting the user chose must not silently revert; its size is bounded by the validation
 * (four types, three channels each).
 */
export class RedisPreferencesStore implements PreferencesStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: NotificationKeys,
  ) {}

  async get(userId: string): Promise<notificationv1.Preferences | undefined> {
    const key = this.key(userId);
    const stored = await redisCall('GET', () => this.redis.get(key));
    return stored === null
      ? undefined
      : notificationv1.Preferences.fromJSON(JSON.parse(stored) as unknown);
  }

  async set(userId: string, preferences: notificationv1.Preferences): Promise<void> {
    const key = this.key(userId);
    const json = JSON.stringify(notificationv1.Preferences.toJSON(preferences));
    await redisCall('SET', () => this.redis.set(key, json));
  }

  private key(userId: string): string {
    return `${this.keys.user(userId)}:prefs`;
  }
}
