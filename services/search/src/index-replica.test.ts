import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { eventsv1 } from '@feedmesh/contracts';
import {
  InMemoryEventLog,
  type ConsumeOptions,
  type Consumer,
  type ConsumerStats,
  type EventLog,
} from '@feedmesh/events';
import type { Runtime } from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { waitFor } from '@feedmesh/testing';
import { parseQueryText } from './engine/index.js';
import { IndexReplica, type SnapshotEvent, type SnapshotSettings } from './index-replica.js';
import { searchGroupName } from './search-group.js';

const silent = createLogger('index-replica-test', { level: 'silent' });

let seq = 0;
const event = (payload: eventsv1.Event['payload']): eventsv1.Event => ({
  eventId: `ir-${++seq}`,
  atMs: 1_000 + seq,
  payload,
});
const created = (postId: string) =>
  event({
    $case: 'postCreated',
    value: { postId, blogId: 'b1', text: `walrus ${postId}`, tags: [], mediaKind: 1, reblogOf: '' },
  });
/** Events search ignores, enough to push older entries out of the retained log. */
const filler = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    event({ $case: 'sessionStarted', value: { userId: `u${i}` } } as eventsv1.Event['payload']),
  );

describe('IndexReplica restarts', () => {
  let dir: string;
  let eventLog: InMemoryEventLog;
  let runtime: Runtime;
  const seen: SnapshotEvent['kind'][] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'index-replica-'));
    eventLog = new InMemoryEventLog({ partitions: 2, maxLen: 50 });
    runtime = {
      redis: undefined,
      eventLog,
      prefix: 'ir',
      consumerName: 'c0',
      close: async () => undefined,
    };
    seen.length = 0;
  });
  afterEach(async () => {
    await eventLog.close();
    await rm(dir, { recursive: true, force: true });
  });

  const settings = (onShutdown: boolean): SnapshotSettings => ({
    path: join(dir, 's.snapshot'),
    intervalMs: 600_000,
    catchUpTimeoutMs: 5_000,
    onShutdown,
  });
  const start = (onShutdown: boolean) =>
    IndexReplica.start({
      runtime,
      logger: silent,
      snapshots: settings(onShutdown),
      onSnapshot: (e) => seen.push(e.kind),
    });
  const walruses = (replica: IndexReplica) =>
    replica.index
      .search(
        { ...parseQueryText('walrus', replica.index.analyzer), blogIds: [], order: 'recency' },
        { offset: 0, limit: 100, highlight: false },
      )
      .hits.map((hit) => hit.postId)
      .sort();

  it('keeps the snapshot it restored from, so crashes before the next round lose nothing', async () => {
    let replica = await start(true);
    await eventLog.append([created('old-1'), created('old-2')]);
    await waitFor('run 1 indexes the posts', () => walruses(replica).length === 2);
    await replica.stop(); // writes the snapshot
    await eventLog.append(filler(600)); // the log forgets old-1 and old-2

    // Two starts in a row that die (no shutdown snapshot) before any round replaces it.
    for (const run of [2, 3]) {
      seen.length = 0;
      replica = await start(false);
      assert.deepEqual(seen, ['restored'], `run ${run} restores`);
      assert.ok(existsSync(settings(false).path), `run ${run} keeps the snapshot file`);
      await eventLog.append([created(`new-${run}`)]);
      const expected = ['old-1', 'old-2', ...(run === 3 ? ['new-2'] : []), `new-${run}`].sort();
      await waitFor(`run ${run} indexes new-${run}`, () =>
        walruses(replica).includes(`new-${run}`),
      );
      assert.deepEqual(walruses(replica), expected, `run ${run} sees`);
      await replica.stop();
    }

    // A third start from that snapshot: both groups it had were taken, so it also indexes
    // the retained log; still nothing acknowledged is missing.
    seen.length = 0;
    replica = await start(true);
    assert.deepEqual(seen, ['restored']);
    assert.deepEqual(walruses(replica), ['new-2', 'new-3', 'old-1', 'old-2']);
    await replica.stop();
  });

  it('serves only once the group it resumes from has read the log, though its consumer stalls', async () => {
    const stalling = new StallingLog(eventLog, searchGroupName('c0', 0));
    runtime = { ...runtime, eventLog: stalling };
    let replica = await start(false);
    await eventLog.append([created('first')]);
    await waitFor('the first post', () => walruses(replica).includes('first'));
    await replica.snapshot(); // pairs slot 0
    await replica.snapshot(); // pairs slot 1; slot 0, stopped before it, is the spare
    assert.deepEqual(seen, ['rebuilt', 'written', 'written']);
    await eventLog.append([created('late-1'), created('late-2')]);
    await waitFor('the late posts', () => walruses(replica).length === 3);
    await replica.stop(); // dies: the snapshot holds only the first post

    // The spare catches up as the live group, but its consumer reads nothing for 2.5 s with
    // nothing pending, as a consumer does while it backs off after failed reads (up to 5 s)
    // or waits out a connection that died without closing.
    seen.length = 0;
    stalling.stallNext(2_500);
    replica = await start(false);
    assert.deepEqual(seen, ['restored']);
    assert.deepEqual(walruses(replica), ['first', 'late-1', 'late-2'], 'complete once started');
    await replica.snapshot();
    await eventLog.append([created('after')]);
    await waitFor('the post after the round', () => walruses(replica).includes('after'));
    assert.deepEqual(walruses(replica), ['after', 'first', 'late-1', 'late-2']);
    await replica.stop();
  });
});

