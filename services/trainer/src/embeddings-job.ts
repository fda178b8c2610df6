import { commonv1 } from '@feedmesh/contracts';
import {
  normalizeTags,
  trainEmbeddings,
  type EmbeddingStore,
  type EmbeddingsVersion,
  type ImplicitAlsOptions,
  type PostContent,
  type SessionEaseOptions,
  type WeightedEngagement,
} from '@feedmesh/embeddings';
import type { EventLog } from '@feedmesh/events';
import type { Logger } from '@feedmesh/service-kit';

const Kind = commonv1.EngagementKind;

/**
 * What an engagement says about taste, as an interaction weight: the same scale candidate
 * generation gives popularity (a reblog puts the post on the user's own blog). Clicks are too
 * weak to train on; hides and reports are not preferences at all.
 */
const WEIGHTS: Partial<Record<commonv1.EngagementKind, number>> = {
  [Kind.ENGAGEMENT_KIND_LIKE]: 1,
  [Kind.ENGAGEMENT_KIND_REBLOG]: 3,
  [Kind.ENGAGEMENT_KIND_REPLY]: 2,
  [Kind.ENGAGEMENT_KIND_SHARE]: 2,
};

export interface EmbeddingsJobOptions {
  readonly eventLog: EventLog;
  readonly store: EmbeddingStore;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly als: ImplicitAlsOptions;
  /**
   * Also fits the related source's item-to-item model (session EASE) and ships it in the same
   * artifact; default none.
   */
  readonly neighbours?: SessionEaseOptions | false;
}

export interface EmbeddingsJobReport {
  readonly events: number;
  readonly engagements: number;
  /** Undefined when there was nothing to learn from (no engagement in the log). */
  readonly published: EmbeddingsVersion | undefined;
  readonly readMs: number;
  readonly trainMs: number;
}

/**
 * The trainer's embeddings job: reads the log's history (positive engagements, posts, deletes),
 * trains user and post vectors (implicit ALS), and publishes them to the embeddings store,
 * which candidate generation polls. Events are taken once per event_id; deleted posts are
 * left out. Deterministic for a log and seed.
 */
export async function runEmbeddingsJob(
  options: EmbeddingsJobOptions,
): Promise<EmbeddingsJobReport> {
  const { eventLog, store, logger, clock } = options;
  const started = performance.now();
  const seen = new Set<string>();
  const engagements: (WeightedEngagement & { atMs: number })[] = [];
  const contents = new Map<string, PostContent>();
  const deleted = new Set<string>();
  let events = 0;
  let newest = 0;
  for await (const event of eventLog.history()) {
    events += 1;
    if (seen.has(event.eventId)) continue;
    seen.add(event.eventId);
    const payload = event.payload;
    if (payload?.$case === 'engagement') {
      const weight = WEIGHTS[payload.value.kind];
      if (weight === undefined || !payload.value.userId || !payload.value.postId) continue;
      engagements.push({
        userId: payload.value.userId,
        postId: payload.value.postId,
        weight,
        atMs: event.atMs,
      });
      newest = Math.max(newest, event.atMs);
    } else if (payload?.$case === 'postCreated') {
      const { postId, blogId, tags } = payload.value;
      contents.set(postId, { postId, blogId, tags: normalizeTags(tags) });
    } else if (payload?.$case === 'postDeleted') {
      deleted.add(payload.value.postId);
    }
  }
  const readMs = performance.now() - started;
  const live = engagements.filter((e) => !deleted.has(e.postId));
  if (live.length === 0) {
    logger.info({ events }, 'no engagements to train embeddings on');
    return { events, engagements: 0, published: undefined, readMs, trainMs: 0 };
  }
  const trainStarted = performance.now();
  const artifact = trainEmbeddings(
    live,
    [...contents.values()].filter((post) => !deleted.has(post.postId)),
    {
      ...options.als,
      ...(options.neighbours ? { neighbours: options.neighbours } : {}),
      trainedAtMs: newest,
      notes: { source: 'event log history', engagements: String(live.length) },
    },
  );
  const trainMs = performance.now() - trainStarted;
  const published = await store.publish(artifact, clock());
  logger.info({ ...published, trainMs: Math.round(trainMs) }, 'embeddings published');
  return {
    events,
    engagements: live.length,
    published,
    readMs: Math.round(readMs),
    trainMs: Math.round(trainMs),
  };
}
