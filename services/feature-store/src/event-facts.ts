import { qualitySignals, spamScore, tagKey } from '@feedmesh/content';
import { normalizeTags } from '@feedmesh/embeddings';
import type { eventsv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import { optionalId, requireId } from '@feedmesh/service-kit';
import type { Relation } from './feature-registry.js';
import type { PostMeta } from './feature-store.js';
import { ENGAGEMENT_RULES, type EngagementRule } from './update-rules.js';

/** What one event of the log says, checked, with its `event_id`: the materializer's input. */
export type EventFact = FactBody & { readonly eventId: string };

type FactBody =
  | {
      readonly kind: 'post_created';
      readonly atMs: number;
      readonly postId: string;
      readonly meta: PostMeta;
      readonly textLength: number;
      readonly linkCount: number;
      readonly spamScore: number;
    }
  | { readonly kind: 'post_deleted'; readonly atMs: number; readonly postId: string }
  | {
      readonly kind: 'blog_created';
      readonly atMs: number;
      readonly blogId: string;
      /** Empty when the blog names no owner. */
      readonly ownerId: string;
    }
  | {
      readonly kind: 'engagement';
      readonly atMs: number;
      readonly userId: string;
      readonly postId: string;
      /** A `commonv1.EngagementKind`. */
      readonly engagementKind: number;
      readonly rule: EngagementRule;
    }
  | {
      readonly kind: 'relation';
      readonly atMs: number;
      readonly userId: string;
      readonly blogId: string;
      readonly relation: Relation;
      readonly active: boolean;
    }
  | {
      readonly kind: 'impression';
      readonly atMs: number;
      readonly userId: string;
      readonly postId: string;
      /** The original the post reblogs; empty for an original, or an impression logged before. */
      readonly reblogOf: string;
    }
  | { readonly kind: 'session'; readonly atMs: number; readonly userId: string };

/**
 * The fact an event states, or undefined for an event the store has no use for. Throws
 * `InvalidArgumentError` naming the field for an event it cannot make sense of (no payload,
 * bad ids, an unknown engagement kind, no time): the consumer retries, then dead-letters it.
 */
export function factOf(event: eventsv1.Event): EventFact | undefined {
  const body = factBodyOf(event);
  return body === undefined ? undefined : { ...body, eventId: event.eventId };
}

function factBodyOf(event: eventsv1.Event): FactBody | undefined {
  const atMs = event.atMs;
  if (!Number.isSafeInteger(atMs) || atMs <= 0) {
    throw new InvalidArgumentError('at_ms', `must be a positive time in ms, got ${atMs}`);
  }
  const payload = event.payload;
  switch (payload?.$case) {
    case 'postCreated': {
      const post = payload.value;
      return {
        kind: 'post_created',
        atMs,
        postId: requireId(post.postId, 'post_created.post_id'),
        meta: {
          blogId: requireId(post.blogId, 'post_created.blog_id'),
          // One name per tag whatever its case or '#', as candidate generation files it, so
          // "#Cats" and "cats" are one affinity.
          tags: normalizeTags(post.tags),
          reblogOf: optionalId(post.reblogOf, 'post_created.reblog_of'),
        },
        textLength: post.text.length,
        ...contentQualityOf(post.text, post.tags),
      };
    }
    case 'postDeleted':
      return {
        kind: 'post_deleted',
        atMs,
        postId: requireId(payload.value.postId, 'post_deleted.post_id'),
      };
    case 'blogCreated':
      return {
        kind: 'blog_created',
        atMs,
        blogId: requireId(payload.value.blogId, 'blog_created.blog_id'),
        ownerId: optionalId(payload.value.ownerUserId, 'blog_created.owner_user_id'),
      };
    case 'engagement': {
      const { userId, postId, kind } = payload.value;
      const rule = ENGAGEMENT_RULES.get(kind);
      const checkedUser = requireId(userId, 'engagement.user_id');
      const checkedPost = requireId(postId, 'engagement.post_id');
      if (rule === undefined) {
        throw new InvalidArgumentError('engagement.kind', `unknown value ${kind}`);
      }
      return {
        kind: 'engagement',
        atMs,
        userId: checkedUser,
        postId: checkedPost,
        engagementKind: kind,
        rule,
      };
    }
    case 'follow':
    case 'unfollow':
    case 'block':
    case 'unblock': {
      const field = payload.$case;
      return {
        kind: 'relation',
        atMs,
        userId: requireId(payload.value.userId, `${field}.user_id`),
        blogId: requireId(payload.value.blogId, `${field}.blog_id`),
        relation: field === 'follow' || field === 'unfollow' ? 'following' : 'blocked',
        active: field === 'follow' || field === 'block',
      };
    }
    case 'impression':
      return {
        kind: 'impression',
        atMs,
        userId: requireId(payload.value.userId, 'impression.user_id'),
        postId: requireId(payload.value.postId, 'impression.post_id'),
        reblogOf: optionalId(payload.value.reblogOf ?? '', 'impression.reblog_of'),
      };
    case 'sessionStarted':
      return {
        kind: 'session',
        atMs,
        userId: requireId(payload.value.userId, 'session_started.user_id'),
      };
    case 'notificationSent':
    case 'notificationOpened':
      return undefined;
    case undefined:
      throw new InvalidArgumentError('payload', 'must be set');
  }
}

/** What the post's own text and tags say of its quality, before anyone engaged with it. */
function contentQualityOf(
  text: string,
  tags: readonly string[],
): { linkCount: number; spamScore: number } {
  const normalized = new Set(tags.map(tagKey).filter((tag) => tag !== '')).size;
  const signals = qualitySignals(text, tags, normalized);
  return { linkCount: signals.linkCount, spamScore: spamScore(signals) };
}
