import { notificationv1 } from '@feedmesh/contracts';
import type { RedisClient } from '@feedmesh/service-kit';
import type {
  AppendResult,
  InboxPage,
  InboxSettings,
  InboxStore,
  NotificationDraft,
  PageQuery,
} from './inbox-store.js';
import { LuaScript, redisCall } from './redis-call.js';
import type { NotificationKeys } from './redis-keys.js';

/**
 * Keys of user U (`{u:U}:inbox`), all expiring `ttlMs` after the last delivery:
 * - `:ids`     zset of notification ids, all scored 0 so they order by id (lex = time order)
 * - `:unread`  the same for the unread ones
 * - `:bodies`  hash id -> the notification as proto JSON, without id, user and read flag
 * - `:last`    the last id given, so the next one is larger (see notification-id.ts)
 * - `:dk:<K>`  dedupe key K -> the id it was delivered as, for `dedupeMemoryMs`
 */
const APPEND = new LuaScript(
  'notification.inbox.append',
  `
local existing = redis.call('GET', KEYS[5])
if existing then return {0, existing} end
local last = tonumber(redis.call('GET', KEYS[4]) or '0')
local id = string.format('%016.0f', math.max(last + 1, tonumber(ARGV[1]) * 1000))
redis.call('SET', KEYS[4], id, 'PX', ARGV[4])
redis.call('ZADD', KEYS[1], 0, id)
redis.call('ZADD', KEYS[2], 0, id)
redis.call('HSET', KEYS[3], id, ARGV[2])
redis.call('SET', KEYS[5], id, 'PX', ARGV[5])
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
if excess > 0 then
  local dropped = redis.call('ZPOPMIN', KEYS[1], excess)
  for i = 1, #dropped, 2 do
    redis.call('ZREM', KEYS[2], dropped[i])
    redis.call('HDEL', KEYS[3], dropped[i])
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
return {1, id}
`,
);

/** Walks KEYS[1] (all ids, or unread ids) from a bound; returns unread count and id/body/read triples. */
const RANGE = new LuaScript(
  'notification.inbox.range',
  `
local ids
if ARGV[1] == 'newest' then
  local max = ARGV[2] == '' and '+' or ('(' .. ARGV[2])
  ids = redis.call('ZREVRANGEBYLEX', KEYS[1], max, '-', 'LIMIT', 0, tonumber(ARGV[3]))
else
  local min = ARGV[2] == '' and '-' or ('(' .. ARGV[2])
  ids = redis.call('ZRANGEBYLEX', KEYS[1], min, '+', 'LIMIT', 0, tonumber(ARGV[3]))
end
local found = {}
for _, id in ipairs(ids) do
  local body = redis.call('HGET', KEYS[3], id)
  if body then
    found[#found + 1] = id
    found[#found + 1] = body
    found[#found + 1] = redis.call('ZSCORE', KEYS[2], id) and '0' or '1'
  end
end
return {redis.call('ZCARD', KEYS[2]), found}
`,
);

const MARK_READ = new LuaScript(
  'notification.inbox.mark-read',
  `
if ARGV[1] == 'all' then
  redis.call('DEL', KEYS[1])
elseif #ARGV > 1 then
  redis.call('ZREM', KEYS[1], unpack(ARGV, 2))
end
return redis.call('ZCARD', KEYS[1])
`,
);

