import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventsv1, searchv1 } from '@feedmesh/contracts';
import { InMemoryEventLog, RedisStreamsEventLog, type EventLog } from '@feedmesh/events';
import {
  createServiceClient,
  loadConfig,
  type ClientHandle,
  type RunningServer,
  type Runtime,
} from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { testRedis, uniquePrefix, waitFor } from '@feedmesh/testing';
import type { SnapshotEvent } from './index-replica.js';
import { searchConfigShape, snapshotPath, startSearch } from './start-search.js';

const silent = createLogger('search-snapshot-test', {
  level: (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent',
});
const CONSUMER = 'search-snap-0';
/** The log keeps about this many entries a partition: older posts live only in snapshots. */
const RETAINED = 50;

let seq = 0;
const event = (payload: eventsv1.Event['payload'], atMs = 1_000): eventsv1.Event => ({
  eventId: `snap-${process.pid}-${++seq}`,
  atMs,
  payload,
});
const created = (postId: string, text: string) =>
  event({
    $case: 'postCreated',
    value: { postId, blogId: 'b1', text, tags: ['kept'], mediaKind: 1, reblogOf: '' },
  });
const deleted = (postId: string) => event({ $case: 'postDeleted', value: { postId } }, 2_000);
/** Events search ignores, enough of them to push older entries out of the retained log. */
const filler = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    event({
      $case: 'sessionStarted',
      value: { userId: `u${i}` },
    } as eventsv1.Event['payload']),
  );

