import {
  env,
  makeDirectory,
  runtimeConfigShape,
  serverConfigShape,
  startGrpcServer,
  type Logger,
  type RunningServer,
  type Runtime,
  serverOptionsFrom,
} from '@feedmesh/service-kit';
import {
  ContentModelsWatcher,
  contentModelStoreFor,
  decodeContentModels,
  type ContentModels,
  type ContentModelStore,
} from '@feedmesh/content';
import { readFile } from 'node:fs/promises';
import { ConfigError } from '@feedmesh/errors';
import { join } from 'node:path';
import { registerObservableGauge, runAsService } from '@feedmesh/telemetry';
import { z } from 'zod';
import { DEFAULT_TOMBSTONE_RETENTION_MS, type SearchIndexOptions } from './engine/index.js';
import { IndexReplica, type SnapshotEvent } from './index-replica.js';
import { PostTagger } from './post-tagger.js';
import { SearchCursorCodec } from './search-cursor.js';
import { searchService } from './search-service.js';

export const searchConfigShape = {
  ...serverConfigShape,
  ...runtimeConfigShape,
  /** Signs page cursors; every replica must share it, since page 2 may hit another replica. */
  SEARCH_CURSOR_SECRET: env.string('feedmesh-search-cursor'),
  /**
   * Where this replica keeps its index snapshot (a volume that outlives the process). Empty:
   * no snapshots, and every start indexes the whole retained log.
   */
  SEARCH_SNAPSHOT_DIR: z.string().default(''),
  /** How often a running replica snapshots its index, ms. */
  SEARCH_SNAPSHOT_INTERVAL_MS: env.int(300_000, 50, 86_400_000),
  /** How long a snapshot round waits for its next consumer group to catch up, ms. */
  SEARCH_SNAPSHOT_CATCH_UP_TIMEOUT_MS: env.int(60_000, 100, 3_600_000),
  /** Snapshot on shutdown too, so a rolling restart catches up only what it missed. */
  SEARCH_SNAPSHOT_ON_SHUTDOWN: env.bool(true),
  /**
   * The trainer's content models (`encodeContentModels` JSON): their tag vocabulary and tag
   * inferrer add canonical and inferred tags to each post's tags. Empty: the normalization
   * rules only. Read at start; posts indexed before a change keep their derived tags.
   */
  SEARCH_CONTENT_MODELS_FILE: z.string().default(''),
  /**
   * With Redis: how often to look for content models newly published by the trainer, ms (0:
   * only at start). A published version replaces SEARCH_CONTENT_MODELS_FILE's for the posts
   * indexed after it loads.
   */
  SEARCH_CONTENT_MODELS_POLL_MS: env.int(60_000, 0, 86_400_000),
  /**
   * How long a deleted post id is remembered, so its PostCreated delivered again (a producer's
   * retry, a reclaimed or replayed entry) does not bring the post back, ms. Default 7 days,
   * the event log's processed-marker TTL; at least an hour (a few redelivery rounds and
   * snapshot intervals), at most a year.
   */
  SEARCH_TOMBSTONE_RETENTION_MS: env.int(DEFAULT_TOMBSTONE_RETENTION_MS, 3_600_000, 31_536_000_000),
};
export type SearchConfig = Readonly<z.infer<z.ZodObject<typeof searchConfigShape>>>;

export interface SearchOptions {
  readonly config: SearchConfig;
  /** redis (unused: the index lives in memory), eventLog, prefix, consumerName. */
  readonly runtime: Runtime;
  readonly logger: Logger;
  /** Engine settings (BM25F weights, coordination); the defaults suit the search box. */
  readonly index?: SearchIndexOptions;
  /** Told of every snapshot restored, written or given up on. */
  readonly onSnapshot?: (event: SnapshotEvent) => void;
  /** Content models to derive tags with, instead of SEARCH_CONTENT_MODELS_FILE's. */
  readonly contentModels?: ContentModels;
  /**
   * Where the trainer publishes content models, followed for newer versions. Default: the
   * deployment's store when the runtime has Redis, else none (embedded: the file, or the
   * playground passes its shared store).
   */
  readonly contentModelStore?: ContentModelStore;
  /**
   * Aborted when the process is asked to stop during the start (runServiceMain): the history
   * pass, the replay and the catch-up stop at their next check, and the start rejects with
   * the abort, having stopped what it started and written no snapshot.
   */
  readonly signal?: AbortSignal;
}

/** A start step whose failure (a file missing, unreadable or malformed) is the variable's. */
async function namingVariable<T>(
  variable: string,
  what: string,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(variable, `${what}: ${(error as Error).message}`);
  }
}

