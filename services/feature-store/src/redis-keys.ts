import type { UserSet } from './feature-registry.js';

/**
 * The Redis store's key layout, under `<REDIS_PREFIX>:fs`. Everything of one user shares the
 * hash tag `{u:<id>}` (state, per-blog and per-tag state, sets, interest indexes), so a user's
 * writes are one script and a user's reads one pipeline, on one Cluster node. A post's value
 * (meta and state) and parked engagements share `{p:<id>}`; a blog's state is `{b:<id>}`. Reads across posts or blogs span slots: `SlotBatch` splits them.
 */
export class FeatureKeys {
  private readonly root: string;

  constructor(prefix: string) {
    this.root = `${prefix}:fs`;
  }

  user(userId: string): string {
    return `${this.userTag(userId)}:s`;
  }

  userBlog(userId: string, blogId: string): string {
    return `${this.userTag(userId)}:b:${blogId}`;
  }

  /** Tags are free text; anything after the hash tag is fine in a key. */
  userTagState(userId: string, tag: string): string {
    return `${this.userTag(userId)}:t:${tag}`;
  }

  userSet(userId: string, set: UserSet): string {
    return `${this.userTag(userId)}:set:${set}`;
  }

  /** The tags or blogs the user touched, scored by the time of the latest touch. */
  interestIndex(userId: string, kind: 'tags' | 'blogs'): string {
    return `${this.userTag(userId)}:idx:${kind}`;
  }

  /** The user's keys start with this: the Lua scripts name a dropped tag or blog state from it. */
  userRoot(userId: string): string {
    return `${this.userTag(userId)}:`;
  }

  /** The post's meta and state in one value (see UPDATE_POSTS in redis-scripts.ts). */
  post(postId: string): string {
    return `${this.root}:{p:${postId}}:v`;
  }

  parkedEngagements(postId: string): string {
    return `${this.root}:{p:${postId}}:parked`;
  }

  /** The PostCreated that created the post, then the engagements its creation joined. */
  joinedEngagements(postId: string): string {
    return `${this.root}:{p:${postId}}:joined`;
  }

  /**
   * How many post metas were replaced by an earlier PostCreated (see `Creation`): processes
   * that cached a meta forget their cache when it moves.
   */
  metaReplacements(): string {
    return `${this.root}:meta-replacements`;
  }

  blog(blogId: string): string {
    return `${this.root}:{b:${blogId}}:s`;
  }

  /**
   * The marker that an entity counted an event (see `EntityWrite`): beside the entity's main
   * key, whose last character the scripts replace with `e:<event id>`.
   */
  /** A batch unit's write that landed, which the unit's next write requires (see CLAIM). */
  landed(token: string): string {
    return `${this.root}:landed:${token}`;
  }

  /** A batch unit's veto (see CLAIM in redis-scripts.ts): a single Redis only, so no hash tag. */
  veto(token: string): string {
    return `${this.root}:veto:${token}`;
  }

  counted(entity: 'user' | 'post' | 'blog', id: string, eventId: string): string {
    const tag =
      entity === 'user'
        ? this.userTag(id)
        : `${this.root}:{${entity === 'post' ? 'p' : 'b'}:${id}}`;
    return `${tag}:e:${eventId}`;
  }

  private userTag(userId: string): string {
    return `${this.root}:{u:${userId}}`;
  }
}
