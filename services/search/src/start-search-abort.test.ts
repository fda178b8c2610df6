import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { eventsv1 } from '@feedmesh/contracts';
import { InMemoryEventLog, type EventLog } from '@feedmesh/events';
import { loadConfig, type RunningServer, type Runtime } from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { isAbortError } from 'abort-controller-x';
import type { SnapshotEvent } from './index-replica.js';
import { searchConfigShape, snapshotPath, startSearch } from './start-search.js';

const silent = createLogger('search-abort-test', {
  level: (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent',
});
const CONSUMER = 'search-abort-0';
/** Posts in the log: several of the history pass's abort checks apart. */
const POSTS = 5_000;

let seq = 0;
const posts = (n: number): eventsv1.Event[] =>
  Array.from({ length: n }, (_, i) => {
    seq += 1;
    return {
      eventId: `abort-${process.pid}-${seq}`,
      atMs: 1_000 + i,
      payload: {
        $case: 'postCreated',
        value: {
          postId: `p${seq}`,
          blogId: 'b1',
          text: `walrus number ${i}`,
          tags: [],
          mediaKind: 1,
          reblogOf: '',
        },
      },
    };
  });

const abortedStart = (error: unknown) => isAbortError(error);

describe('search start stopped by its signal', () => {
  let dir: string;
  let eventLog: WatchedLog;
  let runtime: Runtime;
  let server: RunningServer | undefined;
  const seen: SnapshotEvent['kind'][] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'search-abort-'));
    eventLog = new WatchedLog(new InMemoryEventLog({ partitions: 2 }));
    runtime = {
      redis: undefined,
      eventLog,
      prefix: 'search-abort',
      consumerName: CONSUMER,
      close: () => eventLog.close(),
    };
    seen.length = 0;
    await eventLog.append(posts(POSTS));
  });

  afterEach(async () => {
    await server?.shutdown();
    server = undefined;
    await eventLog.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** startSearch over `eventLog`; a server it returns is shut down after the test. */
  const start = (settings: Record<string, string>, signal?: AbortSignal) =>
    startSearch({
      config: loadConfig(searchConfigShape, {
        GRPC_LISTEN: '127.0.0.1:0',
        SEARCH_SNAPSHOT_DIR: dir,
        SEARCH_SNAPSHOT_INTERVAL_MS: '600000',
        ...settings,
      }),
      runtime,
      logger: silent,
      onSnapshot: (event) => seen.push(event.kind),
      ...(signal === undefined ? {} : { signal }),
    }).then((started) => (server = started));

  it('rejects with the abort when its signal is already aborted, having created no group and written nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(start({}, controller.signal), abortedStart);
    assert.deepEqual(await readdir(dir), [], 'no snapshot');
    assert.deepEqual(await eventLog.groups(), [], 'no consumer group');
    assert.equal(eventLog.historyRead, 0, 'the history was not read');
  });

  it('stops indexing the retained log when its signal aborts midway: rejects with the abort, writes no snapshot and leaves no consumer running', async () => {
    const controller = new AbortController();
    eventLog.beforeHistoryEvent = (read) => {
      if (read === 1_500) controller.abort();
    };
    await assert.rejects(start({}, controller.signal), abortedStart);
    assert.ok(eventLog.historyRead < POSTS, `read ${eventLog.historyRead} of ${POSTS} events`);
    assert.deepEqual(seen, [], 'neither rebuilt nor written');
    assert.deepEqual(await readdir(dir), [], 'no snapshot of the half-built index');
    assert.deepEqual(
      eventLog.consumers().map((consumer) => consumer.group),
      [],
      'no consumer running',
    );
  });

  it('stops waiting for its group to catch up when its signal aborts, leaving the snapshot it restored from as it was', async () => {
    await start({});
    await server!.shutdown(); // writes the snapshot the next start restores
    server = undefined;
    assert.ok(seen.includes('written'), 'a snapshot to restore');
    const path = snapshotPath(dir, CONSUMER);
    const before = await readFile(path);

    // The group it catches up with never gets there; the abort comes while it waits.
    const controller = new AbortController();
    eventLog.keepFromCatchingUp(() => controller.abort());
    seen.length = 0;
    await assert.rejects(
      start({ SEARCH_SNAPSHOT_CATCH_UP_TIMEOUT_MS: '2000' }, controller.signal),
      abortedStart,
    );
    assert.deepEqual(seen, [], 'neither restored nor written');
    assert.ok(before.equals(await readFile(path)), 'the snapshot is unchanged');
    assert.deepEqual(
      eventLog.consumers().map((consumer) => consumer.group),
      [],
      'no consumer running',
    );
  });
});

/**
 * The in-memory event log, watched: counts what `history()` hands out, calls a hook before each
 * event of it, and can keep the groups consumed from then on from ever catching up.
 */
class WatchedLog implements EventLog {
  /** Events `history()` handed out, over all its reads. */
  historyRead = 0;
  /** Called before `history()` hands out an event, with how many it handed out before. */
  beforeHistoryEvent: (read: number) => void = () => undefined;
  private neverCaughtUp: (() => void) | undefined;
  private readonly consumed = new Set<string>();

  constructor(private readonly log: InMemoryEventLog) {}

  async *history(): AsyncIterable<eventsv1.Event> {
    for await (const event of this.log.history()) {
      this.beforeHistoryEvent(this.historyRead);
      this.historyRead += 1;
      yield event;
    }
  }

  /**
   * From now on, a group consumed on this log never catches up (its lag always shows one more
   * entry undelivered), and each lag asked of one calls `onLag`.
   */
  keepFromCatchingUp(onLag: () => void): void {
    this.consumed.clear();
    this.neverCaughtUp = onLag;
  }

  consume: EventLog['consume'] = (options) => {
    this.consumed.add(options.group);
    return this.log.consume(options);
  };

  lag: EventLog['lag'] = async (group) => {
    const lag = await this.log.lag(group);
    if (this.neverCaughtUp === undefined || !this.consumed.has(group)) return lag;
    this.neverCaughtUp();
    return { ...lag, undelivered: lag.undelivered + 1 };
  };

  append: EventLog['append'] = (events) => this.log.append(events);
  endMark: EventLog['endMark'] = () => this.log.endMark();
  handledUpTo: EventLog['handledUpTo'] = (group, mark) => this.log.handledUpTo(group, mark);
  groups: EventLog['groups'] = () => this.log.groups();
  consumers: EventLog['consumers'] = () => this.log.consumers();
  deadLetters: EventLog['deadLetters'] = (group, page) => this.log.deadLetters(group, page);
  redriveDeadLetters: EventLog['redriveDeadLetters'] = (group, selection) =>
    this.log.redriveDeadLetters(group, selection);
  isProcessed: EventLog['isProcessed'] = (group, event) => this.log.isProcessed(group, event);
  markProcessed: EventLog['markProcessed'] = (group, event) => this.log.markProcessed(group, event);
  close: EventLog['close'] = () => this.log.close();
}