/** The content models `SEARCH_CONTENT_MODELS_FILE` names, or none. */
export async function loadContentModels(path: string): Promise<ContentModels> {
  if (path === '') return {};
  return decodeContentModels(JSON.parse(await readFile(path, 'utf8')));
}

/** The engine settings the config gives, under the caller's own (`SearchOptions.index`). */
export function searchIndexOptions(
  config: Pick<SearchConfig, 'SEARCH_TOMBSTONE_RETENTION_MS'>,
  own: SearchIndexOptions = {},
): SearchIndexOptions {
  return { tombstoneRetentionMs: config.SEARCH_TOMBSTONE_RETENTION_MS, ...own };
}

/** The snapshot file of a replica in `dir`: one per CONSUMER_NAME, so replicas may share it. */
export function snapshotPath(dir: string, consumerName: string): string {
  return join(dir, `search-${consumerName.replace(/[^A-Za-z0-9_.-]/g, '_')}.snapshot`);
}

/**
 * Starts the search service: restores the index from this replica's snapshot and catches up
 * from the log (or, without one, indexes the retained log), then follows the log with the
 * replica's own consumer groups (see `IndexReplica`) and serves Search and Suggest. The
 * server listens only once the index is complete, so readiness means a complete index.
 */
export async function startSearch(options: SearchOptions): Promise<RunningServer> {
  const { config, runtime, logger } = options;
  const snapshots =
    config.SEARCH_SNAPSHOT_DIR === ''
      ? undefined
      : {
          path: snapshotPath(config.SEARCH_SNAPSHOT_DIR, runtime.consumerName),
          intervalMs: config.SEARCH_SNAPSHOT_INTERVAL_MS,
          catchUpTimeoutMs: config.SEARCH_SNAPSHOT_CATCH_UP_TIMEOUT_MS,
          onShutdown: config.SEARCH_SNAPSHOT_ON_SHUTDOWN,
        };
  if (snapshots !== undefined)
    await namingVariable('SEARCH_SNAPSHOT_DIR', `cannot create ${config.SEARCH_SNAPSHOT_DIR}`, () =>
      makeDirectory(config.SEARCH_SNAPSHOT_DIR),
    );
  const tagger = new PostTagger(
    options.contentModels ??
      (await namingVariable(
        'SEARCH_CONTENT_MODELS_FILE',
        `cannot load ${config.SEARCH_CONTENT_MODELS_FILE}`,
        () => loadContentModels(config.SEARCH_CONTENT_MODELS_FILE),
      )),
  );
  const modelStore =
    options.contentModelStore ?? (runtime.redis ? contentModelStoreFor(runtime) : undefined);
  const watcher =
    options.contentModels || !modelStore
      ? undefined
      : new ContentModelsWatcher({
          store: modelStore,
          pollMs: config.SEARCH_CONTENT_MODELS_POLL_MS,
          logger,
          onLoad: (models) => tagger.useModels(models),
        });
  // Before the replica indexes the log, so the posts of the history get the trained tags.
  await watcher?.start();
  const replica = await runAsService('search', () =>
    IndexReplica.start({
      runtime,
      logger,
      tagger,
      index: searchIndexOptions(config, options.index),
      ...(snapshots === undefined ? {} : { snapshots }),
      ...(options.onSnapshot === undefined ? {} : { onSnapshot: options.onSnapshot }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    }),
  ).catch((error: unknown) => {
    watcher?.stop();
    throw error;
  });
  const index = replica.index;
  const stopGauges = [
    registerObservableGauge('search.index.posts', { unit: '{post}' }, () => [
      { value: index.stats().documents },
    ]),
    registerObservableGauge('search.index.tombstones', { unit: '{post}' }, () => [
      { value: index.stats().tombstones },
    ]),
    registerObservableGauge('search.snapshot.age', { unit: 's' }, () => {
      const age = replica.snapshotAgeSeconds;
      return age === undefined ? [] : [{ value: age }];
    }),
  ];
  const stop = async () => {
    for (const stopGauge of stopGauges) stopGauge();
    watcher?.stop();
    await replica.stop();
  };

  try {
    const server = await startGrpcServer({
      name: 'search',
      ...serverOptionsFrom(config),
      services: [
        searchService({
          index,
          cursors: new SearchCursorCodec(config.SEARCH_CURSOR_SECRET),
          tagger,
        }),
      ],
      logger,
      onShutdown: stop,
    });
    // A restored replica has no valid snapshot until its first round: take one right away.
    replica.startSnapshots(true);
    return server;
  } catch (error) {
    await stop();
    throw error;
  }
}
