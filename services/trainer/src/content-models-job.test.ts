import assert from 'node:assert/strict';
import { InMemoryContentModelStore, understandPost } from '@feedmesh/content';
import { commonv1, type eventsv1 } from '@feedmesh/contracts';
import { InMemoryEventLog } from '@feedmesh/events';
import { createLogger } from '@feedmesh/telemetry';
import { runContentModelsJob } from './content-models-job.js';

const silent = createLogger('content-models-job-test', { level: 'silent' });
const T = Date.UTC(2025, 0, 1);
let n = 0;
const event = (atMs: number, payload: eventsv1.Event['payload']): eventsv1.Event => ({
  eventId: `e${++n}`,
  atMs,
  payload,
});
const post = (postId: string, text: string, tags: string[], reblogOf = '') =>
  event(T + n, {
    $case: 'postCreated',
    value: { postId, blogId: 'b1', text, tags, mediaKind: 1, reblogOf },
  });
const like = (
  userId: string,
  postId: string,
  kind = commonv1.EngagementKind.ENGAGEMENT_KIND_LIKE,
) => event(T + 1_000 + n, { $case: 'engagement', value: { userId, postId, kind } });

const MUSIC = [
  'Spinning an old vinyl record on the turntable tonight.',
  'A new stylus for the turntable; the vinyl sounds warmer.',
  'Cleaning vinyl records before they go back on the turntable.',
];
const BAKING = [
  'Sourdough bread with a lively starter and a long proof.',
  'The bread dough rose overnight; baked it in a hot oven.',
  'Rye flour makes a dense sourdough loaf with a dark crust.',
];

function history(): eventsv1.Event[] {
  const events = [
    ...MUSIC.map((text, i) => post(`m${i}`, text, ['#Music'])),
    ...BAKING.map((text, i) => post(`b${i}`, text, ['baking'])),
    post('gone', 'Deleted: a vinyl turntable', ['spam']),
    post('copy', MUSIC[0]!, ['spam'], 'm0'),
    post('untagged', 'just words about a turntable', []),
  ];
  for (const id of ['m0', 'm1', 'm2']) events.push(like('dj', id));
  events.push(
    like('baker', 'b0'),
    like('baker', 'b1', commonv1.EngagementKind.ENGAGEMENT_KIND_REBLOG),
    like('hater', 'b2', commonv1.EngagementKind.ENGAGEMENT_KIND_HIDE),
    event(T + 5_000, { $case: 'postDeleted', value: { postId: 'gone' } }),
  );
  return events;
}

describe('runContentModelsJob', () => {
  it('trains on the log and publishes models a reader decodes and infers tags with', async () => {
    const eventLog = new InMemoryEventLog({ partitions: 2 });
    const store = new InMemoryContentModelStore();
    const events = history();
    await eventLog.append(events);
    await eventLog.append([events[0]!, events[events.length - 2]!]); // retried appends: once

    const report = await runContentModelsJob({
      eventLog,
      store,
      logger: silent,
      clock: () => T + 10_000,
      settings: { dim: 8 },
    });
    assert.equal(report.posts, 7, 'live originals with text or tags');
    assert.equal(report.taggedPosts, 6);
    assert.equal(report.engagements, 5, 'positive engagements only');
    assert.equal(report.published?.version, 'v1');
    assert.equal(report.published?.trainedAtMs, T + 5_000);
    assert.equal((await store.current())?.version, 'v1');

    const models = (await store.load('v1'))!;
    const understood = understandPost(
      {
        text: 'Found a rare vinyl record for my turntable.',
        tags: [],
        blogId: 'b9',
        createdAtMs: T,
      },
      models,
    );
    assert.equal(understood.inferredTags[0]?.tag, 'music');
    assert.ok(
      !understood.inferredTags.some((t) => t.tag === 'spam'),
      'deleted posts teach nothing',
    );
    assert.equal(understood.vector?.length, 8);
    await eventLog.close();
  });

  it('trains the same models from the same log', async () => {
    const eventLog = new InMemoryEventLog({ partitions: 2 });
    const store = new InMemoryContentModelStore();
    await eventLog.append(history());
    const run = () =>
      runContentModelsJob({
        eventLog,
        store,
        logger: silent,
        clock: () => T,
        settings: { dim: 4 },
      });
    await run();
    await run();
    const [first, second] = [(await store.load('v1'))!, (await store.load('v2'))!];
    assert.equal(first.trainedAtMs, second.trainedAtMs);
    assert.deepEqual(first.encoder.toJSON(), second.encoder.toJSON());
    assert.deepEqual(first.tagInferrer.toJSON(), second.tagInferrer.toJSON());
    await eventLog.close();
  });

  it('publishes nothing when no post has tags', async () => {
    const eventLog = new InMemoryEventLog({ partitions: 2 });
    const store = new InMemoryContentModelStore();
    await eventLog.append([post('p1', 'some words', []), like('u1', 'p1')]);
    const report = await runContentModelsJob({ eventLog, store, logger: silent, clock: () => T });
    assert.equal(report.published, undefined);
    assert.equal(await store.current(), undefined);
    await eventLog.close();
  });
});
