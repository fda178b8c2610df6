import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import {
  BEHAVIOUR,
  continueChance,
  lapseChance,
  meanReturnGapMs,
  openChance,
  react,
  sessionSatisfaction,
  utilityOf,
} from './behaviour-model.js';
import type { ContentTruth } from './content-truth.js';
import type { RunIds } from './event-ids.js';
import type { EventPublisher, GatewayClient } from './event-publisher.js';
import type { SimulatedClock } from './simulated-clock.js';
import type { SimulationParameters } from './simulation-options.js';
import { DAY_MS } from './simulation-options.js';
import { NEUTRAL_SATISFACTION, type SimulatedUser } from './simulated-user.js';

const { ENGAGEMENT_KIND_LIKE: LIKE, ENGAGEMENT_KIND_REBLOG: REBLOG } = commonv1.EngagementKind;
const { ENGAGEMENT_KIND_REPLY: REPLY, ENGAGEMENT_KIND_HIDE: HIDE } = commonv1.EngagementKind;

/** Notifications a user looks at when opening the app. */
const INBOX_PAGE = 20;

export interface SessionDeps {
  readonly gateway: GatewayClient;
  readonly publisher: EventPublisher;
  readonly ids: RunIds;
  readonly clock: SimulatedClock;
  readonly content: ContentTruth;
  readonly parameters: SimulationParameters;
}

/**
 * One visit of one user, through the gateway: open the app (SessionStarted), look at the
 * notifications, read feed pages while they keep being worth it, engage or hide as the
 * behaviour model says; then update satisfaction and decide when (or whether) to come back.
 * Every event is stamped on the simulated clock when it happens, so it follows the
 * impressions the gateway logged for it.
 */
export class SessionRunner {
  constructor(private readonly deps: SessionDeps) {}

  /** A visit: the user opens the app by themselves. */
  async visit(user: SimulatedUser): Promise<void> {
    const { clock, parameters } = this.deps;
    // The user's own timeline runs on the planned visit time (not on when the step got to
    // them), so a seed replays the same; events are stamped when they happen.
    const startedAt = user.nextAtMs;
    const counters = user.record;
    counters.sessions += 1;
    counters.activeDays.add(Math.floor((startedAt - parameters.startMs) / DAY_MS));
    if (user.moodAfterLastVisit !== undefined && counters.lastSessionAtMs !== undefined) {
      const returns =
        user.moodAfterLastVisit >= NEUTRAL_SATISFACTION
          ? counters.returnsAfterSatisfied
          : counters.returnsAfterDissatisfied;
      returns.count += 1;
      returns.relativeGapSum += ((startedAt - counters.lastSessionAtMs) * user.activity) / DAY_MS;
    }
    counters.lastSessionAtMs = startedAt;

    // Opening the app and what was opened from the inbox go out in one batch.
    const opening = [
      this.deps.ids.event(clock.now(), { $case: 'sessionStarted', value: { userId: user.id } }),
    ];
    let utility = 0;
    if (parameters.notifications) utility += await this.readInbox(user, opening);
    await this.deps.publisher.publish(opening);
    const feed = await this.readFeed(user);
    utility += feed.utility;

    const before = user.satisfactionAt(startedAt, BEHAVIOUR.satisfactionHalfLifeMs);
    const session = sessionSatisfaction(utility, feed.impressions);
    user.satisfaction = (1 - BEHAVIOUR.sessionWeight) * before + BEHAVIOUR.sessionWeight * session;
    user.satisfactionAtMs = startedAt;
    counters.satisfactionSum += user.satisfaction;

    user.moodAfterLastVisit = user.satisfaction;
    if (user.random.chance(lapseChance(user.satisfaction))) {
      user.lapsed = true;
      user.moodAfterLastVisit = undefined;
      user.nextAtMs = startedAt + DAY_MS * user.random.between(0.5, 1.5);
    } else {
      user.nextAtMs =
        startedAt + user.random.exponential(meanReturnGapMs(user.activity, user.satisfaction));
    }
  }

