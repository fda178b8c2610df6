import type { Logger, Runtime } from '@feedmesh/service-kit';
import { InMemoryDigestStore, type DigestStore } from './digest-store.js';
import { InMemoryDirectoryStore, type DirectoryStore } from './directory-store.js';
import { InMemoryFatigueStore, RedisFatigueStore, type FatigueStore } from './fatigue-store.js';
import { InMemoryInboxStore, type InboxStore } from './inbox-store.js';
import { InMemoryLiveFeed, type LiveFeed } from './live-feed.js';
import {
  InMemoryPreferencesStore,
  RedisPreferencesStore,
  type PreferencesStore,
} from './preferences-store.js';
import { RedisDigestStore } from './redis-digest-store.js';
import { RedisDirectoryStore } from './redis-directory-store.js';
import { RedisInboxStore } from './redis-inbox-store.js';
import { NotificationKeys } from './redis-keys.js';
import { RedisLiveFeed } from './redis-live-feed.js';

/** Everything the service keeps, in Redis when the runtime has it, in memory otherwise. */
export interface NotificationStores {
  readonly inbox: InboxStore;
  readonly digests: DigestStore;
  readonly preferences: PreferencesStore;
  readonly fatigue: FatigueStore;
  readonly directory: DirectoryStore;
  readonly live: LiveFeed;
}

export interface StoreSettings {
  readonly inboxCap: number;
  readonly inboxTtlMs: number;
  /** How long a delivered dedupe key is remembered. */
  readonly deliveryMemoryMs: number;
  readonly digestWindowMs: number;
  /** How long a digested event id is remembered. */
  readonly eventMemoryMs: number;
  readonly digestShards: number;
  readonly directoryTtlMs: number;
  readonly parkTtlMs: number;
  readonly parkCap: number;
}

export function createNotificationStores(
  runtime: Runtime,
  settings: StoreSettings,
  logger: Logger,
): NotificationStores {
  const inboxSettings = {
    cap: settings.inboxCap,
    ttlMs: settings.inboxTtlMs,
    dedupeMemoryMs: settings.deliveryMemoryMs,
  };
  const digestSettings = {
    windowMs: settings.digestWindowMs,
    eventMemoryMs: settings.eventMemoryMs,
  };
  const directorySettings = {
    entryTtlMs: settings.directoryTtlMs,
    parkTtlMs: settings.parkTtlMs,
    parkCap: settings.parkCap,
  };
  const redis = runtime.redis;
  if (redis === undefined) {
    return {
      inbox: new InMemoryInboxStore(inboxSettings),
      digests: new InMemoryDigestStore(digestSettings),
      preferences: new InMemoryPreferencesStore(),
      fatigue: new InMemoryFatigueStore(),
      directory: new InMemoryDirectoryStore(directorySettings),
      live: new InMemoryLiveFeed(),
    };
  }
  const keys = new NotificationKeys(runtime.prefix);
  return {
    inbox: new RedisInboxStore(redis, keys, inboxSettings),
    digests: new RedisDigestStore(redis, keys, {
      ...digestSettings,
      shards: settings.digestShards,
    }),
    preferences: new RedisPreferencesStore(redis, keys),
    fatigue: new RedisFatigueStore(redis, keys),
    directory: new RedisDirectoryStore(redis, keys, directorySettings),
    live: new RedisLiveFeed(redis, keys, logger),
  };
}
