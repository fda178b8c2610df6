import type { Logger, Runtime } from '@feedmesh/service-kit';
import { InMemoryBlockStore, type BlockStore } from './block-store.js';
import { InMemoryDigestStore, type DigestStore } from './digest-store.js';
import { InMemoryDirectoryStore, type DirectoryStore } from './directory-store.js';
import {
  InMemoryExperimentStore,
  RedisExperimentStore,
  type ExperimentStore,
} from './experiment-store.js';
import { InMemoryInboxStore, type InboxStore } from './inbox-store.js';
import {
  InMemoryInterestStore,
  type InterestSettings,
  type InterestStore,
} from './interest-store.js';
import { InMemoryJobLeases, RedisJobLeases, type JobLeases } from './job-lease.js';
import { InMemoryLiveFeed, type LiveFeed } from './live-feed.js';
import {
  InMemoryOpenStatsStore,
  RedisOpenStatsStore,
  type OpenStatsStore,
} from './open-stats-store.js';
import {
  CachedPreferencesStore,
  InMemoryPreferencesStore,
  RedisPreferencesStore,
  type PreferencesStore,
} from './preferences-store.js';
import { InMemoryQuotaStore, type QuotaStore } from './quota-store.js';
import { RedisBlockStore } from './redis-block-store.js';
import { RedisDigestStore } from './redis-digest-store.js';
import { RedisDirectoryStore } from './redis-directory-store.js';
import { RedisInboxStore } from './redis-inbox-store.js';
import { RedisInterestStore } from './redis-interest-store.js';
import { NotificationKeys } from './redis-keys.js';
import { RedisLiveFeed } from './redis-live-feed.js';
import { RedisQuotaStore } from './redis-quota-store.js';
import { RedisSessionStore } from './redis-session-store.js';
import { InMemorySessionStore, type SessionSettings, type SessionStore } from './session-store.js';

/** Everything the service keeps, in Redis when the runtime has it, in memory otherwise. */
export interface NotificationStores {
  readonly inbox: InboxStore;
  readonly digests: DigestStore;
  readonly preferences: PreferencesStore;
  readonly quotas: QuotaStore;
  readonly directory: DirectoryStore;
  readonly blocks: BlockStore;
  readonly interests: InterestStore;
  readonly sessions: SessionStore;
  readonly openStats: OpenStatsStore;
  readonly experiments: ExperimentStore;
  readonly jobLeases: JobLeases;
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
  /** Digest and lapse-check shards. */
  readonly shards: number;
  readonly directoryTtlMs: number;
  readonly parkTtlMs: number;
  readonly parkCap: number;
  /** Blogs (blocked or unblocked) remembered per user. */
  readonly blocksPerUser: number;
  readonly interests: InterestSettings;
  readonly sessions: SessionSettings;
  /** How long preferences read for the policies are reused, ms. */
  readonly preferencesCacheMs: number;
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
      quotas: new InMemoryQuotaStore(),
      directory: new InMemoryDirectoryStore(directorySettings),
      blocks: new InMemoryBlockStore({ perUser: settings.blocksPerUser }),
      interests: new InMemoryInterestStore(settings.interests),
      sessions: new InMemorySessionStore(settings.sessions),
      openStats: new InMemoryOpenStatsStore(),
      experiments: new InMemoryExperimentStore(),
      jobLeases: new InMemoryJobLeases(),
      live: new InMemoryLiveFeed(),
    };
  }
  const keys = new NotificationKeys(runtime.prefix);
  return {
    inbox: new RedisInboxStore(redis, keys, inboxSettings),
    digests: new RedisDigestStore(redis, keys, { ...digestSettings, shards: settings.shards }),
    preferences: new CachedPreferencesStore(
      new RedisPreferencesStore(redis, keys),
      settings.preferencesCacheMs,
    ),
    quotas: new RedisQuotaStore(redis, keys),
    directory: new RedisDirectoryStore(redis, keys, directorySettings),
    blocks: new RedisBlockStore(redis, keys, { perUser: settings.blocksPerUser }),
    interests: new RedisInterestStore(redis, keys, settings.interests),
    sessions: new RedisSessionStore(redis, keys, { ...settings.sessions, shards: settings.shards }),
    openStats: new RedisOpenStatsStore(redis, keys),
    experiments: new RedisExperimentStore(redis, keys),
    jobLeases: new RedisJobLeases(redis, keys),
    live: new RedisLiveFeed(redis, keys, logger),
  };
}
