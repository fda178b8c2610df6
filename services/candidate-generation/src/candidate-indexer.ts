import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import { requireId } from '@feedmesh/service-kit';
import type { CandidateSettings } from './candidate-settings.js';
import type { CandidateStore, EngagementWrite } from './candidate-store.js';
import type { ContentIndex } from './content-index.js';
import { logIncrement } from './decay.js';
import type { EmbeddingIndex } from './embedding-index.js';
import { EarlyEngagements } from './early-engagements.js';
import { SeenEvents } from './seen-events.js';
import { engagementWeight, type EngagementWeight } from './engagement-weights.js';
import { normalizeTags, summarize } from './tags.js';
import { bucketsOf } from './trend-buckets.js';

/**
 * Applies the event log to the candidate indexes. Times come from each event's `at_ms`, so
 * replaying the log builds the same indexes; every write is safe to repeat or reorder
 * (sets, last-write-wins follows and blocks, tombstoned deletes, order-free decayed sums), and
 * an engagement whose event id was applied recently is skipped (`SeenEvents`), so the
 * overlap between a rebuild and the live group counts once. An id is remembered only once its
 * engagement is recorded: one whose store write failed is applied again when redelivered.
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
    /** Told about posts and engagements, to fold new posts into the served vectors. */
    private readonly embeddings?: EmbeddingIndex,
    private readonly seen: SeenEvents = new SeenEvents(),
    /** Told about posts (their text) and positive engagements, for the content source. */
    private readonly content?: ContentIndex,
    private readonly early: EarlyEngagements = new EarlyEngagements(),
  ) {}

  /** Engagements being applied, by event id: a delivery of one of them waits for the other. */
  private readonly applying = new Map<string, Promise<void>>();

  /** Engagements waiting for their posts' PostCreated, and those forgotten at the bounds. */
  get earlyEngagements(): { readonly waiting: number; readonly forgotten: number } {
    return this.early.stats;
  }

  async apply(event: eventsv1.Event): Promise<void> {
    const payload = event.payload;
    if (!payload) return;
    const atMs = event.atMs;
    switch (payload.$case) {
      case 'postCreated':
        return this.postCreated(payload.value, checkTime(atMs));
      case 'postDeleted': {
        const postId = requireId(payload.value.postId, 'post_deleted.post_id');
        await this.store.deletePost(postId, checkTime(atMs));
        this.early.take(postId);
        this.embeddings?.postDeleted(postId);
        this.content?.postDeleted(postId);
        return;
      }
      case 'block':
      case 'unblock': {
        const field = payload.$case;
        return this.store.setBlock(
          requireId(payload.value.userId, `${field}.user_id`),
          requireId(payload.value.blogId, `${field}.blog_id`),
          checkTime(atMs),
          field === 'block',
        );
      }
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
        return this.engagement(event.eventId, payload.value, checkTime(atMs));
      default:
        return;
    }
  }

  private async postCreated(post: eventsv1.PostCreated, atMs: number): Promise<void> {
    const record = {
      postId: requireId(post.postId, 'post_created.post_id'),
      blogId: requireId(post.blogId, 'post_created.blog_id'),
      tags: normalizeTags(post.tags),
      createdAtMs: atMs,
      reblogOf: post.reblogOf,
      summary: summarize(post.text),
    };
    const stored = await this.store.putPost(record);
    // Taken once the post is stored, not before: a like that reads it unknown remembers itself
    // before it reads it again (see `waitForPost`), so either that read sees it live or this
    // take finds the like.
    const early = this.early.take(record.postId);
    if (!stored) {
      // Stored already (or deleted). Likes can still wait here: one remembered while this
      // delivery was under way, that has not read the post again yet. Credit them with the
      // tags the stored post holds.
      if (early.length > 0) {
        const now = await this.store.postForWrite(record.postId);
        if (now.state === 'live') await this.creditTags(early, now.post.tags);
      }
      return;
    }
    await this.creditTags(early, record.tags);
    this.embeddings?.postCreated(record.postId, record.blogId, record.tags);
    this.content?.postCreated(record.postId, {
      text: post.text,
      tags: post.tags,
      blogId: record.blogId,
      createdAtMs: atMs,
    });
  }

  /** Credits `tags` with what `early` engagements, recorded without them, give them. */
  private async creditTags(
    early: readonly EngagementWrite[],
    tags: readonly string[],
  ): Promise<void> {
    if (tags.length === 0) return;
    for (const engagement of early) await this.store.creditTags({ ...engagement, tags });
  }

  /**
   * Applies an engagement unless its event id was applied already. A delivery that comes while
   * another of the same id is being applied (the rebuild and the group overlap) waits for it,
   * then applies the engagement itself if that one failed.
   */
  private async engagement(
    eventId: string,
    engagement: eventsv1.Engagement,
    atMs: number,
  ): Promise<void> {
    const userId = requireId(engagement.userId, 'engagement.user_id');
    const postId = requireId(engagement.postId, 'engagement.post_id');
    if (HIDING_KINDS.has(engagement.kind)) return this.store.hidePost(userId, postId, atMs);
    const weight = engagementWeight(engagement.kind);
    if (!weight) return;
    if (eventId === '') return this.recordEngagement(eventId, userId, postId, weight, atMs);
    for (let under = this.applying.get(eventId); under; under = this.applying.get(eventId)) {
      await under.catch(() => {});
    }
    if (this.seen.has(eventId)) return;
    const applying = this.recordEngagement(eventId, userId, postId, weight, atMs);
    this.applying.set(eventId, applying);
    try {
      await applying;
    } finally {
      this.applying.delete(eventId);
    }
  }

  private async recordEngagement(
    eventId: string,
    userId: string,
    postId: string,
    weight: EngagementWeight,
    atMs: number,
  ): Promise<void> {
    const target = await this.store.postForWrite(postId);
    if (target.state === 'deleted') return;
    const { settings } = this;
    const write: EngagementWrite = {
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
    };
    // In this order, so a failure leaves nothing counted and the redelivery counts it once:
    // the store write, which can fail, first (it throws, the id is not remembered, and the
    // event log delivers it again); then the in-memory indexes, which cannot fail; then the id
    // is remembered, before anything else can fail. The tag credit of a post not yet known
    // comes after: a failure there must not count the engagement again on the redelivery.
    await this.store.recordEngagement(write);
    if (weight.positive) {
      this.embeddings?.engaged(userId, postId, weight.popularity);
      this.content?.engaged(userId, postId, weight.affinity, atMs);
    }
    if (eventId !== '') this.seen.add(eventId);
    if (target.state === 'unknown') await this.waitForPost(write);
  }

  /**
   * Keeps `write`, recorded without tags because its post was unknown, until the post comes.
   * Its PostCreated may have been stored since the read (it is in another partition), after
   * taking the likes waiting for it: so the like is remembered first, then the post read
   * again. Either that read sees it stored, and this takes what waits for it, or the
   * PostCreated's take (after its store) finds the like. `take` removes what it returns, so
   * whoever takes a like credits it, once.
   *
   * Handlers do overlap in this service: the consumer applies one partition's read at a time,
   * in log order (`inOrder`, batches not overlapped), but it starts before the rebuild, whose
   * history pass applies events in its own loop meanwhile; each `await` on the store lets the
   * other loop run.
   */
  private async waitForPost(write: EngagementWrite): Promise<void> {
    this.early.remember(write);
    const now = await this.store.postForWrite(write.postId);
    if (now.state === 'unknown') return;
    const early = this.early.take(write.postId);
    // Deleted: nothing to credit, and no PostCreated would take them.
    if (now.state === 'live') await this.creditTags(early, now.post.tags);
  }
}

/** "Show less" and a report: the post is never proposed to that user again. */
const HIDING_KINDS: ReadonlySet<commonv1.EngagementKind> = new Set([
  commonv1.EngagementKind.ENGAGEMENT_KIND_HIDE,
  commonv1.EngagementKind.ENGAGEMENT_KIND_REPORT,
]);

function checkTime(atMs: number): number {
  if (!Number.isFinite(atMs) || atMs <= 0) {
    throw new InvalidArgumentError('at_ms', `must be a time after the epoch, got ${atMs}`);
  }
  return atMs;
}
