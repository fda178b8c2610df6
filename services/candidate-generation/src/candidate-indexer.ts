import type { eventsv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import { requireId } from '@feedmesh/service-kit';
import type { CandidateSettings } from './candidate-settings.js';
import type { CandidateStore } from './candidate-store.js';
import { logIncrement } from './decay.js';
import { engagementWeight } from './engagement-weights.js';
import { normalizeTags, summarize } from './tags.js';
import { bucketsOf } from './trend-buckets.js';

/**
 * Applies the event log to the candidate indexes. Times come from each event's `at_ms`, so
 * replaying the log builds the same indexes; every write is safe to repeat or reorder
 * (sets, last-write-wins follows, tombstoned deletes), except that an engagement applied
 * twice counts twice.
 *
 * An event this service cannot use is skipped; one that is malformed throws, so the
 * consumer retries it and then dead-letters it where an operator can see it.
 */
export class CandidateIndexer {
  constructor(
    private readonly store: CandidateStore,
    private readonly settings: Pick<
      CandidateSettings,
      'popularityHalfLife' | 'affinityHalfLife' | 'activityHalfLife'
    >,
  ) {}

  async apply(event: eventsv1.Event): Promise<void> {
    const payload = event.payload;
    if (!payload) return;
    const atMs = event.atMs;
    switch (payload.$case) {
      case 'postCreated':
        return this.postCreated(payload.value, checkTime(atMs));
      case 'postDeleted':
        return this.store.deletePost(
          requireId(payload.value.postId, 'post_deleted.post_id'),
          checkTime(atMs),
        );
      case 'blogCreated':
        return this.store.putBlog({
          blogId: requireId(payload.value.blogId, 'blog_created.blog_id'),
          ownerUserId: payload.value.ownerUserId,
          name: payload.value.name,
          createdAtMs: checkTime(atMs),
        });
      case 'follow':
      case 'unfollow': {
        const field = payload.$case;
        return this.store.setFollow(
          requireId(payload.value.userId, `${field}.user_id`),
          requireId(payload.value.blogId, `${field}.blog_id`),
          checkTime(atMs),
          field === 'follow',
        );
      }
      case 'engagement':
        return this.engagement(payload.value, checkTime(atMs));
      default:
        return;
    }
  }

  private async postCreated(post: eventsv1.PostCreated, atMs: number): Promise<void> {
    await this.store.putPost({
      postId: requireId(post.postId, 'post_created.post_id'),
      blogId: requireId(post.blogId, 'post_created.blog_id'),
      tags: normalizeTags(post.tags),
      createdAtMs: atMs,
      reblogOf: post.reblogOf,
      summary: summarize(post.text),
    });
  }

  private async engagement(engagement: eventsv1.Engagement, atMs: number): Promise<void> {
    const userId = requireId(engagement.userId, 'engagement.user_id');
    const postId = requireId(engagement.postId, 'engagement.post_id');
    const weight = engagementWeight(engagement.kind);
    if (!weight) return;
    const target = await this.store.postForWrite(postId);
    if (target.state === 'deleted') return;
    const { settings } = this;
    await this.store.recordEngagement({
      userId,
      postId,
      atMs,
      tags: target.state === 'live' ? target.post.tags : [],
      popularity: logIncrement(weight.popularity, atMs, settings.popularityHalfLife),
      affinity: logIncrement(weight.affinity, atMs, settings.affinityHalfLife),
      coEngagement: weight.positive,
      ...(weight.positive
        ? {
            trend: {
              buckets: bucketsOf(atMs),
              activity: logIncrement(1, atMs, settings.activityHalfLife),
            },
          }
        : {}),
    });
  }
}

function checkTime(atMs: number): number {
  if (!Number.isFinite(atMs) || atMs <= 0) {
    throw new InvalidArgumentError('at_ms', `must be a time after the epoch, got ${atMs}`);
  }
  return atMs;
}
