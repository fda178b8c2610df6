import type {
  BlogWrite,
  ParkedEngagement,
  PostMeta,
  PostWrite,
  RelationChange,
  TouchedSet,
  UserWrite,
  WritePlan,
} from './feature-store.js';
import { EntityDelta } from './state-delta.js';
import { LAYOUTS } from './state-layout.js';

interface PostEntry {
  readonly delta: EntityDelta<'post'>;
  create?: { readonly meta: PostMeta; readonly parkedRead: number };
  readonly park: ParkedEngagement[];
}

interface UserEntry {
  readonly delta: EntityDelta<'user'>;
  readonly blogs: Map<string, EntityDelta<'user_blog'>>;
  readonly tags: Map<string, EntityDelta<'user_tag'>>;
  /** By set and id: the latest time, since a set keeps each id at its latest touch. */
  readonly touches: Map<string, { set: TouchedSet; id: string; atMs: number }>;
  readonly relations: RelationChange[];
}

/** Collects a batch's changes into one write per entity. */
export class WritePlanBuilder {
  private readonly posts = new Map<string, PostEntry>();
  private readonly users = new Map<string, UserEntry>();
  private readonly blogs = new Map<string, EntityDelta<'blog'>>();

  get isEmpty(): boolean {
    return this.posts.size === 0 && this.users.size === 0 && this.blogs.size === 0;
  }

  post(postId: string): PostEntry {
    let entry = this.posts.get(postId);
    if (entry === undefined) {
      entry = { delta: new EntityDelta(LAYOUTS.post), park: [] };
      this.posts.set(postId, entry);
    }
    return entry;
  }

  user(userId: string): UserEntry {
    let entry = this.users.get(userId);
    if (entry === undefined) {
      entry = {
        delta: new EntityDelta(LAYOUTS.user),
        blogs: new Map(),
        tags: new Map(),
        touches: new Map(),
        relations: [],
      };
      this.users.set(userId, entry);
    }
    return entry;
  }

  blog(blogId: string): EntityDelta<'blog'> {
    let delta = this.blogs.get(blogId);
    if (delta === undefined) {
      delta = new EntityDelta(LAYOUTS.blog);
      this.blogs.set(blogId, delta);
    }
    return delta;
  }

  userBlog(userId: string, blogId: string): EntityDelta<'user_blog'> {
    const { blogs } = this.user(userId);
    let delta = blogs.get(blogId);
    if (delta === undefined) {
      delta = new EntityDelta(LAYOUTS.user_blog);
      blogs.set(blogId, delta);
    }
    return delta;
  }

  userTag(userId: string, tag: string): EntityDelta<'user_tag'> {
    const { tags } = this.user(userId);
    let delta = tags.get(tag);
    if (delta === undefined) {
      delta = new EntityDelta(LAYOUTS.user_tag);
      tags.set(tag, delta);
    }
    return delta;
  }

  touch(userId: string, set: TouchedSet, id: string, atMs: number): void {
    const { touches } = this.user(userId);
    const key = `${set}\u0000${id}`;
    const earlier = touches.get(key);
    if (earlier === undefined || atMs > earlier.atMs) touches.set(key, { set, id, atMs });
  }

  build(): WritePlan {
    const posts: PostWrite[] = [...this.posts].map(([postId, { delta, create, park }]) => ({
      postId,
      delta,
      ...(create === undefined ? {} : { create }),
      park,
    }));
    const users: UserWrite[] = [...this.users].map(([userId, entry]) => ({
      userId,
      delta: entry.delta,
      blogs: entry.blogs,
      tags: entry.tags,
      touches: [...entry.touches.values()],
      relations: entry.relations,
    }));
    const blogs: BlogWrite[] = [...this.blogs].map(([blogId, delta]) => ({ blogId, delta }));
    return { posts, users, blogs };
  }
}
