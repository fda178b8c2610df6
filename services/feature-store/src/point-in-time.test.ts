import assert from 'node:assert/strict';
import { featuresAsOf, PointInTimeFeatureSource } from './point-in-time.js';
import { isMissing } from './missing-mask.js';
import { InMemoryFeatureStore } from './in-memory-feature-store.js';
import { HOUR, sampleWorld, T0 } from './test-fixtures/events.js';
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
