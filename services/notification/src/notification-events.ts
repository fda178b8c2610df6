import type { commonv1, eventsv1 } from '@feedmesh/contracts';
import { asUnavailable } from '@feedmesh/events';
import type { Logger } from '@feedmesh/service-kit';
import type { ActivityTrigger, TriggerResult } from './activity.trigger.js';
import { subjectOf } from './activity.js';
import type { BlockStore } from './block-store.js';
import type { DigestEntry, DigestStore } from './digest-store.js';
import { memoizedLookups, type DirectoryStore, type EntityRef } from './directory-store.js';
import { runKeyOrdered, type ItemFailure, type OrderingKeys } from './key-ordered-batch.js';
import { MAX_ASSIGNMENTS, type ExperimentStore } from './experiment-store.js';
import type { InboxStore } from './inbox-store.js';
import { forgetsInterest, type InterestLearner } from './interest-learner.js';
import type { NotificationMetrics } from './metrics.js';
import type { NewPostTrigger } from './new-post.trigger.js';
import type { OpenStatsStore } from './open-stats-store.js';
import type { SessionStore } from './session-store.js';

/** At most one warning of experiment assignments cut this often, ms. */
const CUT_LOG_INTERVAL_MS = 60_000;
/** Experiment ids a warning names; the rest are counted. */
const CUT_LOGGED = 20;

/** What the handler works with; the triggers decide, the stores remember. */
export interface EventHandlerDeps {
  readonly directory: DirectoryStore;
  readonly blocks: BlockStore;
  readonly activity: ActivityTrigger;
  readonly newPosts: NewPostTrigger;
  readonly learner: InterestLearner;
  readonly digests: DigestStore;
  readonly sessions: SessionStore;
  readonly inbox: InboxStore;
  readonly openStats: OpenStatsStore;
  readonly experiments: ExperimentStore;
  /** Called with each entry digested: lets the flusher look at once when it is due now. */
  readonly onDigested: (entry: DigestEntry) => void;
  readonly metrics: NotificationMetrics;
  readonly logger: Logger;
  readonly clock: () => number;
}

/**
 * The `notification` group's handler. It keeps the directory (who owns what, post tags), learns
 * interests, sessions, experiment variants and opens, and feeds the triggers' output into the
 * digests:
 *
 *   BlogCreated, PostCreated, PostDeleted  → directory (+ NEW_POST to the blog's fans)
 *   Engagement, Follow                     → ACTIVITY for the owner, interests of the actor
 *   Unfollow, Block                        → the actor's interest in the blog forgotten
 *   Block, Unblock                         → the user's blocks (the blocked policy reads them)
 *   SessionStarted                         → last session, lapse check rescheduled
 *   NotificationOpened                     → marked read, counted for P(open)
 *   Impression                             → the user's experiment variants
 *
 * Events that name a post or blog not recorded yet are parked on it and resumed when it is:
 * the log orders a post's own events, not a post's events relative to the likes of it, so a
 * like can come first (and another replica can record the post while this one parks the like:
 * `park`). Parking costs little (bounded lists with a TTL); dropping would lose notifications
 * whenever one partition lags another. Parked events that expire are the difference between
 * the `parked` and `resumed` counts.
 */
export class NotificationEventHandler {
  /** When assignments cut were last logged, and the impressions cut since (counted, not logged). */
  private cutLogged = { atMs: -Infinity, since: 0 };

  constructor(private readonly deps: EventHandlerDeps) {}

  /**
   * A read of the log at once (the consumer's batch mode): each event is handled as `handle`
   * would, but events of different entities overlap, so a batch costs about as many round
   * trips as its longest chain of events on one entity rather than several per event. Events
   * sharing an entity (orderingKeysOf) keep their log order. Resolves with the events that
   * failed, by index; the others are applied. A failure because Redis was down is reported as
   * `UnavailableError`, so the consumer retries it once Redis answers, uncounted, rather than
   * after its idle claim as a failed delivery.
   */
  readonly handleBatch = async (events: readonly eventsv1.Event[]): Promise<ItemFailure[]> =>
    (await runKeyOrdered(events, orderingKeysOf, (event) => this.handle(event))).map((failure) => ({
      ...failure,
      error: asUnavailable(failure.error),
    }));

