import {
  encodeContentModels,
  trainContentModels,
  type ContentModelStore,
  type ContentModelsVersion,
  type TrainingEngagement,
  type TrainingPost,
} from '@feedmesh/content';
import { commonv1 } from '@feedmesh/contracts';
import type { EventLog } from '@feedmesh/events';
import type { Logger } from '@feedmesh/service-kit';

const Kind = commonv1.EngagementKind;

/** Engagements that say a user liked what a post is about (clicks are too weak, hides the opposite). */
const POSITIVE: ReadonlySet<commonv1.EngagementKind> = new Set([
  Kind.ENGAGEMENT_KIND_LIKE,
  Kind.ENGAGEMENT_KIND_REBLOG,
  Kind.ENGAGEMENT_KIND_REPLY,
  Kind.ENGAGEMENT_KIND_SHARE,
]);

export interface ContentModelsJobSettings {
  /** Content vector length. Default 100. */
  readonly dim?: number;
  /** Tagged posts voting for an untagged post's tags. Default 50. */
  readonly neighbours?: number;
  /** Newest posts trained on. Default 200,000. */
  readonly maxPosts?: number;
  readonly seed?: number;
}

export interface ContentModelsJobOptions {
  readonly eventLog: EventLog;
  readonly store: ContentModelStore;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly settings?: ContentModelsJobSettings;
}

export interface ContentModelsJobReport {
  readonly events: number;
  /** Posts trained on (live, original, with text or tags), and how many had tags. */
  readonly posts: number;
  readonly taggedPosts: number;
  readonly engagements: number;
  /** Undefined when there was nothing to learn from (no tagged post in the log). */
  readonly published: ContentModelsVersion | undefined;
  readonly readMs: number;
  readonly trainMs: number;
  readonly publishMs: number;
}

interface LoggedPost extends TrainingPost {
  readonly atMs: number;
}

/**
 * The trainer's content models job: reads the log's history (posts' text and tags, positive
 * engagements, deletes), trains the content models (tag vocabulary, document frequencies, tag
 * inferrer, content encoder, engagement prior) and publishes them to the content model store,
 * which candidate generation and search poll. Events are taken once per event_id; deleted
 * posts and reblogs (a copy says nothing new) are left out; the models' time is the newest
 * event's, so the same log trains the same models.
 */
export async function runContentModelsJob(
  options: ContentModelsJobOptions,
): Promise<ContentModelsJobReport> {
  const { eventLog, store, logger, clock } = options;
  const settings = options.settings ?? {};
  const started = performance.now();
  const seen = new Set<string>();
  const posts = new Map<string, LoggedPost>();
  const deleted = new Set<string>();
  const engagements: TrainingEngagement[] = [];
  let events = 0;
  let newest = 0;
  for await (const event of eventLog.history()) {
    events += 1;
    if (seen.has(event.eventId)) continue;
    seen.add(event.eventId);
    const payload = event.payload;
    if (payload?.$case === 'engagement') {
      const { userId, postId, kind } = payload.value;
      if (!POSITIVE.has(kind) || !userId || !postId) continue;
      engagements.push({ userId, postId, atMs: event.atMs });
    } else if (payload?.$case === 'postCreated') {
      const { postId, text, tags, reblogOf } = payload.value;
      if (reblogOf || !postId || (text.trim() === '' && tags.length === 0)) continue;
      posts.set(postId, { postId, text, tags, atMs: event.atMs });
    } else if (payload?.$case === 'postDeleted') {
      deleted.add(payload.value.postId);
    } else {
      continue;
    }
    newest = Math.max(newest, event.atMs);
  }
  const training = [...posts.values()]
    .filter((post) => !deleted.has(post.postId))
    .sort((a, b) => b.atMs - a.atMs || (a.postId < b.postId ? -1 : 1))
    .slice(0, settings.maxPosts ?? 200_000);
  const kept = new Set(training.map((post) => post.postId));
  const engaged = engagements.filter((e) => kept.has(e.postId));
  const taggedPosts = training.filter((post) => post.tags.length > 0).length;
  const readMs = Math.round(performance.now() - started);
  const counts = { events, posts: training.length, taggedPosts, engagements: engaged.length };
  if (taggedPosts === 0) {
    logger.info(counts, 'no tagged posts to train content models on');
    return { ...counts, published: undefined, readMs, trainMs: 0, publishMs: 0 };
  }

  const trainStarted = performance.now();
  const models = trainContentModels(training, engaged, {
    encoder: { dim: settings.dim ?? 100, seed: settings.seed ?? 42 },
    tagInferrerNeighbours: settings.neighbours ?? 50,
    trainedAtMs: newest,
  });
  const json = encodeContentModels(models);
  const trainMs = Math.round(performance.now() - trainStarted);
  const publishStarted = performance.now();
  const published = await store.publish(json, clock(), {
    source: 'event log history',
    posts: String(training.length),
    engagements: String(engaged.length),
  });
  const publishMs = Math.round(performance.now() - publishStarted);
  logger.info({ ...counts, ...published, trainMs, publishMs }, 'content models published');
  return { ...counts, published, readMs, trainMs, publishMs };
}
