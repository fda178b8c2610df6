import type { eventsv1 } from '@feedmesh/contracts';

/** What the log told us about a post. `blogId` is empty when only its deletion was seen. */
export interface KnownPost {
  readonly blogId: string;
  readonly deleted: boolean;
  /** Normalized (lower case), at most MAX_POST_TAGS. */
  readonly tags: readonly string[];
}

/** Tags kept per post: enough to match a trend and to learn interests from. */
export const MAX_POST_TAGS = 10;

/** Tags as the candidate-generation service matches them: case-insensitive, without '#'. */
export function normalizeTags(tags: readonly string[]): string[] {
  const normalized = new Set<string>();
  for (const tag of tags) {
    const clean = tag.trim().replace(/^#+/, '').toLowerCase();
    if (clean !== '' && clean.length <= 64 && !clean.includes(',')) normalized.add(clean);
    if (normalized.size >= MAX_POST_TAGS) break;
  }
  return [...normalized];
}

export interface KnownBlog {
  readonly ownerUserId: string;
  readonly name: string;
}

/** What `park` did: parked the event, or found its entity known and parked nothing. */
export type ParkOutcome = 'parked' | 'known';

/** A post or blog that activity is waiting to learn about. */
export interface EntityRef {
  readonly kind: 'post' | 'blog';
  readonly id: string;
}

export interface DirectorySettings {
  /** A post or blog is forgotten this long after it was last recorded or looked up. */
  readonly entryTtlMs: number;
  /** Parked activity waits this long after the last one parked on the same entity. */
  readonly parkTtlMs: number;
  /** At most this many events wait on one entity; the oldest go first. */
  readonly parkCap: number;
}

/**
 * Who owns what, learned from the log: post -> blog and tags (PostCreated), deleted posts (PostDeleted,
 * a tombstone that a late PostCreated cannot undo), blog -> owner and name (BlogCreated), and a
 * user's display name (the name of their earliest blog).
 *
 * It also holds activity events that arrived before the post or blog they are about (the log
 * orders events per entity, not across them): parked on that entity until it is recorded.
 */
export interface DirectoryStore {
  recordPost(postId: string, blogId: string, tags?: readonly string[]): Promise<void>;
  recordPostDeleted(postId: string): Promise<void>;
  recordBlog(blogId: string, ownerUserId: string, name: string, atMs: number): Promise<void>;
  post(postId: string): Promise<KnownPost | undefined>;
  blog(blogId: string): Promise<KnownBlog | undefined>;
  /** Display names of those users who own a blog; others are absent from the map. */
  userNames(userIds: readonly string[]): Promise<Map<string, string>>;
  /**
   * Parks `event` on `entity` while the entity is still unknown (a post neither recorded nor
   * deleted, a blog not recorded), checked atomically with the push; when it has become known
   * meanwhile, parks nothing and answers 'known': the caller handles the event now. So an event
   * is never left parked on an entity whose recording (and resume) has already happened, even
   * when another replica records it concurrently.
   */
  park(entity: EntityRef, event: eventsv1.Event, nowMs: number): Promise<ParkOutcome>;
  /** The events parked on `entity`, oldest first. */
  parked(entity: EntityRef, nowMs: number): Promise<eventsv1.Event[]>;
  /** Forgets the `count` oldest events parked on `entity` (those `parked` returned). */
  unpark(entity: EntityRef, count: number): Promise<void>;
}

interface ParkedList {
  /** Newest first, as the Redis list is. */
  readonly events: eventsv1.Event[];
  expiresAt: number;
}

/** The embedded directory; entries do not expire (the process is the playground's lifetime). */
export class InMemoryDirectoryStore implements DirectoryStore {
  private readonly posts = new Map<string, KnownPost>();
  private readonly blogs = new Map<string, KnownBlog>();
  private readonly names = new Map<string, { readonly name: string; readonly atMs: number }>();
  private readonly parkedLists = new Map<string, ParkedList>();

  constructor(private readonly settings: DirectorySettings) {}

  async recordPost(postId: string, blogId: string, tags: readonly string[] = []): Promise<void> {
    const deleted = this.posts.get(postId)?.deleted ?? false;
    this.posts.set(postId, { blogId, deleted, tags: normalizeTags(tags) });
  }

  async recordPostDeleted(postId: string): Promise<void> {
    const known = this.posts.get(postId);
    this.posts.set(postId, { blogId: known?.blogId ?? '', deleted: true, tags: known?.tags ?? [] });
  }

  async recordBlog(blogId: string, ownerUserId: string, name: string, atMs: number): Promise<void> {
    this.blogs.set(blogId, { ownerUserId, name });
    const current = this.names.get(ownerUserId);
    if (current === undefined || atMs < current.atMs) this.names.set(ownerUserId, { name, atMs });
  }

  async post(postId: string): Promise<KnownPost | undefined> {
    return this.posts.get(postId);
  }

  async blog(blogId: string): Promise<KnownBlog | undefined> {
    return this.blogs.get(blogId);
  }

  async userNames(userIds: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (const userId of userIds) {
      const name = this.names.get(userId)?.name;
      if (name !== undefined) found.set(userId, name);
    }
    return found;
  }

  async park(entity: EntityRef, event: eventsv1.Event, nowMs: number): Promise<ParkOutcome> {
    if (this.knows(entity)) return 'known';
    const key = refKey(entity);
    const list = this.liveList(key, nowMs) ?? { events: [], expiresAt: 0 };
    list.events.unshift(event);
    list.events.splice(this.settings.parkCap);
    list.expiresAt = nowMs + this.settings.parkTtlMs;
    this.parkedLists.set(key, list);
    return 'parked';
  }

  async parked(entity: EntityRef, nowMs: number): Promise<eventsv1.Event[]> {
    return [...(this.liveList(refKey(entity), nowMs)?.events ?? [])].reverse();
  }

  async unpark(entity: EntityRef, count: number): Promise<void> {
    const key = refKey(entity);
    const list = this.parkedLists.get(key);
    if (list === undefined) return;
    list.events.splice(Math.max(0, list.events.length - count));
    if (list.events.length === 0) this.parkedLists.delete(key);
  }

  /** What parked events wait for: a post with its blog (or deleted), a blog. */
  private knows(entity: EntityRef): boolean {
    if (entity.kind === 'blog') return this.blogs.has(entity.id);
    const post = this.posts.get(entity.id);
    return post !== undefined && (post.deleted || post.blogId !== '');
  }

  private liveList(key: string, nowMs: number): ParkedList | undefined {
    const list = this.parkedLists.get(key);
    if (list !== undefined && list.expiresAt <= nowMs) {
      this.parkedLists.delete(key);
      return undefined;
    }
    return list;
  }
}

function refKey(entity: EntityRef): string {
  return `${entity.kind}:${entity.id}`;
}

/** What the triggers read of the directory. */
export type DirectoryLookups = Pick<DirectoryStore, 'post' | 'blog'>;

/**
 * Lookups remembered for the handling of one event: the activity trigger and the interest
 * learner read the same post and blog, concurrently, in one round trip each.
 */
export function memoizedLookups(directory: DirectoryLookups): DirectoryLookups {
  const posts = new Map<string, Promise<KnownPost | undefined>>();
  const blogs = new Map<string, Promise<KnownBlog | undefined>>();
  return {
    post(postId) {
      let found = posts.get(postId);
      if (found === undefined) {
        found = directory.post(postId);
        posts.set(postId, found);
      }
      return found;
    },
    blog(blogId) {
      let found = blogs.get(blogId);
      if (found === undefined) {
        found = directory.blog(blogId);
        blogs.set(blogId, found);
      }
      return found;
    },
  };
}
