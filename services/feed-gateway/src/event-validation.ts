import { commonv1, notificationv1, type eventsv1 } from '@feedmesh/contracts';
import { normalizeTag } from '@feedmesh/embeddings';
import { InvalidArgumentError } from '@feedmesh/errors';
import {
  ID_PATTERN,
  optionalId,
  requireEnum,
  requireId,
  requireMaxItems,
  requireText,
} from '@feedmesh/service-kit';

/** Events may be stamped at most this far in the future (producers' clocks drift). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/**
 * The earliest `at_ms` taken (1973-03-03): a smaller positive value is a time in seconds (until
 * the year 5138), which consumers would store as the first days of 1970.
 */
export const MIN_EVENT_TIME_MS = 100_000_000_000;
export const MAX_EVENTS_PER_BATCH = 1_000;
/**
 * Assignments per impression or sent notification: a user is in at most one experiment per
 * layer, the experiment config has at most 50 layers, and the notification service keeps 50.
 */
export const MAX_EXPERIMENTS = 50;

/** `NotificationSent.type`: a NotificationType's name without its prefix ("ACTIVITY"). */
const NOTIFICATION_TYPES: readonly string[] = Object.entries(notificationv1.NotificationType)
  .filter(([, value]) => typeof value === 'number' && value > 0)
  .map(([name]) => name.replace(/^NOTIFICATION_TYPE_/, ''));

/**
 * What a reader does not see: white space, controls and default-ignorable characters (zero-width
 * spaces and joiners, direction marks, the Hangul fillers, BOM, variation selectors...).
 */
const INVISIBLE_ONLY = /^[\p{White_Space}\p{Cc}\p{Default_Ignorable_Code_Point}]*$/u;

/**
 * Checks one event against the rules in events.proto and what the consumers need of it, and
 * returns it with `at_ms` stamped when the producer left it 0. Throws an InvalidArgumentError
 * whose field is relative to the event (`engagement.post_id`); the caller prefixes the batch
 * index.
 */
export function validateEvent(event: eventsv1.Event, nowMs: number): eventsv1.Event {
  requireId(event.eventId, 'event_id');
  if (event.atMs !== 0) requireEventTime(event.atMs, nowMs);
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

function requireEventTime(atMs: number, nowMs: number): void {
  if (!Number.isSafeInteger(atMs) || atMs < MIN_EVENT_TIME_MS) {
    throw new InvalidArgumentError(
      'at_ms',
      `must be milliseconds since the epoch, from ${MIN_EVENT_TIME_MS} (1973-03-03) on, got ${atMs}`,
    );
  }
  if (atMs > nowMs + MAX_CLOCK_SKEW_MS) {
    throw new InvalidArgumentError(
      'at_ms',
      `must not be more than 5 minutes in the future: got ${atMs}, now is ${nowMs}`,
    );
  }
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
      optionalReblogOf(post.reblogOf, post.postId);
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
      // Search would dead-letter it (it trims the name), the others would name the blog "".
      requireVisible(payload.value.name, 'name');
      requireText(payload.value.title, 'title', { max: 256 });
      return;
    case 'impression':
      return validateImpression(payload.value);
    case 'sessionStarted':
      requireId(payload.value.userId, 'user_id');
      return;
    case 'notificationOpened':
      requireId(payload.value.userId, 'user_id');
      requireId(payload.value.notificationId, 'notification_id');
      return;
    case 'notificationSent': {
      const sent = payload.value;
      requireId(sent.userId, 'user_id');
      requireId(sent.notificationId, 'notification_id');
      if (sent.type === '') throw new InvalidArgumentError('type', 'is required');
      if (!NOTIFICATION_TYPES.includes(sent.type)) {
        throw new InvalidArgumentError(
          'type',
          `must be one of ${NOTIFICATION_TYPES.join(', ')}, got ${JSON.stringify(sent.type)}`,
        );
      }
      requireAssignments(sent.experiments);
      return;
    }
  }
}

