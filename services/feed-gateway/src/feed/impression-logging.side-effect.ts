import type { eventsv1, gatewayv1 } from '@feedmesh/contracts';
import type { EventLog } from '@feedmesh/events';
import type { Logger } from '@feedmesh/service-kit';
import type { FeedMetrics } from './feed-metrics.js';
import type { FeedQuery } from './feed-query.js';

export interface ServedItem {
  readonly item: gatewayv1.FeedItem;
  /** The original the item reblogs; empty for an original. */
  readonly reblogOf: string;
  /** The feature values the ranker saw for this item (empty when features were unavailable). */
  readonly featureValues: readonly number[];
  /** Which of them were missing (the model's default was used): a bitset, empty for none. */
  readonly featureMissing: Uint8Array;
}

/**
 * Logs one Impression per served item, with the features the ranker saw and which of them were
 * missing, so training data is exactly what was served, and, for a reblog, the original it
 * reblogs, which the feature store then counts served too (later sessions serve neither it
 * nor its other reblogs). Runs off the response path: a failure is logged, not returned.
 */
export class ImpressionLoggingSideEffect {
  readonly name = 'impression-logging';

  constructor(
    private readonly eventLog: EventLog,
    private readonly logger: Logger,
    private readonly metrics: Pick<FeedMetrics, 'impressionsLost'>,
  ) {}

  run(
    query: FeedQuery,
    served: readonly ServedItem[],
    meta: { model: string; featureSchema: string; atMs: number },
  ): void {
    if (served.length === 0) return;
    const events: eventsv1.Event[] = served.map(
      ({ item, reblogOf, featureValues, featureMissing }) => ({
        eventId: `imp:${query.requestId}:${item.position}`,
        atMs: meta.atMs,
        payload: {
          $case: 'impression',
          value: {
            userId: query.userId,
            postId: item.postId,
            requestId: query.requestId,
            position: item.position,
            surface: query.surface,
            experiments: [...query.exposure],
            source: item.source,
            model: meta.model,
            score: item.score,
            featureSchema: featureValues.length > 0 ? meta.featureSchema : '',
            featureValues: [...featureValues],
            featureMissing: Buffer.from(featureMissing),
            ...(reblogOf === '' ? {} : { reblogOf }),
          },
        },
      }),
    );
    this.eventLog.append(events).catch((error: unknown) => {
      this.metrics.impressionsLost(events.length);
      this.logger.warn(
        { err: error, requestId: query.requestId, impressions: events.length },
        'impressions not logged',
      );
    });
  }
}