  readonly handle = async (event: eventsv1.Event): Promise<void> => {
    const { directory, learner, sessions } = this.deps;
    const payload = event.payload;
    switch (payload?.$case) {
      case 'blogCreated': {
        const { blogId, ownerUserId, name } = payload.value;
        // Consumers go on past what the gateway should have refused rather than dead-letter it.
        if (blogId === '' || ownerUserId === '') return;
        await directory.recordBlog(blogId, ownerUserId, name, event.atMs);
        return this.resume({ kind: 'blog', id: blogId });
      }
      case 'postCreated': {
        const { postId, blogId, tags } = payload.value;
        if (postId === '' || blogId === '') return;
        await directory.recordPost(postId, blogId, tags);
        await this.digestAll(await this.deps.newPosts.entries(event));
        return this.resume({ kind: 'post', id: postId });
      }
      case 'postDeleted':
        if (payload.value.postId === '') return;
        return directory.recordPostDeleted(payload.value.postId);
      case 'engagement':
        return this.onEngagement(event, 'fresh');
      case 'follow': {
        const { userId, blogId } = payload.value;
        await learner.learnFollow(userId, blogId, event.atMs);
        return this.onActivity(event, false);
      }
      case 'unfollow':
        return learner.forgetBlog(payload.value.userId, payload.value.blogId);
      case 'block':
      case 'unblock': {
        const { userId, blogId } = payload.value;
        if (userId === '' || blogId === '') return;
        const blocked = payload.$case === 'block';
        const atMs = event.atMs > 0 ? event.atMs : this.deps.clock();
        await Promise.all([
          blocked ? learner.forgetBlog(userId, blogId) : undefined,
          this.deps.blocks.record(userId, blogId, blocked, atMs),
        ]);
        return;
      }
      case 'sessionStarted':
        if (payload.value.userId === '') return;
        return sessions.record(
          payload.value.userId,
          event.atMs > 0 ? event.atMs : this.deps.clock(),
        );
      case 'notificationOpened':
        return this.onOpened(payload.value.userId, payload.value.notificationId);
      case 'impression': {
        const { userId, experiments } = payload.value;
        if (userId === '') return;
        const cut = await this.deps.experiments.record(userId, experiments, event.atMs);
        if (cut.length > 0) this.assignmentsCut(event.eventId, userId, cut);
        return;
      }
      default:
        return;
    }
  };

  /**
   * An engagement teaches interests and may be activity. Both need its post, so both run at
   * once on shared lookups; when the post is not known, the event waits for it. Resumed after
   * waiting on the post's blog, the post was known and the interests learned before it was
   * parked, so only the activity is looked at again.
   */
  private async onEngagement(
    event: eventsv1.Event,
    from: 'fresh' | 'post' | 'blog',
    resumed = from !== 'fresh',
  ): Promise<void> {
    const lookups = memoizedLookups(this.deps.directory);
    const [learned, result] = await Promise.all([
      from === 'blog' ? ('ignored' as const) : this.deps.learner.learnEngagement(event, lookups),
      this.deps.activity.evaluate(event, lookups),
    ]);
    if (learned === 'waiting') {
      const postId = event.payload?.$case === 'engagement' ? event.payload.value.postId : '';
      return this.park({ kind: 'post', id: postId }, event, resumed);
    }
    return this.onTriggered(event, result, resumed);
  }

  private async onActivity(event: eventsv1.Event, resumed: boolean): Promise<void> {
    return this.onTriggered(event, await this.deps.activity.evaluate(event), resumed);
  }

  private async onTriggered(
    event: eventsv1.Event,
    result: TriggerResult,
    resumed: boolean,
  ): Promise<void> {
    const { digests, metrics } = this.deps;
    switch (result.kind) {
      case 'ignored':
        if (resumed) metrics.activity('resumed');
        metrics.activity(result.reason);
        return;
      case 'waiting':
        return this.park(result.on, event, resumed);
      case 'activity': {
        if (resumed) metrics.activity('resumed');
        const entry: DigestEntry = {
          subject: subjectOf(result.activity),
          eventId: result.activity.eventId,
          actorIds: [result.activity.actorId],
          atMs: result.activity.atMs,
        };
        const added = await digests.add(entry, this.deps.clock());
        metrics.activity(added === 'added' ? 'digested' : 'duplicate');
        if (added === 'added') this.deps.onDigested(entry);
        return;
      }
    }
  }

  /**
   * Parks the event on `on`, unless `on` was recorded since the event looked it up (another
   * replica's PostCreated or BlogCreated, whose resume ran before this park): then the event
   * is handled now, as that resume would have. The store checks and parks atomically, so
   * either the resume sees the event or the event sees the entity. The store's 'known' is
   * what the lookups find, so handling the event again does not wait on `on` a second time.
   */
  private async park(on: EntityRef, event: eventsv1.Event, resumed: boolean): Promise<void> {
    if (resumed) this.deps.metrics.activity('resumed');
    const outcome = await this.deps.directory.park(on, event, this.deps.clock());
    if (outcome === 'known') return this.handleWaiting(on, event, false);
    this.deps.metrics.activity('parked');
  }

  /**
   * An event that waited on `entity`, now known: an engagement is looked at again from where
   * it waited (interests were learned before it waited on a blog); a follow is activity only.
   */
  private handleWaiting(entity: EntityRef, event: eventsv1.Event, resumed: boolean): Promise<void> {
    return event.payload?.$case === 'engagement'
      ? this.onEngagement(event, entity.kind, resumed)
      : this.onActivity(event, resumed);
  }

