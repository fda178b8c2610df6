import assert from 'node:assert/strict';
import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import { InMemoryEmbeddingStore } from '@feedmesh/embeddings';
import { InMemoryEventLog } from '@feedmesh/events';
import { createLogger } from '@feedmesh/telemetry';
import { runEmbeddingsJob } from './embeddings-job.js';

const silent = createLogger('embeddings-job-test', { level: 'silent' });
const T = Date.UTC(2025, 0, 1);
let n = 0;
const event = (atMs: number, payload: eventsv1.Event['payload']): eventsv1.Event => ({
  eventId: `e${++n}`,
  atMs,
  payload,
});
const like = (
  userId: string,
  postId: string,
  kind = commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE,
) => event(T + n, { $case: 'engagement', value: { userId, postId, kind } });
const post = (postId: string, tags: string[]) =>
  event(T, {
    $case: 'postCreated',
    value: { postId, blogId: 'b1', text: '', tags, mediaKind: 1, reblogOf: '' },
  });

describe('runEmbeddingsJob', () => {
  it('trains on the log and publishes vectors for its users, live posts and tags', async () => {
    const eventLog = new InMemoryEventLog({ partitions: 2 });
    const store = new InMemoryEmbeddingStore();
    const events = [post('p1', ['#Cats']), post('p2', ['dogs']), post('gone', ['dogs'])];
    for (const user of ['u1', 'u2', 'u3']) events.push(like(user, 'p1'), like(user, 'p2'));
    events.push(
      like('u1', 'gone'),
      like('u4', 'p1', commonv1.EngagementKind.ENGAGEMENT_KIND_HIDE),
      event(T + 100, { $case: 'postDeleted', value: { postId: 'gone' } }),
    );
    await eventLog.append(events);
    await eventLog.append([events[3]!]); // a retried append: counted once

    const report = await runEmbeddingsJob({
      eventLog,
      store,
      logger: silent,
      clock: () => T + 1_000,
      als: { factors: 4, iterations: 3 },
    });
    assert.equal(report.engagements, 6);
    assert.equal(report.published?.version, 'v1');
    const artifact = (await store.load('v1'))!;
    assert.deepEqual([...artifact.users.ids].sort(), ['u1', 'u2', 'u3']);
    assert.deepEqual([...artifact.items.ids].sort(), ['p1', 'p2']);
    assert.deepEqual([...artifact.tags.ids].sort(), ['cats', 'dogs']);
    assert.equal(artifact.trainedAtMs, report.published?.trainedAtMs);
    await eventLog.close();
  });

  it('ships the related source’s item-to-item model when asked, in engagement order', async () => {
    const eventLog = new InMemoryEventLog({ partitions: 2 });
    const store = new InMemoryEmbeddingStore();
    const events = ['p1', 'p2', 'p3', 'p4'].map((id) => post(id, []));
    // Everyone reads p1 → p2 → p3 → p4 in that order.
    for (const user of ['u1', 'u2', 'u3', 'u4']) {
      for (const id of ['p1', 'p2', 'p3', 'p4']) events.push(like(user, id));
    }
    await eventLog.append(events);
    await runEmbeddingsJob({
      eventLog,
      store,
      logger: silent,
      clock: () => T + 1_000,
      als: { factors: 2, iterations: 2 },
      neighbours: { window: 1, regularization: 10 },
    });
    const { neighbours } = (await store.load('v1'))!;
    assert.ok(neighbours, 'the artifact carries the model');
    const p2 = neighbours.ids.indexOf('p2');
    const first = neighbours.targets[neighbours.offsets[p2]!]!;
    assert.ok(['p1', 'p3'].includes(neighbours.ids[first]!), 'p2 relates most to p1 or p3');
    await eventLog.close();
  });

  it('publishes nothing when no one engaged', async () => {
    const eventLog = new InMemoryEventLog({ partitions: 2 });
    const store = new InMemoryEmbeddingStore();
    await eventLog.append([post('p1', [])]);
    const report = await runEmbeddingsJob({
      eventLog,
      store,
      logger: silent,
      clock: () => T,
      als: {},
    });
    assert.equal(report.published, undefined);
    assert.equal(await store.current(), undefined);
    await eventLog.close();
  });
});
