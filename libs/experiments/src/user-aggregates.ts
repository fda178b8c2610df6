import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** What one user did in one span of time. */
export interface ActivityCounts {
  impressions: number;
  likes: number;
  reblogs: number;
  replies: number;
  shares: number;
  hides: number;
  /** Likes, reblogs, replies and shares: the engagement the feed is for. */
  engagements: number;
  sessions: number;
  newCreatorImpressions: number;
  newCreatorEngagements: number;
  notificationsOpened: number;
}

export const ACTIVITY_FIELDS = [
  'impressions',
  'likes',
  'reblogs',
  'replies',
  'shares',
  'hides',
  'engagements',
  'sessions',
  'newCreatorImpressions',
  'newCreatorEngagements',
  'notificationsOpened',
] as const satisfies readonly (keyof ActivityCounts)[];

export function emptyCounts(): ActivityCounts {
  return {
    impressions: 0,
    likes: 0,
    reblogs: 0,
    replies: 0,
    shares: 0,
    hides: 0,
    engagements: 0,
    sessions: 0,
    newCreatorImpressions: 0,
    newCreatorEngagements: 0,
    notificationsOpened: 0,
  };
}

/** One exposed user of an experiment. */
export interface UserAggregate {
  readonly userId: string;
  readonly variant: string;
  /** First impression or notification that carried the experiment's assignment, ms. */
  readonly firstExposureMs: number;
  /** Activity in the pre-period [start − prePeriodMs, start): the CUPED covariate. */
  readonly pre: ActivityCounts;
  /** Activity in each bin of the experiment period; bin i ends at `cutoffs[i]`. */
  readonly bins: readonly ActivityCounts[];
  /** No session in the `lapseMs` before the experiment started. */
  readonly lapsedAtStart: boolean;
  /** Session times in the experiment period, ascending. */
  readonly sessionTimes: readonly number[];
}

export interface AggregationOptions {
  /** The experiment key, as logged in Impression.experiments / NotificationSent.experiments. */
  readonly experiment: string;
  /** Experiment period [startMs, endMs). */
  readonly startMs: number;
  readonly endMs: number;
  /** Length of the pre-period before startMs, ms. Default 7 days. */
  readonly prePeriodMs?: number;
  /** Number of equal time bins the experiment period is cut into (the report's looks). Default 12. */
  readonly bins?: number;
  /** A blog is a new creator for this long after it was created, ms. Default 14 days. */
  readonly newCreatorAgeMs?: number;
  /** A user counts as lapsed with no session for this long before the start, ms. Default 7 days. */
  readonly lapseMs?: number;
}

export interface ExperimentAggregates {
  readonly experiment: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly prePeriodMs: number;
  /** End of each bin, ascending; the last is endMs. */
  readonly cutoffs: readonly number[];
  /** Exposed users by variant, in order of first appearance of the variant. */
  readonly variants: ReadonlyMap<string, readonly UserAggregate[]>;
  /** Users logged with two or more variants of the experiment: left out of the analysis. */
  readonly multipleVariantUsers: number;
  /** Events seen again with an event_id already read (at-least-once delivery). */
  readonly duplicateEvents: number;
  /**
   * Users the log shows exposed to the experiment before startMs, and the first such
   * exposure: the experiment ran before the window, so the pre-period [startMs −
   * prePeriodMs, startMs) may hold treated activity and is no valid CUPED covariate.
   * Absent when there was none (or for aggregates not read from a log).
   */
  readonly exposedBeforeStart?: { readonly users: number; readonly firstMs: number };
}

/**
 * A source of the log that can be read more than once (the analysis reads it twice: first
 * who was exposed and which blogs are new, then what each exposed user did). For example
 * `() => eventLog.history()`, or an array of events.
 */
export type EventSource =
  readonly eventsv1.Event[] | (() => AsyncIterable<eventsv1.Event> | Iterable<eventsv1.Event>);

interface Catalog {
  readonly postBlog: Map<string, string>;
  readonly blogCreatedMs: Map<string, number>;
  /** userId → variant, or null once two variants were seen. */
  readonly exposure: Map<string, { variant: string | null; firstMs: number }>;
  readonly variantOrder: string[];
  /** userId → first exposure to the experiment before startMs. */
  readonly exposedBeforeStart: Map<string, number>;
}

/**
 * Builds each exposed user's activity per variant from the event log: exposure from the
 * assignments the gateway and notification service log, activity from the user's events in
 * the pre-period and in each bin of the experiment period. Duplicate deliveries (same
 * event_id) count once. Exposures before the start are not the window's, but are counted
 * (`exposedBeforeStart`): they mean the pre-period may already be treated.
 */