  private async digestAll(entries: readonly DigestEntry[]): Promise<void> {
    const added = await this.deps.digests.addAll(entries, this.deps.clock());
    entries.forEach((entry, i) => {
      if (added[i] === 'added') this.deps.onDigested(entry);
    });
  }

  /**
   * An impression carried more experiment assignments than are kept (ExperimentStore.record):
   * every one cut is counted, and a warning names them, at most one a minute (the gateway logs
   * a request's assignments with each of its impressions, a dozen a page).
   */
  private assignmentsCut(
    eventId: string,
    userId: string,
    cut: readonly commonv1.ExperimentAssignment[],
  ): void {
    this.deps.metrics.experimentAssignmentsCut(cut.length);
    const nowMs = this.deps.clock();
    if (nowMs - this.cutLogged.atMs < CUT_LOG_INTERVAL_MS) {
      this.cutLogged.since += 1;
      return;
    }
    this.deps.logger.warn(
      {
        eventId,
        userId,
        kept: MAX_ASSIGNMENTS,
        cut: cut.length,
        cutExperiments: cut.slice(0, CUT_LOGGED).map((a) => a.experiment),
        impressionsCutSinceLastLogged: this.cutLogged.since,
      },
      `an impression carried more than ${MAX_ASSIGNMENTS} experiment assignments: kept the first ${MAX_ASSIGNMENTS} by experiment id`,
    );
    this.cutLogged = { atMs: nowMs, since: 0 };
  }

  /** Opening a notification reads it, and is the evidence P(open) learns from. */
  private async onOpened(userId: string, notificationId: string): Promise<void> {
    if (userId === '' || notificationId === '') return;
    const { inbox, openStats } = this.deps;
    const notification = await inbox.find(userId, notificationId);
    // Not (or no longer) in the inbox: nothing to mark, and its type is unknown.
    if (notification === undefined) return;
    await Promise.all([
      openStats.recordOpen(userId, notificationId, notification.type),
      notification.read ? undefined : inbox.markRead(userId, [notificationId]),
    ]);
  }

  /**
   * Re-runs what waited on `entity`, then forgets exactly those events (others may have been
   * parked meanwhile). A failure midway leaves them parked: the digest ignores the ones
   * already done when they come round again.
   */
  private async resume(entity: EntityRef): Promise<void> {
    const { directory } = this.deps;
    const waiting = await directory.parked(entity, this.deps.clock());
    if (waiting.length === 0) return;
    for (const event of waiting) await this.handleWaiting(entity, event, true);
    await directory.unpark(entity, waiting.length);
  }
}

/**
 * What an event's handling must stay ordered with in a batch (runKeyOrdered). The log orders
 * the events of one partition key (an actor's, a post's, a blog's) and nothing else; of those,
 * only the ones touching the same state need to stay in order:
 * - a user's interests: adds (engagements, follows) commute, as scores are sums, so they share
 *   the key; taking interest back (hide, report, unfollow, block) changes it, so it waits for
 *   the adds before it and the adds after it wait for it; blocks themselves (Block, Unblock)
 *   are kept by event time, so their order does not matter;
 * - a user's sessions, experiment variants and opened notifications: each its own key, as
 *   they touch nothing of each other's or of the interests;
 * - a post's directory entry: an engagement reads it, and parks on it when it is missing, so it
 *   waits for an earlier PostCreated or PostDeleted of the post in the batch, and those wait
 *   for it (a resume must see what an earlier like parked). Likes of one post share it.
 * A new blog resumes events of any user parked on it, so it is a barrier; blogs are few.
 */
export function orderingKeysOf(event: eventsv1.Event): OrderingKeys {
  const payload = event.payload;
  switch (payload?.$case) {
    case 'blogCreated':
      return 'barrier';
    case 'postCreated':
    case 'postDeleted':
      return { exclusive: [`p:${payload.value.postId}`] };
    case 'engagement': {
      const { userId, postId, kind } = payload.value;
      const interests = `i:${userId}`;
      return forgetsInterest(kind)
        ? { exclusive: [interests], shared: [`p:${postId}`] }
        : { exclusive: [], shared: [interests, `p:${postId}`] };
    }
    case 'follow':
      return { exclusive: [], shared: [`i:${payload.value.userId}`] };
    case 'unfollow':
    case 'block':
      return { exclusive: [`i:${payload.value.userId}`] };
    case 'unblock':
      // Blocks are kept by event time (the later wins), so they need no order of their own.
      return { exclusive: [] };
    case 'sessionStarted':
      return { exclusive: [`s:${payload.value.userId}`] };
    case 'impression':
      return { exclusive: [`x:${payload.value.userId}`] };
    case 'notificationOpened':
      return { exclusive: [`o:${payload.value.userId}`] };
    default:
      return { exclusive: [] };
  }
}