  /**
   * A lapsed user's daily glance at their phone: an unread notification may bring them back
   * (NotificationOpened, then a visit); otherwise they look again a day later.
   */
  async glance(user: SimulatedUser): Promise<void> {
    const { gateway, clock, ids } = this.deps;
    const inbox = await gateway
      .listNotifications({ userId: user.id, pageSize: INBOX_PAGE, cursor: '', unreadOnly: true })
      .catch(() => undefined);
    const newest = inbox?.notifications[0];
    if (newest === undefined || !user.random.chance(BEHAVIOUR.reactivationChance)) {
      user.nextAtMs += DAY_MS;
      return;
    }
    user.lapsed = false;
    user.moodAfterLastVisit = undefined;
    user.satisfaction = BEHAVIOUR.reactivatedSatisfaction;
    user.satisfactionAtMs = user.nextAtMs;
    user.record.reactivations += 1;
    user.record.notificationsOpened += 1;
    await this.deps.publisher.publish([
      ids.event(clock.now(), {
        $case: 'notificationOpened',
        value: { userId: user.id, notificationId: newest.notificationId },
      }),
    ]);
    await gateway
      .markNotificationsRead({
        userId: user.id,
        notificationIds: [newest.notificationId],
        all: false,
      })
      .catch(() => undefined);
    await this.visit(user);
  }

  /**
   * Opens some unread notifications (by type), adding their NotificationOpened to `out`, and
   * marks the inbox read; returns what it was worth to the user.
   */
  private async readInbox(user: SimulatedUser, out: eventsv1.Event[]): Promise<number> {
    const { gateway, clock, ids } = this.deps;
    const inbox = await gateway
      .listNotifications({ userId: user.id, pageSize: INBOX_PAGE, cursor: '', unreadOnly: true })
      .catch(() => undefined);
    if (inbox === undefined || inbox.notifications.length === 0) return 0;
    const opened = inbox.notifications.filter((n) => user.random.chance(openChance(n.type)));
    for (const n of opened) {
      out.push(
        ids.event(clock.now(), {
          $case: 'notificationOpened',
          value: { userId: user.id, notificationId: n.notificationId },
        }),
      );
    }
    user.record.notificationsOpened += opened.length;
    await gateway
      .markNotificationsRead({ userId: user.id, notificationIds: [], all: true })
      .catch(() => undefined);
    return opened.length * BEHAVIOUR.utility.opened;
  }

  private async readFeed(user: SimulatedUser): Promise<{ utility: number; impressions: number }> {
    const { gateway, clock, ids, content, parameters } = this.deps;
    const counters = user.record;
    let cursor = '';
    let utility = 0;
    let impressions = 0;
    for (let page = 0; page < parameters.maxPages; page += 1) {
      let response;
      try {
        response = await gateway.getFeed({
          userId: user.id,
          surface: parameters.surface,
          tag: '',
          pageSize: parameters.pageSize,
          cursor,
        });
      } catch {
        counters.feedErrors += 1;
        break;
      }
      for (const assignment of response.experiments) {
        counters.experiments.set(assignment.experiment, assignment.variant);
      }
      if (response.items.length === 0) break;
      const events: eventsv1.Event[] = [];
      let engaged = 0;
      let hidden = 0;
      for (const item of response.items) {
        const at = clock.now();
        const post = content.view(item, at);
        const reaction = react(parameters.seed, user, post);
        utility += utilityOf(reaction);
        impressions += 1;
        counters.impressions += 1;
        if (post.fromNewCreator) counters.newCreatorImpressions += 1;
        const kinds: commonv1.EngagementKind[] = [];
        if (reaction.hide) kinds.push(HIDE);
        if (reaction.like) kinds.push(LIKE);
        if (reaction.reblog) kinds.push(REBLOG);
        if (reaction.reply) kinds.push(REPLY);
        for (const kind of kinds) {
          events.push(
            ids.event(at, {
              $case: 'engagement',
              value: { userId: user.id, postId: item.postId, kind },
            }),
          );
        }
        if (reaction.hide) {
          hidden += 1;
          counters.hides += 1;
        } else if (kinds.length > 0) {
          engaged += 1;
          counters.engagedItems += 1;
          if (post.fromNewCreator) counters.newCreatorEngagements += 1;
        }
        if (reaction.follow && !user.followed.has(item.blogId)) {
          user.followed.add(item.blogId);
          counters.follows += 1;
          events.push(
            ids.event(at, { $case: 'follow', value: { userId: user.id, blogId: item.blogId } }),
          );
        }
        if (reaction.like) counters.likes += 1;
        if (reaction.reblog) counters.reblogs += 1;
        if (reaction.reply) counters.replies += 1;
      }
      if (events.length > 0) await this.deps.publisher.publish(events);
      cursor = response.nextCursor;
      const shown = response.items.length;
      if (cursor === '' || !user.random.chance(continueChance(engaged / shown, hidden / shown)))
        break;
    }
    return { utility, impressions };
  }
}
