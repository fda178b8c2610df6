import type {
  BlogWrite,
  CountedCheck,
  CountingEntity,
  ParkedEngagement,
  PostWrite,
  RelationChange,
  TouchedSet,
  UserWrite,
  WritePlan,
} from './feature-store.js';
import { EntityDelta } from './state-delta.js';
import { LAYOUTS } from './state-layout.js';

/** Whether the entity has counted the event already: its changes for the event are left out. */
export type CountedAlready = (entity: CountingEntity, id: string, eventId: string) => boolean;

interface PostEntry {
  readonly delta: EntityDelta<'post'>;
  readonly eventIds: Set<string>;
  create?: PostWrite['create'];
  readonly park: ParkedEngagement[];
}

interface UserEntry {
  readonly delta: EntityDelta<'user'>;
  readonly eventIds: Set<string>;
  readonly blogs: Map<string, EntityDelta<'user_blog'>>;
  readonly tags: Map<string, EntityDelta<'user_tag'>>;
  /** By set and id: the latest time, since a set keeps each id at its latest touch. */
  readonly touches: Map<string, { set: TouchedSet; id: string; atMs: number }>;
  readonly relations: RelationChange[];
}

/**
 * Collects a batch's changes into one write per entity. While `countingFor` names an event,
 * the entities reached are marked as counting it (their writes carry its id, so the store
 * writes its changes at most once); an entity `countedAlready` says has counted it gets a
 * detached entry instead, so the event's changes to it are left out of the plan.
 */
export class WritePlanBuilder {
  private readonly posts = new Map<string, PostEntry>();
  private readonly users = new Map<string, UserEntry>();
  private readonly blogs = new Map<string, EntityDelta<'blog'>>();
  private readonly blogEvents = new Map<string, Set<string>>();
  private countingEvent: string | undefined;
  private readonly joins = new Set<string>();

  constructor(private readonly countedAlready?: CountedAlready) {}

  get isEmpty(): boolean {
    return this.posts.size === 0 && this.users.size === 0 && this.blogs.size === 0;
  }

  /**
   * The event whose additive changes (counters, counts) the next calls make; undefined for
   * changes that are the same however often they are applied (attributes, sets, relations).
   */
  countingFor(eventId: string | undefined): this {
    this.countingEvent = eventId;
    return this;
  }

  /**
   * Whether the plan has yet to join the engagement to its post's blog and tags, and from now
   * on does: an engagement joins once per plan, whichever way it reaches it (see `join` in
   * event-materializer.ts).
   */
  planJoin(eventId: string): boolean {
    if (this.joins.has(eventId)) return false;
    this.joins.add(eventId);
    return true;
  }

  /** The event `countingFor` named last. */
  get counting(): string | undefined {
    return this.countingEvent;
  }

  /** Every (entity, event) this plan counts: what a batch delivered again asks the store about. */
  countedChecks(): CountedCheck[] {
    const checks: CountedCheck[] = [];
    const add = (entity: CountedCheck['entity'], id: string, eventIds: Iterable<string>) => {
      for (const eventId of eventIds) checks.push({ entity, id, eventId });
    };
    for (const [id, { eventIds }] of this.posts) add('post', id, eventIds);
    for (const [id, { eventIds }] of this.users) add('user', id, eventIds);
    for (const [id, eventIds] of this.blogEvents) add('blog', id, eventIds);
    return checks;
  }

  post(postId: string): PostEntry {
    if (this.leftOut('post', postId)) return newPost();
    let entry = this.posts.get(postId);
    if (entry === undefined) {
      entry = newPost();
      this.posts.set(postId, entry);
    }
    if (this.countingEvent !== undefined) entry.eventIds.add(this.countingEvent);
    return entry;
  }

  user(userId: string): UserEntry {
    if (this.leftOut('user', userId)) return newUser();
    let entry = this.users.get(userId);
    if (entry === undefined) {
      entry = newUser();
      this.users.set(userId, entry);
    }
    if (this.countingEvent !== undefined) entry.eventIds.add(this.countingEvent);
    return entry;
  }

  blog(blogId: string): EntityDelta<'blog'> {
    if (this.leftOut('blog', blogId)) return new EntityDelta(LAYOUTS.blog);
    let delta = this.blogs.get(blogId);
    if (delta === undefined) {
      delta = new EntityDelta(LAYOUTS.blog);
      this.blogs.set(blogId, delta);
      this.blogEvents.set(blogId, new Set());
    }
    if (this.countingEvent !== undefined) this.blogEvents.get(blogId)!.add(this.countingEvent);
    return delta;
  }

  /** Whether the entity counted the current event already (its changes for it are left out). */
  hasCounted(entity: CountingEntity, id: string): boolean {
    return this.leftOut(entity, id);
  }

  private leftOut(entity: CountingEntity, id: string): boolean {
    return (
      this.countingEvent !== undefined &&
      this.countedAlready?.(entity, id, this.countingEvent) === true
    );
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
    const posts: PostWrite[] = [...this.posts].map(
      ([postId, { delta, create, park, eventIds }]) => ({
        postId,
        delta,
        ...(create === undefined ? {} : { create }),
        park,
        eventIds: [...eventIds],
      }),
    );
    const users: UserWrite[] = [...this.users].map(([userId, entry]) => ({
      userId,
      delta: entry.delta,
      blogs: entry.blogs,
      tags: entry.tags,
      touches: [...entry.touches.values()],
      relations: entry.relations,
      eventIds: [...entry.eventIds],
    }));
    const blogs: BlogWrite[] = [...this.blogs].map(([blogId, delta]) => ({
      blogId,
      delta,
      eventIds: [...this.blogEvents.get(blogId)!],
    }));
    return { posts, users, blogs };
  }
}

function newPost(): PostEntry {
  return { delta: new EntityDelta(LAYOUTS.post), eventIds: new Set(), park: [] };
}

function newUser(): UserEntry {
  return {
    delta: new EntityDelta(LAYOUTS.user),
    eventIds: new Set(),
    blogs: new Map(),
    tags: new Map(),
    touches: new Map(),
    relations: [],
  };
}
