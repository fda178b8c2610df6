import {
  env,
  runtimeConfigShape,
  serverConfigShape,
  startGrpcServer,
  type Logger,
  type RunningServer,
  type Runtime,
} from '@feedmesh/service-kit';
import { registerObservableGauge, runAsService, withSpan } from '@feedmesh/telemetry';
import type { z } from 'zod';
import { SearchIndex, type SearchIndexOptions } from './engine/index.js';
import { PostIndexer } from './post-indexer.js';
import { SearchCursorCodec } from './search-cursor.js';
import { searchGroupName } from './search-group.js';
import { searchService } from './search-service.js';

export const searchConfigShape = {
  ...serverConfigShape,
  ...runtimeConfigShape,
  /** Signs page cursors; every replica must share it, since page 2 may hit another replica. */
  SEARCH_CURSOR_SECRET: env.string('feedmesh-search-cursor'),
  /** How long an idle consumer waits before reading the log again, ms: bounds freshness. */
  SEARCH_POLL_INTERVAL_MS: env.int(50, 5, 1_000),
};
export type SearchConfig = Readonly<z.infer<z.ZodObject<typeof searchConfigShape>>>;

export interface SearchOptions {
  readonly config: SearchConfig;
  /** redis (unused: the index lives in memory), eventLog, prefix, consumerName. */
  readonly runtime: Runtime;
  readonly logger: Logger;
  /** Engine settings (BM25F weights, coordination); the defaults suit the search box. */
  readonly index?: SearchIndexOptions;
}

/**
 * Starts the search service: rebuilds the in-memory index from the retained event log, then
 * follows the log with this replica's own consumer group (see `searchGroupName`) and serves
 * Search and Suggest.
 *
 * Why both a history pass and a group that starts at the beginning: on a first start the group
 * alone would do, but after a restart the group (named after the stable CONSUMER_NAME) resumes
 * where the previous process stopped, and the index that process built is gone. The history
 * pass restores it; what the group then delivers again is skipped, since indexing is
 * idempotent. A snapshot (`IndexSnapshotStore`) will replace the full replay later.
 */
export async function startSearch(options: SearchOptions): Promise<RunningServer> {
  const { config, runtime, logger } = options;
  const index = new SearchIndex(options.index);
  const indexer = new PostIndexer(index);
  const group = searchGroupName(runtime.consumerName);

  await runAsService('search', () =>
    withSpan('search.rebuild', { 'messaging.consumer.group.name': group }, async (span) => {
      let events = 0;
      let rejected = 0;
      for await (const event of runtime.eventLog.history()) {
        events += 1;
        try {
          indexer.apply(event);
        } catch (error) {
          // The group will meet it again and dead-letter it; the rebuild goes on.
          rejected += 1;
          logger.warn({ err: error, eventId: event.eventId }, 'search skipped a bad event');
        }
      }
      span.setAttributes({
        'feedmesh.search.events': events,
        'feedmesh.search.rejected': rejected,
      });
      logger.info({ events, rejected, ...index.stats() }, 'search index rebuilt from the log');
    }),
  );

  const consumer = await runtime.eventLog.consume({
    group,
    consumer: runtime.consumerName,
    startFrom: 'beginning',
    pollIntervalMs: config.SEARCH_POLL_INTERVAL_MS,
    handler: async (event) => indexer.apply(event),
  });
  const stopGauges = [
    registerObservableGauge('search.index.posts', { unit: '{post}' }, () => [
      { value: index.stats().documents },
    ]),
    registerObservableGauge('messaging.consumer.lag', { unit: '{message}' }, async () => {
      const lag = await runtime.eventLog.lag(group).catch(() => undefined);
      return lag === undefined
        ? []
        : [
            {
              value: lag.undelivered + lag.pending,
              attributes: { 'messaging.consumer.group.name': group },
            },
          ];
    }),
  ];
  const stop = async () => {
    for (const stopGauge of stopGauges) stopGauge();
    await consumer.stop();
  };

  try {
    return await startGrpcServer({
      name: 'search',
      listen: config.GRPC_LISTEN,
      maxMessageBytes: config.GRPC_MAX_MESSAGE_BYTES,
      unaryTimeoutMs: config.GRPC_UNARY_TIMEOUT_MS,
      drainTimeoutMs: config.GRPC_DRAIN_TIMEOUT_MS,
      services: [
        searchService({ index, cursors: new SearchCursorCodec(config.SEARCH_CURSOR_SECRET) }),
      ],
      logger,
      onShutdown: stop,
    });
  } catch (error) {
    await stop();
    throw error;
  }
}

export { searchGroupName } from './search-group.js';
export { PostIndexer } from './post-indexer.js';
export { SearchCursorCodec } from './search-cursor.js';
export { MAX_RESULT_WINDOW } from './search-service.js';
export * from './engine/index.js';
