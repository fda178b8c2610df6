import { commonv1, gatewayv1, searchv1, type eventsv1 } from '@feedmesh/contracts';
import type { EventLog } from '@feedmesh/events';
import { normalizeTag } from '@feedmesh/embeddings';
import { InvalidArgumentError } from '@feedmesh/errors';
import {
  bindService,
  callRemainingMs,
  optionalId,
  requireEnum,
  requireId,
  requireIds,
  requireItems,
  requireMaxItems,
  requirePageSize,
  requireText,
  type ServiceBinding,
} from '@feedmesh/service-kit';
import type { CallContext } from 'nice-grpc-common';
import type { Downstream } from './downstream.js';
import { MAX_EVENTS_PER_BATCH, validateEvent } from './event-validation.js';
import type { FeedPipeline } from './feed/feed-pipeline.js';
import type { PersonalSearch } from './personal-search.js';
import { newRequestId } from './request-id.js';

/** FeedGatewayService: validates, then orchestrates; it holds no index of its own. */
export function feedGatewayService(deps: {
  readonly pipeline: FeedPipeline;
  readonly search: PersonalSearch;
  readonly downstream: Downstream;
  readonly eventLog: EventLog;
  readonly now: () => number;
}): ServiceBinding {
  const { downstream } = deps;
  return bindService(gatewayv1.FeedGatewayServiceDefinition, {
    async getFeed(request, context: CallContext) {
      requireId(request.userId, 'user_id');
      requireEnum(request.surface, commonv1.Surface, 'surface', { allowUnspecified: true });
      requirePageSize(request.pageSize, 'page_size');
      const surface = request.surface || commonv1.Surface.SURFACE_DASHBOARD;
      const tag = surface === commonv1.Surface.SURFACE_TAG ? tagPageName(request.tag, 'tag') : '';
      return deps.pipeline.run(
        {
          userId: request.userId,
          surface,
          tag,
          pageSize: request.pageSize,
          cursor: request.cursor,
        },
        context.signal,
        callRemainingMs(context),
      );
    },

    async search(request, context: CallContext) {
      optionalId(request.userId, 'user_id');
      requireText(request.query.trim(), 'query', { min: 1, max: 512 });
      requireMaxItems(request.tags, 'tags', 10);
      request.tags.forEach((tag, i) => requireText(tag, `tags[${i}]`, { min: 1, max: 64 }));
      optionalId(request.blogId, 'blog_id');
      requireEnum(request.order, searchv1.SearchOrder, 'order', { allowUnspecified: true });
      requirePageSize(request.pageSize, 'page_size');
      return deps.search.search(request, newRequestId(), context.signal, callRemainingMs(context));
    },

    async listNotifications(request, context: CallContext) {
      requireId(request.userId, 'user_id');
      requirePageSize(request.pageSize, 'page_size');
      return downstream.notification.listInbox(request, { signal: context.signal });
    },

    async *subscribeNotifications(request, context: CallContext) {
      requireId(request.userId, 'user_id');
      optionalId(request.afterNotificationId, 'after_notification_id');
      const stream = downstream.notification.subscribe(request, {
        signal: context.signal,
        deadline: undefined,
      });
      for await (const message of stream) yield message;
    },

    async markNotificationsRead(request, context: CallContext) {
      requireId(request.userId, 'user_id');
      if (!request.all) requireIds(request.notificationIds, 'notification_ids', 1_000);
      return downstream.notification.markRead(request, { signal: context.signal });
    },

    async publishEvents(request) {
      requireItems(request.events, 'events', 1, MAX_EVENTS_PER_BATCH);
      const now = deps.now();
      // Consumers are idempotent on event_id: a second event with an id already in the batch
      // would be acknowledged here and dropped by every consumer.
      const indexOf = new Map<string, number>();
      const stamped: eventsv1.Event[] = request.events.map((event, i) => {
        try {
          const valid = validateEvent(event, now);
          const earlier = indexOf.get(valid.eventId);
          if (earlier !== undefined) {
            throw new InvalidArgumentError(
              'event_id',
              `must be unique in the batch: events[${earlier}] has ${valid.eventId}`,
            );
          }
          indexOf.set(valid.eventId, i);
          return valid;
        } catch (error) {
          if (error instanceof InvalidArgumentError) throw error.under(`events[${i}]`);
          throw error;
        }
      });
      await deps.eventLog.append(stamped);
      return { accepted: stamped.length };
    },
  });
}

/**
 * A tag page's tag as candidate-generation and the trainer name it (`normalizeTag`: case,
 * Unicode spellings and invisible characters folded), so "Music" and "music" are one page, with
 * one cursor and one cached popular list. Given as readers name it: 1-64 characters, not blank
 * (invisible characters alone are blank), without the leading '#'.
 */
function tagPageName(tag: string, field: string): string {
  requireText(tag, field, { min: 1, max: 64 });
  if (tag.startsWith('#'))
    throw new InvalidArgumentError(field, "must be given without the leading '#'");
  const name = normalizeTag(tag);
  if (name === '') throw new InvalidArgumentError(field, 'must not be blank');
  return name;
}