function snapshotSuite(kind: 'memory' | 'redis') {
  describe(`search snapshots and catch-up, ${kind} event log`, () => {
    const prefix = uniquePrefix('search-snap');
    const redis = kind === 'redis' ? testRedis(prefix) : undefined;
    let dir: string;
    let eventLog: EventLog;
    let runtime: Runtime;
    let server: RunningServer | undefined;
    let handle: ClientHandle<typeof searchv1.SearchServiceDefinition> | undefined;
    const seen: SnapshotEvent[] = [];

    async function start(settings: Record<string, string>) {
      const config = loadConfig(searchConfigShape, {
        GRPC_LISTEN: '127.0.0.1:0',
        SEARCH_SNAPSHOT_DIR: dir,
        ...settings,
      });
      server = await startSearch({
        config,
        runtime,
        logger: silent,
        onSnapshot: (e) => seen.push(e),
      });
      handle = createServiceClient(searchv1.SearchServiceDefinition, server.address, {
        deadlineMs: 5_000,
      });
    }
    async function stop() {
      handle?.close();
      await server?.shutdown();
      handle = undefined;
      server = undefined;
    }
    const find = async (query: string) =>
      (
        await (handle ?? assert.fail('not started')).client.search({
          query,
          tags: [],
          blogId: '',
          order: searchv1.SearchOrder.SEARCH_ORDER_RECENCY,
          pageSize: 100,
          cursor: '',
        })
      ).hits
        .map((hit) => hit.postId)
        .sort();
    const eventually = (query: string, expected: string[]) =>
      waitFor(
        `"${query}" to find ${expected.join(', ')}`,
        async () => JSON.stringify(await find(query)) === JSON.stringify([...expected].sort()),
      );
    const inHistory = async (postId: string) => {
      for await (const e of eventLog.history()) {
        if (e.payload?.$case === 'postCreated' && e.payload.value.postId === postId) return true;
      }
      return false;
    };

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'search-snap-'));
      seen.length = 0;
      const logPrefix = `${prefix}:${seq}:events`;
      eventLog =
        redis === undefined
          ? new InMemoryEventLog({ partitions: 2, maxLen: RETAINED })
          : new RedisStreamsEventLog({
              client: redis,
              prefix: logPrefix,
              partitions: 2,
              maxLen: RETAINED,
            });
      runtime = {
        redis: undefined,
        eventLog,
        prefix,
        consumerName: CONSUMER,
        close: () => eventLog.close(),
      };
    });

    afterEach(async () => {
      await stop();
      await eventLog.close();
      await rm(dir, { recursive: true, force: true });
    });

    after(async () => {
      await redis?.cleanup();
    });

    it('restores its snapshot and catches up from the log, though the log lost the old posts', async () => {
      await start({ SEARCH_SNAPSHOT_INTERVAL_MS: '600000' });
      await eventLog.append([created('old-1', 'walrus one'), created('old-2', 'walrus two')]);
      await eventually('walrus', ['old-1', 'old-2']);
      await stop();
      assert.ok(
        seen.some((e) => e.kind === 'written'),
        'a snapshot on shutdown',
      );

      // While it is down: enough traffic that the log forgets old-1, then a new post and a
      // deletion (within the retained tail, which catch-up reads).
      await eventLog.append(filler(600));
      await eventLog.append([created('new-1', 'walrus three'), deleted('old-2')]);
      assert.equal(await inHistory('old-1'), false, 'the log no longer holds old-1');
      assert.equal(await inHistory('new-1'), true);

      seen.length = 0;
      await start({ SEARCH_SNAPSHOT_INTERVAL_MS: '600000' });
      assert.ok(
        seen.some((e) => e.kind === 'restored'),
        'started from the snapshot',
      );
      assert.ok(!seen.some((e) => e.kind === 'rebuilt'), 'no replay of the log');
      assert.deepEqual(await find('walrus'), ['new-1', 'old-1']);
      await eventLog.append([created('live-1', 'walrus four')]);
      await eventually('walrus', ['live-1', 'new-1', 'old-1']);
      // The round first lets an idle group read past all the log took meanwhile.
      await waitFor(
        'a fresh snapshot after the restore',
        () => seen.some((e) => e.kind === 'written'),
        { timeoutMs: 30_000 },
      );
    });

    it('loses nothing acknowledged when it dies between periodic snapshots', async () => {
      await start({ SEARCH_SNAPSHOT_INTERVAL_MS: '50', SEARCH_SNAPSHOT_ON_SHUTDOWN: 'false' });
      await eventLog.append([created('a-1', 'narwhal a'), created('a-2', 'narwhal b')]);
      await eventually('narwhal', ['a-1', 'a-2']);
      const written = seen.filter((e) => e.kind === 'written').length;
      await waitFor(
        'a periodic snapshot with the posts',
        () => seen.filter((e) => e.kind === 'written').length > written + 1,
      );
      // Acknowledged, maybe in no snapshot yet; then the process dies (no shutdown snapshot).
      await eventLog.append([created('b-1', 'narwhal c'), deleted('a-2')]);
      await eventually('narwhal', ['a-1', 'b-1']);
      await stop();
      await eventLog.append([created('c-1', 'narwhal d')]);

      seen.length = 0;
      await start({ SEARCH_SNAPSHOT_INTERVAL_MS: '50', SEARCH_SNAPSHOT_ON_SHUTDOWN: 'false' });
      assert.ok(
        seen.some((e) => e.kind === 'restored'),
        'started from a periodic snapshot',
      );
      assert.deepEqual(await find('narwhal'), ['a-1', 'b-1', 'c-1']);
    });

    it('rebuilds from the log when its snapshot is corrupt', async () => {
      await eventLog.append([created('x-1', 'okapi')]);
      await writeFile(snapshotPath(dir, CONSUMER), 'not a snapshot');
      await start({ SEARCH_SNAPSHOT_INTERVAL_MS: '600000' });
      const rebuilt = seen.find((e) => e.kind === 'rebuilt');
      assert.match(rebuilt?.kind === 'rebuilt' ? rebuilt.reason : '', /unusable snapshot/);
      assert.deepEqual(await find('okapi'), ['x-1']);
    });
  });
}

snapshotSuite('memory');
snapshotSuite('redis');
