import type { eventsv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import { optionalId, requireId } from '@feedmesh/service-kit';
import type { FeatureStore, ParkedEngagement, PostMeta } from './feature-store.js';
import {
  activity,
  ENGAGEMENT_RULES,
  engagementChanges,
  postCreatedChange,
  type EngagementRule,
} from './update-rules.js';

/**
 * Turns events of the log into store writes. Times come from the events' `at_ms`, never the
 * wall clock, and every write folds its event in by that time, so replaying the log (in any
 * interleaving of its partitions) builds the same state. The consumer runner skips an
 * `event_id` the group already applied; within the runner's crash window an event may still
 * apply twice, as the log's at-least-once delivery allows.
 *
 * An event this cannot make sense of (no payload, bad ids, unknown engagement kind) throws:
 * the runner retries it and then dead-letters it, and consumption goes on.
 */
export class FeatureMaterializer {
  constructor(private readonly store: FeatureStore) {}

  async apply(event: eventsv1.Event): Promise<void> {
    const atMs = event.atMs;
    if (!Number.isSafeInteger(atMs) || atMs <= 0) {
      throw new InvalidArgumentError('at_ms', `must be a positive time in ms, got ${atMs}`);
    }
    const payload = event.payload;
    switch (payload?.$case) {
      case 'postCreated':
        return this.postCreated(payload.value, atMs);
      case 'postDeleted': {
        const postId = requireId(payload.value.postId, 'post_deleted.post_id');
        await this.store.updatePost({
          postId,
          atMs,
          change: { attributes: [{ attribute: 'deleted', value: 1 }] },
        });
        return;
      }
      case 'blogCreated':
        return this.blogCreated(payload.value, atMs);
      case 'engagement':
        return this.engagement(payload.value, event.eventId, atMs);
      case 'follow':
      case 'unfollow': {
        const field = payload.$case;
        const userId = requireId(payload.value.userId, `${field}.user_id`);
        const blogId = requireId(payload.value.blogId, `${field}.blog_id`);
        const { relationDelta } = await this.store.updateUser({
          userId,
          atMs,
          user: activity(atMs),
          relation: {
            relation: 'following',
            blogId,
            active: field === 'follow',
            countedIn: 'follows',
          },
        });
        if (relationDelta !== 0) {
          // Another slot: a crash between the two writes leaves the count off by one.
          await this.store.updateBlog({
            blogId,
            atMs,
            change: { attributes: [{ attribute: 'followers', value: relationDelta }] },
          });
        }
        return;
      }
      case 'block':
      case 'unblock': {
        const field = payload.$case;
        await this.store.updateUser({
          userId: requireId(payload.value.userId, `${field}.user_id`),
          atMs,
          user: activity(atMs),
          relation: {
            relation: 'blocked',
            blogId: requireId(payload.value.blogId, `${field}.blog_id`),
            active: field === 'block',
          },
        });
        return;
      }
      case 'impression': {
        const userId = requireId(payload.value.userId, 'impression.user_id');
        const postId = requireId(payload.value.postId, 'impression.post_id');
        const counters = [{ signal: 'impression' as const, weight: 1 }];
        await Promise.all([
          this.store.updatePost({ postId, atMs, change: { counters } }),
          this.store.updateUser({
            userId,
            atMs,
            user: activity(atMs, counters),
            sets: [{ set: 'served', id: postId }],
          }),
        ]);
        return;
      }
      case 'sessionStarted': {
        await this.store.updateUser({
          userId: requireId(payload.value.userId, 'session_started.user_id'),
          atMs,
          user: activity(
            atMs,
            [{ signal: 'session', weight: 1 }],
            [{ attribute: 'last_session_at', value: atMs }],
          ),
        });
        return;
      }
      case 'notificationSent':
      case 'notificationOpened':
        return;
      case undefined:
        throw new InvalidArgumentError('payload', 'must be set');
    }
  }

  private async postCreated(post: eventsv1.PostCreated, atMs: number): Promise<void> {
    const postId = requireId(post.postId, 'post_created.post_id');
    const meta: PostMeta = {
      blogId: requireId(post.blogId, 'post_created.blog_id'),
      tags: [...new Set(post.tags.filter((tag) => tag !== ''))],
      reblogOf: optionalId(post.reblogOf, 'post_created.reblog_of'),
    };
    const { created, parked } = await this.store.createPost({
      postId,
      atMs,
      meta,
      change: postCreatedChange(atMs, { text: post.text, ...meta }),
    });
    // Only the delivery that stored the meta counts the post for its blog: a redelivered
    // PostCreated must not count it twice.
    if (!created) return;
    const waiting = [...new Map(parked.map((e) => [e.eventId, e])).values()];
    await Promise.all([
      this.store.updateBlog({
        blogId: meta.blogId,
        atMs,
        change: { counters: [{ signal: 'post', weight: 1 }] },
      }),
      ...waiting.map((engagement) => this.joinParked(engagement, meta)),
    ]);
  }

  private async blogCreated(blog: eventsv1.BlogCreated, atMs: number): Promise<void> {
    const blogId = requireId(blog.blogId, 'blog_created.blog_id');
    const ownerId = optionalId(blog.ownerUserId, 'blog_created.owner_user_id');
    await Promise.all([
      this.store.updateBlog({
        blogId,
        atMs,
        change: { attributes: [{ attribute: 'created_at', value: atMs }] },
      }),
      ownerId === ''
        ? undefined
        : this.store.updateUser({
            userId: ownerId,
            atMs,
            user: activity(atMs),
            sets: [{ set: 'owned_blogs', id: blogId }],
          }),
    ]);
  }

  private async engagement(
    engagement: eventsv1.Engagement,
    eventId: string,
    atMs: number,
  ): Promise<void> {
    const userId = requireId(engagement.userId, 'engagement.user_id');
    const postId = requireId(engagement.postId, 'engagement.post_id');
    const rule = ruleOf(engagement.kind);
    const changes = engagementChanges(rule, atMs);
    const meta = await this.store.updatePost({
      postId,
      atMs,
      change: changes.post,
      park: { eventId, userId, kind: engagement.kind, atMs },
    });
    await Promise.all([
      this.store.updateUser({
        userId,
        atMs,
        user: changes.user,
        sets: [{ set: rule.set, id: postId }],
        ...(meta === undefined ? {} : joined(meta, changes)),
      }),
      meta && this.store.updateBlog({ blogId: meta.blogId, atMs, change: changes.blog }),
    ]);
  }

  /** The parts of a parked engagement that needed its post's blog and tags. */
  private async joinParked(engagement: ParkedEngagement, meta: PostMeta): Promise<void> {
    const rule = ENGAGEMENT_RULES.get(engagement.kind);
    if (rule === undefined) return;
    const { userId, atMs } = engagement;
    const changes = engagementChanges(rule, atMs);
    await Promise.all([
      this.store.updateUser({ userId, atMs, user: {}, ...joined(meta, changes) }),
      this.store.updateBlog({ blogId: meta.blogId, atMs, change: changes.blog }),
    ]);
  }
}

function ruleOf(kind: number): EngagementRule {
  const rule = ENGAGEMENT_RULES.get(kind);
  if (rule === undefined)
    throw new InvalidArgumentError('engagement.kind', `unknown value ${kind}`);
  return rule;
}

function joined(meta: PostMeta, changes: ReturnType<typeof engagementChanges>) {
  return {
    blogs: [{ blogId: meta.blogId, change: changes.userBlog }],
    tags: meta.tags.map((tag) => ({ tag, change: changes.userTag })),
  };
}