export async function aggregateExperimentEvents(
  source: EventSource,
  options: AggregationOptions,
): Promise<ExperimentAggregates> {
  checkAggregationOptions(options);
  const prePeriodMs = options.prePeriodMs ?? 7 * DAY_MS;
  const binCount = options.bins ?? 12;
  const newCreatorAgeMs = options.newCreatorAgeMs ?? 14 * DAY_MS;
  const lapseMs = options.lapseMs ?? 7 * DAY_MS;
  const span = options.endMs - options.startMs;
  const cutoffs = Array.from({ length: binCount }, (_, i) =>
    i === binCount - 1 ? options.endMs : options.startMs + Math.round((span * (i + 1)) / binCount),
  );

  const catalog = await readCatalog(source, options);

  const users = new Map<
    string,
    {
      pre: ActivityCounts;
      bins: ActivityCounts[];
      lastSessionBeforeStart: number;
      sessionTimes: number[];
    }
  >();
  for (const [userId, exposure] of catalog.exposure) {
    if (exposure.variant === null) continue;
    users.set(userId, {
      pre: emptyCounts(),
      bins: cutoffs.map(() => emptyCounts()),
      lastSessionBeforeStart: -Infinity,
      sessionTimes: [],
    });
  }
  const isNewCreator = (postId: string, atMs: number): boolean => {
    const blog = catalog.postBlog.get(postId);
    const created = blog === undefined ? undefined : catalog.blogCreatedMs.get(blog);
    return created !== undefined && atMs >= created && atMs - created < newCreatorAgeMs;
  };

  const seen = new Set<string>();
  let duplicateEvents = 0;
  await forEachEvent(source, (event) => {
    if (event.eventId !== '') {
      if (seen.has(event.eventId)) {
        duplicateEvents += 1;
        return;
      }
      seen.add(event.eventId);
    }
    const userId = actingUser(event);
    if (userId === undefined) return;
    const user = users.get(userId);
    if (!user) return;
    const at = event.atMs;
    if (event.payload?.$case === 'sessionStarted' && at < options.startMs) {
      user.lastSessionBeforeStart = Math.max(user.lastSessionBeforeStart, at);
    }
    let counts: ActivityCounts | undefined;
    if (at >= options.startMs - prePeriodMs && at < options.startMs) counts = user.pre;
    else if (at >= options.startMs && at < options.endMs) {
      counts = user.bins[binIndex(cutoffs, at)];
      if (event.payload?.$case === 'sessionStarted') user.sessionTimes.push(at);
    }
    if (counts) count(counts, event, isNewCreator);
  });

  const variants = new Map<string, UserAggregate[]>(
    catalog.variantOrder.map((variant) => [variant, []]),
  );
  let multipleVariantUsers = 0;
  for (const [userId, exposure] of catalog.exposure) {
    if (exposure.variant === null) {
      multipleVariantUsers += 1;
      continue;
    }
    const user = users.get(userId);
    if (!user) continue;
    variants.get(exposure.variant)?.push({
      userId,
      variant: exposure.variant,
      firstExposureMs: exposure.firstMs,
      pre: user.pre,
      bins: user.bins,
      lapsedAtStart: user.lastSessionBeforeStart < options.startMs - lapseMs,
      sessionTimes: user.sessionTimes.sort((a, b) => a - b),
    });
  }
  const before = [...catalog.exposedBeforeStart.values()];
  return {
    experiment: options.experiment,
    startMs: options.startMs,
    endMs: options.endMs,
    prePeriodMs,
    cutoffs,
    variants,
    multipleVariantUsers,
    duplicateEvents,
    ...(before.length > 0
      ? {
          exposedBeforeStart: {
            users: before.length,
            firstMs: before.reduce((low, at) => Math.min(low, at), Infinity),
          },
        }
      : {}),
  };
}

/** Refuses a window, bin count or duration the aggregation cannot use, naming the option. */
function checkAggregationOptions(options: AggregationOptions): void {
  for (const field of ['startMs', 'endMs'] as const) {
    if (!Number.isFinite(options[field])) {
      throw new InvalidArgumentError(field, `must be a time in ms, not ${options[field]}`);
    }
  }
  if (!(options.endMs > options.startMs)) {
    throw new InvalidArgumentError('endMs', 'must be after startMs');
  }
  if (options.bins !== undefined && !(Number.isInteger(options.bins) && options.bins >= 1)) {
    throw new InvalidArgumentError(
      'bins',
      `must be a whole number of looks, at least 1, not ${options.bins}`,
    );
  }
  for (const field of ['prePeriodMs', 'newCreatorAgeMs', 'lapseMs'] as const) {
    const value = options[field];
    if (value !== undefined && !(value >= 0)) {
      throw new InvalidArgumentError(field, `must be a duration of 0 ms or more, not ${value}`);
    }
  }
}