const NO_STATS: ConsumerStats = {
  processed: 0,
  duplicates: 0,
  failed: 0,
  deadLettered: 0,
  reclaimed: 0,
  resumed: 0,
  trimmed: 0,
  redriven: 0,
};

/**
 * A consumer of one group that can start stalled, as a consumer's loop pauses while it backs
 * off: nothing read, nothing pending, and `stop()` during the pause reads nothing.
 */
class StallingConsumer implements Consumer {
  private inner: Consumer | undefined;
  private stopped = false;
  private resume: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: EventLog,
    private readonly options: ConsumeOptions,
  ) {}

  async begin(): Promise<void> {
    this.inner = await this.log.consume(this.options);
  }

  get group(): string {
    return this.options.group;
  }

  get name(): string {
    return this.options.consumer;
  }

  stats(): ConsumerStats {
    return this.inner?.stats() ?? NO_STATS;
  }

  /** Reads nothing for `ms`, then consumes again. */
  stall(ms: number): void {
    this.resume = setTimeout(() => {
      void this.log.consume(this.options).then(async (consumer) => {
        if (this.stopped) await consumer.stop();
        else this.inner = consumer;
      });
    }, ms);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.resume);
    await this.inner?.stop();
  }
}

/** An event log whose consumers of one group are `StallingConsumer`s. */
class StallingLog implements EventLog {
  private nextStallMs = 0;

  constructor(
    private readonly log: InMemoryEventLog,
    private readonly group: string,
  ) {}

  /** The next consumer of the group starts stalled for `ms`. */
  stallNext(ms: number): void {
    this.nextStallMs = ms;
  }

  async consume(options: ConsumeOptions): Promise<Consumer> {
    if (options.group !== this.group) return this.log.consume(options);
    const consumer = new StallingConsumer(this.log, options);
    if (this.nextStallMs > 0) consumer.stall(this.nextStallMs);
    else await consumer.begin();
    this.nextStallMs = 0;
    return consumer;
  }

  append: EventLog['append'] = (events) => this.log.append(events);
  lag: EventLog['lag'] = (group) => this.log.lag(group);
  endMark: EventLog['endMark'] = () => this.log.endMark();
  handledUpTo: EventLog['handledUpTo'] = (group, mark) => this.log.handledUpTo(group, mark);
  groups: EventLog['groups'] = () => this.log.groups();
  consumers: EventLog['consumers'] = () => this.log.consumers();
  deadLetters: EventLog['deadLetters'] = (group, page) => this.log.deadLetters(group, page);
  redriveDeadLetters: EventLog['redriveDeadLetters'] = (group, selection) =>
    this.log.redriveDeadLetters(group, selection);
  isProcessed: EventLog['isProcessed'] = (group, event) => this.log.isProcessed(group, event);
  markProcessed: EventLog['markProcessed'] = (group, event) => this.log.markProcessed(group, event);
  history: EventLog['history'] = () => this.log.history();
  close: EventLog['close'] = () => this.log.close();
}
