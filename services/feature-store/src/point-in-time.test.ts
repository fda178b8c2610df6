import assert from 'node:assert/strict';
import { InvalidArgumentError } from '@feedmesh/errors';
import { featuresAsOf, PointInTimeFeatureSource } from './point-in-time.js';
import { isMissing } from '@feedmesh/contracts';
import { InMemoryFeatureStore } from './in-memory-feature-store.js';
import { DAY, HOUR, sampleWorld, sessionStarted, T0 } from './test-fixtures/events.js';
import { FeatureMaterializer } from './event-materializer.js';
import { applyOneByOne, LIMITS } from './test-fixtures/replay.js';
import { snapshotOf } from './test-fixtures/snapshot.js';

function close(actual: number, expected: number): void {
  assert.ok(
    Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected)),
    `${actual} ≉ ${expected}`,
  );
}

/** The value of a named column in the first row. */
const cell = (answer: Awaited<ReturnType<typeof featuresAsOf>>[number], name: string) =>
  answer.candidates.values[answer.candidates.names.indexOf(name)]!;

describe('point-in-time features', () => {
  it('folds in only the events strictly before the instant, read at that instant', async () => {
    // u1 liked p1 at 1 h and reblogged it at 2 h; u2 liked it at 4 h.
    const [at3h, at4h, later] = await featuresAsOf(sampleWorld(), [
      { userId: 'u1', postIds: ['p1'], atMs: T0 + 3 * HOUR },
      { userId: 'u1', postIds: ['p1'], atMs: T0 + 4 * HOUR },
      { userId: 'u1', postIds: ['p1'], atMs: T0 + 18 * HOUR },
    ]);
    close(cell(at3h!, 'post.likes_1d'), 2 ** (-2 / 24));
    close(cell(at4h!, 'post.likes_1d'), 2 ** (-3 / 24));
    close(cell(later!, 'post.likes_1d'), 2 ** (-17 / 24) + 2 ** (-14 / 24));
    close(cell(at3h!, 'post.age_hours'), 3 - 2_000 / HOUR);
    // u1 followed b1 at 5 h: not yet at 3 h, a known user, so a 0 rather than unknown.
    assert.equal(cell(at3h!, 'user_blog.follows'), 0);
    assert.equal(cell(later!, 'user_blog.follows'), 1);
  });

  it('answers as the live store would have, whatever order the history comes in', async () => {
    const instant = T0 + 12 * HOUR;
    const before = sampleWorld().filter((event) => event.atMs < instant);
    const store = new InMemoryFeatureStore({ ...LIMITS, now: () => instant });
    await applyOneByOne(store, before);
    const live = await snapshotOf(store, ['u1'], ['p1', 'p2', 'p3'], instant);
    const history = [...sampleWorld()].reverse();
    const [answer] = await featuresAsOf(history, [
      { userId: 'u1', postIds: ['p1', 'p2', 'p3'], atMs: instant },
    ]);
    assert.deepEqual(
      Array.from(answer!.candidates.values),
      Array.from(live.users['u1']!.candidates.values),
    );
    assert.deepEqual(
      Array.from(answer!.user.values),
      Array.from(live.users['u1']!.features.values),
    );
    assert.deepEqual(answer!.candidates.missing, live.users['u1']!.candidates.missing);
  });

  it('knows nothing before the first event, and skips duplicates of an event_id', async () => {
    const events = sampleWorld();
    const [empty, doubled] = await featuresAsOf(
      [...events, ...events],
      [
        { userId: 'u1', postIds: ['p1'], atMs: T0 },
        { userId: 'u1', postIds: ['p1'], atMs: T0 + 18 * HOUR },
      ],
    );
    assert.ok(isMissing(empty!.user.missing, 0));
    close(cell(doubled!, 'post.likes_1d'), 2 ** (-17 / 24) + 2 ** (-14 / 24));
  });

  it('lets a key expire when it would have, though the events around it share a batch', async () => {
    // u1 was last seen at T0: the live store forgot them 90 days later, before u2 came.
    const history = [
      sessionStarted('s1', T0, 'u1'),
      sessionStarted('s2', T0 + 92 * DAY, 'u2'),
      // u3 came back 89.5 days after their first visit, before that state expired.
      sessionStarted('s3', T0 + DAY, 'u3'),
      sessionStarted('s4', T0 + 90.5 * DAY, 'u3'),
    ];
    const instant = T0 + 92 * DAY + HOUR;
    let liveClock = 0;
    const live = new InMemoryFeatureStore({ ...LIMITS, now: () => liveClock });
    const materializer = new FeatureMaterializer(live);
    for (const event of [...history].sort((a, b) => a.atMs - b.atMs)) {
      liveClock = event.atMs;
      await materializer.apply(event);
    }
    liveClock = instant;
    const expected = await snapshotOf(live, ['u1', 'u3'], [], instant);
    for (const batchSize of [1_000, 2]) {
      const answers = await featuresAsOf(
        history,
        [
          { userId: 'u1', postIds: [], atMs: instant },
          { userId: 'u3', postIds: [], atMs: instant },
        ],
        { batchSize },
      );
      assert.deepEqual(
        answers.map((answer) => [Array.from(answer.user.values), answer.user.missing]),
        ['u1', 'u3'].map((userId) => {
          const { features } = expected.users[userId]!;
          return [Array.from(features.values), features.missing];
        }),
        `batches of ${batchSize}`,
      );
    }
  });

  it('refuses an instant that is no time rather than answering as of the end, naming it', async () => {
    for (const atMs of [Number.NaN, Number.NEGATIVE_INFINITY]) {
      await assert.rejects(
        featuresAsOf(sampleWorld(), [
          { userId: 'u1', postIds: ['p1'], atMs: T0 + HOUR },
          { userId: 'u1', postIds: ['p1'], atMs },
        ]),
        (error: Error) =>
          error instanceof InvalidArgumentError && error.field === 'requests[1].atMs',
      );
    }
  });

  it('serves a trainer as a feature source, the latest state as of the end of the log', async () => {
    const source = new PointInTimeFeatureSource(() => sampleWorld());
    const latest = await source.getFeatures('u1', ['p1']);
    const names = latest.user.names;
    assert.equal(latest.user.values[names.indexOf('user.follows')], 1);
    const [past] = await source.getFeaturesAsOf([
      { userId: 'u1', postIds: ['p1'], atMs: T0 + HOUR },
    ]);
    assert.equal(past!.user.values[names.indexOf('user.follows')], 0);
  });
});
