import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import {
  optionalId,
  requireEnum,
  requireId,
  requireMaxItems,
  requireRange,
  requireText,
} from '@feedmesh/service-kit';

/** Events may be stamped at most this far in the future (producers' clocks drift). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
export const MAX_EVENTS_PER_BATCH = 1_000;

/**
 * Checks one event against the rules in events.proto and returns it with `at_ms` stamped
 * when the producer left it 0. Throws an InvalidArgumentError whose field is relative to the
 * event (`engagement.post_id`); the caller prefixes the batch index.
 */
export function validateEvent(event: eventsv1.Event, nowMs: number): eventsv1.Event {
  requireId(event.eventId, 'event_id');
  if (event.atMs !== 0) requireRange(event.atMs, 'at_ms', 1, nowMs + MAX_CLOCK_SKEW_MS);
  const payload = event.payload;
  if (payload === undefined) {
    throw new InvalidArgumentError(
      'payload',
      'must set exactly one event type (post_created, engagement, ...)',
    );
  }
  const field = snakeCase(payload.$case);
  try {
    validatePayload(payload);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error.under(field);
    throw error;
  }
  return event.atMs === 0 ? { ...event, atMs: nowMs } : event;
}

function validatePayload(payload: NonNullable<eventsv1.Event['payload']>): void {
  switch (payload.$case) {
    case 'postCreated': {
      const post = payload.value;
      requireId(post.postId, 'post_id');
      requireId(post.blogId, 'blog_id');
      requireText(post.text, 'text', { max: 16_384 });
      requireMaxItems(post.tags, 'tags', 30);
      post.tags.forEach((tag, i) => requireTag(tag, `tags[${i}]`));
      requireEnum(post.mediaKind, commonv1.MediaKind, 'media_kind', { allowUnspecified: true });
      optionalId(post.reblogOf, 'reblog_of');
      return;
    }
    case 'postDeleted':
      requireId(payload.value.postId, 'post_id');
      return;
    case 'engagement':
      requireId(payload.value.userId, 'user_id');
      requireId(payload.value.postId, 'post_id');
      requireEnum(payload.value.kind, commonv1.EngagementKind, 'kind');
      return;
    case 'follow':
    case 'unfollow':
    case 'block':
    case 'unblock':
      requireId(payload.value.userId, 'user_id');
      requireId(payload.value.blogId, 'blog_id');
      return;
    case 'blogCreated':
      requireId(payload.value.blogId, 'blog_id');
      requireId(payload.value.ownerUserId, 'owner_user_id');
      requireText(payload.value.name, 'name', { min: 1, max: 64 });
      requireText(payload.value.title, 'title', { max: 256 });
      return;
    case 'impression': {
      const impression = payload.value;
      requireId(impression.userId, 'user_id');
      requireId(impression.postId, 'post_id');
      requireId(impression.requestId, 'request_id');
      requireEnum(impression.surface, commonv1.Surface, 'surface', { allowUnspecified: true });
      requireMaxItems(impression.featureValues, 'feature_values', 10_000);
      const bytes = Math.ceil(impression.featureValues.length / 8);
      if (impression.featureMissing.length > bytes) {
        throw new InvalidArgumentError(
          'feature_missing',
          `must be at most ${bytes} bytes for ${impression.featureValues.length} feature values, got ${impression.featureMissing.length}`,
        );
      }
      requireMaxItems(impression.experiments, 'experiments', 100);
      optionalId(impression.reblogOf ?? '', 'reblog_of');
      return;
    }
    case 'sessionStarted':
      requireId(payload.value.userId, 'user_id');
      return;
    case 'notificationOpened':
      requireId(payload.value.userId, 'user_id');
      requireId(payload.value.notificationId, 'notification_id');
      return;
    case 'notificationSent':
      requireId(payload.value.userId, 'user_id');
      requireId(payload.value.notificationId, 'notification_id');
      return;
  }
}

function requireTag(tag: string, field: string): void {
  requireText(tag, field, { min: 1, max: 64 });
  if (tag.startsWith('#')) throw new InvalidArgumentError(field, "must not start with '#'");
  if (/[\s,]/u.test(tag))
    throw new InvalidArgumentError(field, 'must not contain whitespace or commas');
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
