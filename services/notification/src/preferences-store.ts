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

/**
 * Remembers what `inner` answered for `ttlMs`: several policies read the same user's
 * preferences for every candidate, and a flush holds many candidates of few users. A change
 * made through this process is seen at once; one made through another replica within `ttlMs`.
 */
export class CachedPreferencesStore implements PreferencesStore {
  private readonly cache = new Map<
    string,
    { readonly value: Promise<notificationv1.Preferences | undefined>; readonly expiresAt: number }
  >();

  constructor(
    private readonly inner: PreferencesStore,
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(userId: string): Promise<notificationv1.Preferences | undefined> {
    const now = Date.now();
    const cached = this.cache.get(userId);
    if (cached !== undefined && cached.expiresAt > now) return cached.value;
    const value = this.inner.get(userId);
    // A failed read is not remembered: the next candidate asks again.
    value.catch(() => this.cache.delete(userId));
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(userId, { value, expiresAt: now + this.ttlMs });
    return value;
  }

  async set(userId: string, preferences: notificationv1.Preferences): Promise<void> {
    this.cache.delete(userId);
    await this.inner.set(userId, preferences);
    this.cache.delete(userId);
  }
}