async function readCatalog(source: EventSource, options: AggregationOptions): Promise<Catalog> {
  const catalog: Catalog = {
    postBlog: new Map(),
    blogCreatedMs: new Map(),
    exposure: new Map(),
    variantOrder: [],
    exposedBeforeStart: new Map(),
  };
  const firstPostMs = new Map<string, number>();
  const expose = (
    userId: string,
    assignments: readonly commonv1.ExperimentAssignment[],
    at: number,
  ) => {
    if (at >= options.endMs) return;
    const assignment = assignments.find((a) => a.experiment === options.experiment);
    if (!assignment || userId === '') return;
    if (at < options.startMs) {
      // Exposed before the window: not the window's exposure, but a treated pre-period.
      const first = catalog.exposedBeforeStart.get(userId);
      if (first === undefined || at < first) catalog.exposedBeforeStart.set(userId, at);
      return;
    }
    if (!catalog.variantOrder.includes(assignment.variant))
      catalog.variantOrder.push(assignment.variant);
    const known = catalog.exposure.get(userId);
    if (!known) catalog.exposure.set(userId, { variant: assignment.variant, firstMs: at });
    else {
      if (known.variant !== assignment.variant) known.variant = null;
      known.firstMs = Math.min(known.firstMs, at);
    }
  };
  await forEachEvent(source, (event) => {
    const payload = event.payload;
    switch (payload?.$case) {
      case 'postCreated': {
        catalog.postBlog.set(payload.value.postId, payload.value.blogId);
        const first = firstPostMs.get(payload.value.blogId);
        if (first === undefined || event.atMs < first)
          firstPostMs.set(payload.value.blogId, event.atMs);
        break;
      }
      case 'blogCreated':
        catalog.blogCreatedMs.set(payload.value.blogId, event.atMs);
        break;
      case 'impression':
        expose(payload.value.userId, payload.value.experiments, event.atMs);
        break;
      case 'notificationSent':
        expose(payload.value.userId, payload.value.experiments, event.atMs);
        break;
      default:
        break;
    }
  });
  // A blog whose creation was never logged is as old as its first post.
  for (const [blog, first] of firstPostMs) {
    if (!catalog.blogCreatedMs.has(blog)) catalog.blogCreatedMs.set(blog, first);
  }
  return catalog;
}

function actingUser(event: eventsv1.Event): string | undefined {
  const payload = event.payload;
  switch (payload?.$case) {
    case 'impression':
    case 'engagement':
    case 'sessionStarted':
    case 'notificationOpened':
      return payload.value.userId;
    default:
      return undefined;
  }
}

function count(
  counts: ActivityCounts,
  event: eventsv1.Event,
  isNewCreator: (postId: string, atMs: number) => boolean,
): void {
  const payload = event.payload;
  switch (payload?.$case) {
    case 'impression':
      counts.impressions += 1;
      if (isNewCreator(payload.value.postId, event.atMs)) counts.newCreatorImpressions += 1;
      break;
    case 'sessionStarted':
      counts.sessions += 1;
      break;
    case 'notificationOpened':
      counts.notificationsOpened += 1;
      break;
    case 'engagement': {
      const kind = payload.value.kind;
      const K = commonv1.EngagementKind;
      if (kind === K.ENGAGEMENT_KIND_HIDE) counts.hides += 1;
      if (kind === K.ENGAGEMENT_KIND_LIKE) counts.likes += 1;
      if (kind === K.ENGAGEMENT_KIND_REBLOG) counts.reblogs += 1;
      if (kind === K.ENGAGEMENT_KIND_REPLY) counts.replies += 1;
      if (kind === K.ENGAGEMENT_KIND_SHARE) counts.shares += 1;
      const positive =
        kind === K.ENGAGEMENT_KIND_LIKE ||
        kind === K.ENGAGEMENT_KIND_REBLOG ||
        kind === K.ENGAGEMENT_KIND_REPLY ||
        kind === K.ENGAGEMENT_KIND_SHARE;
      if (positive) {
        counts.engagements += 1;
        if (isNewCreator(payload.value.postId, event.atMs)) counts.newCreatorEngagements += 1;
      }
      break;
    }
    default:
      break;
  }
}

function binIndex(cutoffs: readonly number[], at: number): number {
  let low = 0;
  let high = cutoffs.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (at < (cutoffs[mid] ?? Infinity)) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** Calls `visit` for every event; an in-memory source is read without an await per event. */
async function forEachEvent(
  source: EventSource,
  visit: (event: eventsv1.Event) => void,
): Promise<void> {
  const iterable = typeof source === 'function' ? source() : source;
  if (Symbol.asyncIterator in iterable) {
    for await (const event of iterable as AsyncIterable<eventsv1.Event>) visit(event);
  } else {
    for (const event of iterable as Iterable<eventsv1.Event>) visit(event);
  }
}

const cumulativeCache = new WeakMap<UserAggregate, ActivityCounts[]>();

/** Sums the counts of bins 0..upTo (inclusive): activity from the start to cutoffs[upTo]. */
export function cumulativeCounts(user: UserAggregate, upTo: number): ActivityCounts {
  let sums = cumulativeCache.get(user);
  if (!sums) {
    sums = [];
    const running = emptyCounts();
    for (const bin of user.bins) {
      for (const field of ACTIVITY_FIELDS) running[field] += bin[field];
      sums.push({ ...running });
    }
    cumulativeCache.set(user, sums);
  }
  return { ...(sums[Math.min(upTo, sums.length - 1)] ?? emptyCounts()) };
}
