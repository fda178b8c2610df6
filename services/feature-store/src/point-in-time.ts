import type { eventsv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import type { PackedMatrix, PackedVector } from './candidate-matrix.js';
import { FeatureMaterializer } from './event-materializer.js';
import { candidateMatrix, userVector } from './feature-responses.js';
import { featureSchema } from './feature-schema.js';
import type { StoreLimits } from './feature-store.js';
import { InMemoryFeatureStore } from './in-memory-feature-store.js';

/** Features wanted as they were at an instant. */
export interface FeatureRequestAt {
  readonly userId: string;
  readonly postIds: readonly string[];
  /**
   * Ms since the epoch. Only events strictly before it are folded in. Infinity: after the
   * whole history, read as of its last event. NaN and -Infinity are refused.
   */
  readonly atMs: number;
}

/** GetFeatures' answer as of an instant. */
export interface FeaturesAt {
  readonly schema: string;
  readonly user: PackedVector;
  readonly candidates: PackedMatrix;
}

export interface PointInTimeOptions extends Partial<StoreLimits> {
  /** Events applied per batch while replaying. Default 1,000. */
  readonly batchSize?: number;
  /**
   * The most event time one batch spans, ms. Default 60,000. A batch is applied at the time
   * of its last event, so a key's time to live starts, and is checked, up to this much later
   * than it would have been at its own event's time.
   */
  readonly batchSpanMs?: number;
}

/**
 * Rebuilds features as of past instants (point-in-time reads, for backfills and training
 * data without logged values): replays the log in event-time order into an in-memory store,
 * and answers each request once every event strictly before its instant is in, and none
 * after. The store's clock follows the replay, so a key expires as it would have then (to
 * within `batchSpanMs`).
 *
 * What it costs: the whole history is held once in memory to sort it by time (the log keeps
 * order only per partition), plus the in-memory store's state (about what Redis holds for the
 * same events), and one pass of the materializer over every event: the ingestion rate, on one
 * core. What it cannot know: when each event arrived. An event that reached the online store
 * late (after the instant, though it happened before) is folded in here and was not there
 * then; events the log no longer retains are missing here and were counted then. Values the
 * gateway logged with each impression (`Impression.feature_values`) are what was served;
 * prefer them where they exist.
 */
export async function featuresAsOf(
  history: AsyncIterable<eventsv1.Event> | Iterable<eventsv1.Event>,
  requests: readonly FeatureRequestAt[],
  options: PointInTimeOptions = {},
): Promise<FeaturesAt[]> {
  requests.forEach(({ atMs }, i) => {
    // Read as "after the whole history", a time gone astray would leak the future in.
    if (Number.isNaN(atMs) || atMs === Number.NEGATIVE_INFINITY) {
      throw new InvalidArgumentError(`requests[${i}].atMs`, `must be a time in ms, got ${atMs}`);
    }
  });
  const events = await inTimeOrder(history);
  let clock = 0;
  const store = new InMemoryFeatureStore({
    setCap: options.setCap ?? 1_000,
    interestCap: options.interestCap ?? 200,
    now: () => clock,
    // The history is deduplicated by event id before the replay: nothing to remember.
    countedTtlMs: 0,
  });
  const materializer = new FeatureMaterializer(store);
  const batchSize = options.batchSize ?? 1_000;
  const batchSpanMs = options.batchSpanMs ?? 60_000;
  const order = requests
    .map((_, i) => i)
    .sort((a, b) => Math.sign(requests[a]!.atMs - requests[b]!.atMs) || 0);
  const answers = new Array<FeaturesAt>(requests.length);
  let next = 0;
  const end = (events[events.length - 1]?.atMs ?? 0) + 1;
  for (const index of order) {
    const { userId, postIds } = requests[index]!;
    const atMs = Number.isFinite(requests[index]!.atMs) ? requests[index]!.atMs : end;
    const batch: eventsv1.Event[] = [];
    const flush = async () => {
      // Events the store cannot make sense of are skipped, as the consumer dead-letters them.
      if (batch.length > 0) await materializer.applyBatch(batch.splice(0));
    };
    while (next < events.length && events[next]!.atMs < atMs) {
      const event = events[next++]!;
      // The store reads and writes a batch at its clock: a batch spanning a time to live would
      // keep, or forget, what the live store forgot, or kept, in between.
      if (batch.length > 0 && event.atMs - batch[0]!.atMs > batchSpanMs) await flush();
      clock = Math.max(clock, event.atMs);
      batch.push(event);
      if (batch.length === batchSize) await flush();
    }
    await flush();
    clock = Math.max(clock, atMs);
    const distinct = [...new Set(postIds)];
    const states = await store.readCandidates(userId === '' ? undefined : userId, distinct);
    answers[index] = {
      schema: featureSchema.version,
      user: userVector(states.user, atMs),
      candidates: candidateMatrix(userId === '' ? undefined : userId, states, postIds, atMs),
    };
  }
  return answers;
}

/** The history's events, each event_id once (the log may hold retried appends), by time. */
async function inTimeOrder(
  history: AsyncIterable<eventsv1.Event> | Iterable<eventsv1.Event>,
): Promise<eventsv1.Event[]> {
  const seen = new Set<string>();
  const events: eventsv1.Event[] = [];
  for await (const event of history) {
    if (seen.has(event.eventId)) continue;
    seen.add(event.eventId);
    events.push(event);
  }
  // Stable: events of one instant keep their log order.
  return events.sort((a, b) => a.atMs - b.atMs);
}

/**
 * Point-in-time features as a trainer's feature source (the trainer's `FeatureSource`, by
 * shape): `getFeaturesAsOf` answers every request from one replay of `history`;
 * `getFeatures` answers as of the end of it. Each call replays the history again.
 */
export class PointInTimeFeatureSource {
  readonly maxPostsPerCall = 5_000;

  constructor(
    private readonly history: () => AsyncIterable<eventsv1.Event> | Iterable<eventsv1.Event>,
    private readonly options: PointInTimeOptions = {},
  ) {}

  async getFeaturesAsOf(requests: readonly FeatureRequestAt[]): Promise<FeaturesAt[]> {
    return featuresAsOf(this.history(), requests, this.options);
  }

  async getFeatures(userId: string, postIds: readonly string[]): Promise<FeaturesAt> {
    const [answer] = await featuresAsOf(
      this.history(),
      [{ userId, postIds, atMs: Number.POSITIVE_INFINITY }],
      this.options,
    );
    return answer!;
  }
}
