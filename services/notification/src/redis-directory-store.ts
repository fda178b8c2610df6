import { eventsv1 } from '@feedmesh/contracts';
import type { RedisClient } from '@feedmesh/service-kit';
import {
  normalizeTags,
  type DirectorySettings,
  type DirectoryStore,
  type EntityRef,
  type KnownBlog,
  type KnownPost,
  type ParkOutcome,
} from './directory-store.js';
import { LuaScript, redisCall } from './redis-call.js';
import type { NotificationKeys } from './redis-keys.js';
import { resultOf, TickPipeline } from './tick-pipeline.js';

/** A user's name is their earliest blog's, whatever order the BlogCreated events arrive in. */
const RECORD_NAME = new LuaScript(
  'notification.directory.record-name',
  `
local current = redis.call('HGET', KEYS[1], 'atMs')
if not current or tonumber(ARGV[2]) < tonumber(current) then
  redis.call('HSET', KEYS[1], 'name', ARGV[1], 'atMs', ARGV[2])
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`,
);

/**
 * Parks an event on a post or blog only while it is unknown. KEYS: the parked list, the entity's
 * hash (same hash tag). ARGV: the event (proto JSON), the field that makes the entity known
 * (`blog` for a post, `owner` for a blog), the cap, the time to live (ms). A post that is
 * deleted is known too: nothing waits for it. Returns 1 (parked) or 0 (known: nothing parked).
 *
 * Checked in one script with the push: a replica recording the entity writes its hash before
 * it reads the parked list to resume, so the event is either pushed before that write (and
 * resumed) or finds the entity here (and its handler goes on with it at once).
 */
const PARK = new LuaScript(
  'notification.directory.park',
  `
local known = redis.call('HGET', KEYS[2], ARGV[2])
if (known and known ~= '') or redis.call('HGET', KEYS[2], 'deleted') == '1' then return 0 end
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[3]) - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`,
);

/** Blogs remembered in process, and how often a remembered one's entry TTL is refreshed. */
const BLOGS_CACHED = 50_000;
const BLOG_REFRESH_MS = 24 * 60 * 60 * 1000;

/**
 * Keys: `{p:P}:post` (hash blog, deleted, tags), `{b:B}:blog` (hash owner, name), `{u:U}:name`
 * (hash name, atMs), and `{p:P}:parked` / `{b:B}:parked` (lists of proto-JSON events, newest
 * first, under the entity's hash tag so a park can check the entity: PARK). Directory entries
 * expire `entryTtlMs` after they were last recorded or looked up; a like on a post older than
 * that is parked, then dropped.
 */
export class RedisDirectoryStore implements DirectoryStore {
  /** Blogs read lately, oldest first (a FIFO bound, enough for a working set). */
  private readonly blogs = new Map<string, { readonly blog: KnownBlog; refreshedAt: number }>();