/** The trainer learns from these values as they are: one NaN would poison a whole model. */
function validateImpression(impression: eventsv1.Impression): void {
  requireId(impression.userId, 'user_id');
  requireId(impression.postId, 'post_id');
  requireId(impression.requestId, 'request_id');
  requireEnum(impression.surface, commonv1.Surface, 'surface', { allowUnspecified: true });
  requireAssignments(impression.experiments);
  requireId(impression.source, 'source');
  optionalModel(impression.model, 'model');
  requireFinite(impression.score, 'score');
  // Values without their layout are of no use to the trainer, which would silently drop them.
  if (impression.featureValues.length > 0 && impression.featureSchema === '') {
    throw new InvalidArgumentError('feature_schema', 'is required with feature_values');
  }
  optionalId(impression.featureSchema, 'feature_schema');
  requireMaxItems(impression.featureValues, 'feature_values', 10_000);
  impression.featureValues.forEach((value, i) => requireFinite(value, `feature_values[${i}]`));
  const bytes = Math.ceil(impression.featureValues.length / 8);
  if (impression.featureMissing.length > bytes) {
    throw new InvalidArgumentError(
      'feature_missing',
      `must be at most ${bytes} bytes for ${impression.featureValues.length} feature values, got ${impression.featureMissing.length}`,
    );
  }
  optionalReblogOf(impression.reblogOf ?? '', impression.postId);
}

/**
 * The experiment report reads a user's variant as the first assignment naming the experiment,
 * so a second one (another variant) would be silently ignored.
 */
function requireAssignments(assignments: readonly commonv1.ExperimentAssignment[]): void {
  requireMaxItems(assignments, 'experiments', MAX_EXPERIMENTS);
  const indexOf = new Map<string, number>();
  assignments.forEach(({ experiment, variant }, i) => {
    requireId(experiment, `experiments[${i}].experiment`);
    requireId(variant, `experiments[${i}].variant`);
    const earlier = indexOf.get(experiment);
    if (earlier !== undefined) {
      throw new InvalidArgumentError(
        `experiments[${i}].experiment`,
        `repeats experiments[${earlier}] (${experiment}): a user is in one variant of an experiment`,
      );
    }
    indexOf.set(experiment, i);
  });
}

/** "name@version" as the gateway logs the ranker's model, "name" alone, or empty (no ranker). */
function optionalModel(model: string, field: string): void {
  if (model === '') return;
  const parts = model.split('@');
  if (parts.length > 2 || !parts.every((part) => ID_PATTERN.test(part))) {
    throw new InvalidArgumentError(
      field,
      `must be empty or name@version, each 1-64 characters of [A-Za-z0-9_.:-], got ${JSON.stringify(model)}`,
    );
  }
}

function optionalReblogOf(reblogOf: string, postId: string): void {
  optionalId(reblogOf, 'reblog_of');
  if (reblogOf !== '' && reblogOf === postId) {
    throw new InvalidArgumentError('reblog_of', 'must not be the post itself');
  }
}

function requireFinite(value: number, field: string): void {
  if (!Number.isFinite(value)) {
    throw new InvalidArgumentError(field, `must be a finite number, got ${value}`);
  }
}

function requireVisible(value: string, field: string): void {
  if (INVISIBLE_ONLY.test(value)) throw new InvalidArgumentError(field, 'must not be blank');
}

/**
 * Consumers match a tag by `normalizeTag` (Unicode-normalized, invisible characters removed,
 * lower case) and drop it when that leaves nothing or more than 64 characters.
 */
function requireTag(tag: string, field: string): void {
  requireText(tag, field, { min: 1, max: 64 });
  if (tag.startsWith('#')) throw new InvalidArgumentError(field, "must not start with '#'");
  if (/[\s,]/u.test(tag))
    throw new InvalidArgumentError(field, 'must not contain whitespace or commas');
  const normalized = normalizeTag(tag);
  if (normalized === '' || INVISIBLE_ONLY.test(normalized)) {
    throw new InvalidArgumentError(field, 'must not be blank');
  }
  if (normalized.length > 64) {
    throw new InvalidArgumentError(
      field,
      `must be at most 64 characters once normalized (NFKC, as consumers match tags), got ${normalized.length}`,
    );
  }
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
