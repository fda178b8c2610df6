import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import { NOTIFYING_ENGAGEMENTS, type Activity } from './activity.js';
import type { DirectoryLookups, DirectoryStore, EntityRef } from './directory-store.js';

export type TriggerResult =
  | { readonly kind: 'activity'; readonly activity: Activity }
  /** The post or blog is not known yet: the event should wait for it. */
  | { readonly kind: 'waiting'; readonly on: EntityRef }
  | { readonly kind: 'ignored'; readonly reason: IgnoredReason };

export type IgnoredReason =
  /** Not an event that notifies anyone about their posts (SHARE, CLICK, a PostCreated...). */
  | 'not-activity'
  /** Missing the ids it needs; the gateway should have refused it. */
  | 'malformed'
  /** The actor is the recipient: nobody is told about their own like. */
  | 'own-activity'
  /** Older than `maxAgeMs`: a replay of history, or a backlog too old to be news. */
  | 'stale'
  | 'deleted-post';

export interface ActivityTriggerSettings {
  readonly maxAgeMs: number;
}

/**
 * Turns an Engagement (LIKE, REBLOG, REPLY) or a Follow into an Activity for the owner of the
 * post's blog or of the followed blog, looking ownership up in the directory.
 *
 * Stale events are ignored because a new consumer group reads the log from the beginning (it
 * must, to learn who owns what), and a like from last month is not news.
 */
export class ActivityTrigger {
  constructor(
    private readonly directory: DirectoryStore,
    private readonly settings: ActivityTriggerSettings,
    private readonly clock: () => number,
  ) {}

  /** `lookups`: the directory as seen by the handling of this event (shared reads). */
  async evaluate(
    event: eventsv1.Event,
    lookups: DirectoryLookups = this.directory,
  ): Promise<TriggerResult> {
    const target = targetOf(event);
    if (target === undefined) return { kind: 'ignored', reason: 'not-activity' };
    if (target.actorId === '' || (target.postId === '' && target.blogId === '')) {
      return { kind: 'ignored', reason: 'malformed' };
    }
    const atMs = event.atMs > 0 ? event.atMs : this.clock();
    if (this.clock() - atMs > this.settings.maxAgeMs) return { kind: 'ignored', reason: 'stale' };

    let blogId = target.blogId;
    if (target.postId !== '') {
      const post = await lookups.post(target.postId);
      if (post?.deleted) return { kind: 'ignored', reason: 'deleted-post' };
      if (post === undefined || post.blogId === '') {
        return { kind: 'waiting', on: { kind: 'post', id: target.postId } };
      }
      blogId = post.blogId;
    }
    const blog = await lookups.blog(blogId);
    if (blog === undefined) return { kind: 'waiting', on: { kind: 'blog', id: blogId } };
    if (blog.ownerUserId === target.actorId) return { kind: 'ignored', reason: 'own-activity' };

    return {
      kind: 'activity',
      activity: {
        eventId: event.eventId,
        atMs,
        recipientId: blog.ownerUserId,
        actorId: target.actorId,
        kind: target.kind,
        postId: target.postId,
        blogId,
      },
    };
  }
}

interface Target {
  readonly actorId: string;
  readonly kind: commonv1.EngagementKind;
  readonly postId: string;
  readonly blogId: string;
}

function targetOf(event: eventsv1.Event): Target | undefined {
  const payload = event.payload;
  if (payload?.$case === 'engagement') {
    const { userId, postId, kind } = payload.value;
    if (!NOTIFYING_ENGAGEMENTS.has(kind)) return undefined;
    return { actorId: userId, kind, postId, blogId: '' };
  }
  if (payload?.$case === 'follow') {
    const { userId, blogId } = payload.value;
    return {
      actorId: userId,
      kind: commonv1.EngagementKind.ENGAGEMENT_KIND_UNSPECIFIED,
      postId: '',
      blogId,
    };
  }
  return undefined;
}
