import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { eventsv1 } from '@feedmesh/contracts';
import { InMemoryEventLog } from '@feedmesh/events';
import type { Runtime } from '@feedmesh/service-kit';
import { createLogger } from '@feedmesh/telemetry';
import { waitFor } from '@feedmesh/testing';
import { parseQueryText } from './engine/index.js';
import { IndexReplica, type SnapshotEvent, type SnapshotSettings } from './index-replica.js';

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
});