  /** Reads of one turn of the event loop (a batch's lookups) go as one pipeline. */
  private readonly reads: TickPipeline;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: NotificationKeys,
    private readonly settings: DirectorySettings,
  ) {
    this.reads = new TickPipeline(redis, 'HGETALL');
  }

  /** Tags are stored comma-joined: the gateway refuses tags with commas. */
  async recordPost(postId: string, blogId: string, tags: readonly string[] = []): Promise<void> {
    await this.writeHash(this.postKey(postId), [
      'blog',
      blogId,
      'tags',
      normalizeTags(tags).join(','),
    ]);
  }

  async recordPostDeleted(postId: string): Promise<void> {
    await this.writeHash(this.postKey(postId), ['deleted', '1']);
  }

  async recordBlog(blogId: string, ownerUserId: string, name: string, atMs: number): Promise<void> {
    this.blogs.delete(blogId);
    await Promise.all([
      this.writeHash(this.blogKey(blogId), ['owner', ownerUserId, 'name', name]),
      RECORD_NAME.run(
        this.redis,
        [`${this.keys.user(ownerUserId)}:name`],
        [name, atMs, this.settings.entryTtlMs],
      ),
    ]);
  }

  async post(postId: string): Promise<KnownPost | undefined> {
    const fields = await this.readHash(this.postKey(postId));
    if (fields === undefined) return undefined;
    const tags = fields['tags'] ?? '';
    return {
      blogId: fields['blog'] ?? '',
      deleted: fields['deleted'] === '1',
      tags: tags === '' ? [] : tags.split(','),
    };
  }

  /**
   * A blog's owner and name never change once created, so they are remembered in process
   * (every like reads its post's blog). A remembered blog still has its entry's TTL refreshed
   * now and then, so a blog that is only ever read from memory does not expire in Redis.
   */
  async blog(blogId: string): Promise<KnownBlog | undefined> {
    const cached = this.blogs.get(blogId);
    const now = Date.now();
    if (cached !== undefined) {
      if (now - cached.refreshedAt > BLOG_REFRESH_MS) {
        cached.refreshedAt = now;
        const key = this.blogKey(blogId);
        void this.redis.pexpire(key, this.settings.entryTtlMs).catch(() => undefined);
      }
      return cached.blog;
    }
    const fields = await this.readHash(this.blogKey(blogId));
    if (fields?.['owner'] === undefined) return undefined;
    const blog = { ownerUserId: fields['owner'], name: fields['name'] ?? '' };
    if (this.blogs.size >= BLOGS_CACHED) this.blogs.delete(this.blogs.keys().next().value ?? '');
    this.blogs.set(blogId, { blog, refreshedAt: now });
    return blog;
  }

  /** One command per user: on a Cluster their keys live in different slots. */
  async userNames(userIds: readonly string[]): Promise<Map<string, string>> {
    const names = await Promise.all(
      userIds.map((userId) =>
        redisCall('HGET', () => this.redis.hget(`${this.keys.user(userId)}:name`, 'name')),
      ),
    );
    const found = new Map<string, string>();
    userIds.forEach((userId, index) => {
      const name = names[index];
      if (name !== null && name !== undefined) found.set(userId, name);
    });
    return found;
  }

  async park(entity: EntityRef, event: eventsv1.Event): Promise<ParkOutcome> {
    const json = JSON.stringify(eventsv1.Event.toJSON(event));
    const [entityKey, knownBy] =
      entity.kind === 'post'
        ? [this.postKey(entity.id), 'blog']
        : [this.blogKey(entity.id), 'owner'];
    const parked = await PARK.run(
      this.redis,
      [this.parkedKey(entity), entityKey],
      [json, knownBy, this.settings.parkCap, this.settings.parkTtlMs],
    );
    return parked === 1 ? 'parked' : 'known';
  }

  async parked(entity: EntityRef): Promise<eventsv1.Event[]> {
    const key = this.parkedKey(entity);
    const items = await redisCall('LRANGE', () => this.redis.lrange(key, 0, -1));
    return items.reverse().map((json) => eventsv1.Event.fromJSON(JSON.parse(json) as unknown));
  }

  /** Newer events parked meanwhile sit at the head of the list and stay. */
  async unpark(entity: EntityRef, count: number): Promise<void> {
    if (count <= 0) return;
    const key = this.parkedKey(entity);
    await redisCall('LTRIM', () => this.redis.ltrim(key, 0, -(count + 1)));
  }

  private async writeHash(key: string, fields: string[]): Promise<void> {
    await redisCall('MULTI HSET', () =>
      this.redis
        .multi()
        .hset(key, ...fields)
        .pexpire(key, this.settings.entryTtlMs)
        .exec(),
    );
  }

  /**
   * Reading refreshes the entry: a post still being engaged with stays known. Pipelined, not
   * a transaction: the two need not be atomic, and MULTI/EXEC doubles the commands.
   */
  private async readHash(key: string): Promise<Record<string, string> | undefined> {
    const [read] = await this.reads.send((pipeline) =>
      pipeline.hgetall(key).pexpire(key, this.settings.entryTtlMs),
    );
    const fields = resultOf(read, 'HGETALL') as Record<string, string> | undefined;
    return fields === undefined || Object.keys(fields).length === 0 ? undefined : fields;
  }

  private postKey(postId: string): string {
    return `${this.keys.post(postId)}:post`;
  }

  private blogKey(blogId: string): string {
    return `${this.keys.blog(blogId)}:blog`;
  }

  private parkedKey(entity: EntityRef): string {
    const root = entity.kind === 'post' ? this.keys.post(entity.id) : this.keys.blog(entity.id);
    return `${root}:parked`;
  }
}