/** The inbox in Redis: one script per operation, so each is one round trip and atomic. */
export class RedisInboxStore implements InboxStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: NotificationKeys,
    private readonly settings: InboxSettings,
  ) {}

  async append(
    userId: string,
    draft: NotificationDraft,
    dedupeKey: string,
    nowMs: number,
  ): Promise<AppendResult> {
    const k = this.inboxKeys(userId);
    const body = JSON.stringify(
      notificationv1.Notification.toJSON({ ...draft, notificationId: '', userId: '', read: false }),
    );
    const reply = (await APPEND.run(
      this.redis,
      [k.ids, k.unread, k.bodies, k.last, `${k.root}:dk:${dedupeKey}`],
      [nowMs, body, this.settings.cap, this.settings.ttlMs, this.settings.dedupeMemoryMs],
    )) as [number, string];
    const [fresh, notificationId] = reply;
    if (fresh !== 1) return { status: 'duplicate', notificationId };
    return {
      status: 'delivered',
      notification: { ...draft, notificationId, userId, read: false },
    };
  }

  async wasDelivered(userId: string, dedupeKey: string): Promise<boolean> {
    const key = `${this.inboxKeys(userId).root}:dk:${dedupeKey}`;
    return (await redisCall('EXISTS', () => this.redis.exists(key))) === 1;
  }

  async page(userId: string, query: PageQuery): Promise<InboxPage> {
    const k = this.inboxKeys(userId);
    const { unreadCount, notifications } = await this.range(
      userId,
      query.unreadOnly ? k.unread : k.ids,
      'newest',
      query.before ?? '',
      query.pageSize + 1,
    );
    const page = notifications.slice(0, query.pageSize);
    const last = page[page.length - 1];
    return {
      notifications: page,
      nextBefore: notifications.length > query.pageSize && last ? last.notificationId : undefined,
      unreadCount,
    };
  }

  async after(
    userId: string,
    afterId: string,
    limit: number,
  ): Promise<notificationv1.Notification[]> {
    const k = this.inboxKeys(userId);
    return (await this.range(userId, k.ids, 'oldest', afterId, limit)).notifications;
  }

  async latestId(userId: string): Promise<string> {
    const key = this.inboxKeys(userId).ids;
    const [id] = await redisCall('ZREVRANGEBYLEX', () =>
      this.redis.zrevrangebylex(key, '+', '-', 'LIMIT', 0, 1),
    );
    return id ?? '';
  }

  async find(
    userId: string,
    notificationId: string,
  ): Promise<notificationv1.Notification | undefined> {
    const k = this.inboxKeys(userId);
    const reply = await redisCall('MULTI HGET', () =>
      this.redis.multi().hget(k.bodies, notificationId).zscore(k.unread, notificationId).exec(),
    );
    const body = reply?.[0]?.[1];
    if (typeof body !== 'string') return undefined;
    const stored = notificationv1.Notification.fromJSON(JSON.parse(body));
    return { ...stored, notificationId, userId, read: reply?.[1]?.[1] === null };
  }

  async markRead(userId: string, ids: readonly string[] | 'all'): Promise<number> {
    const args = ids === 'all' ? ['all'] : ['ids', ...ids];
    return Number(await MARK_READ.run(this.redis, [this.inboxKeys(userId).unread], args));
  }

  async unreadCount(userId: string): Promise<number> {
    const key = this.inboxKeys(userId).unread;
    return redisCall('ZCARD', () => this.redis.zcard(key));
  }

  private async range(
    userId: string,
    index: string,
    from: 'newest' | 'oldest',
    bound: string,
    limit: number,
  ): Promise<{ unreadCount: number; notifications: notificationv1.Notification[] }> {
    const k = this.inboxKeys(userId);
    const [unreadCount, flat] = (await RANGE.run(
      this.redis,
      [index, k.unread, k.bodies],
      [from, bound, limit],
    )) as [number, string[]];
    const notifications: notificationv1.Notification[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      const stored = notificationv1.Notification.fromJSON(JSON.parse(flat[i + 1] ?? '{}'));
      notifications.push({
        ...stored,
        notificationId: flat[i] ?? '',
        userId,
        read: flat[i + 2] === '1',
      });
    }
    return { unreadCount, notifications };
  }

  private inboxKeys(userId: string) {
    const root = `${this.keys.user(userId)}:inbox`;
    return {
      root,
      ids: `${root}:ids`,
      unread: `${root}:unread`,
      bodies: `${root}:bodies`,
      last: `${root}:last`,
    };
  }
}
