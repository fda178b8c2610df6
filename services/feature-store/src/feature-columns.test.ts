import assert from 'node:assert/strict';
import { applyCellOps } from './cell-ops.js';
import { evaluatorOf, FeatureColumns, type EntityStates } from './feature-columns.js';
import { DAY_MS, FEATURES, HOUR_MS, type EntityKind } from './feature-registry.js';
import { featureSchema } from './feature-schema.js';
import { MissingMask } from './missing-mask.js';
import { LAYOUTS, type EntityChange } from './state-layout.js';

const T0 = 1_700_000_000_000;

function feature(name: string) {
  const found = FEATURES.find((f) => f.name === name);
  assert.ok(found, name);
  return found;
}

const value = (name: string, states: EntityStates, nowMs: number) =>
  evaluatorOf(feature(name))(states, nowMs);

function stateOf<E extends EntityKind>(entity: E, atMs: number, change: EntityChange<E>) {
  const cells = LAYOUTS[entity].empty();
  applyCellOps(cells, atMs, LAYOUTS[entity].compile(change as never));
  return cells;
}

describe('feature columns', () => {
  it('computes a rate with its Bayesian prior, decayed at request time', () => {
    const post = stateOf('post', T0, {
      counters: [
        { signal: 'like', weight: 3 },
        { signal: 'impression', weight: 100 },
      ],
    });
    // prior 2% worth 50 impressions: (3 + 1) / (100 + 50); a half-life later (1.5 + 1) / (50 + 50).
    assert.equal(value('post.like_rate_7d', { post }, T0), 4 / 150);
    assert.equal(value('post.like_rate_7d', { post }, T0 + 7 * DAY_MS), 0.025);
    assert.equal(value('post.likes_7d', { post }, T0 + 14 * DAY_MS), 0.75);
    assert.equal(value('post.likes_1d', { post }, T0 + 2 * DAY_MS), 0.75);
  });

  it('serves the prior alone for a post with no impressions yet', () => {
    const post = stateOf('post', T0, { attributes: [{ attribute: 'created_at', value: T0 }] });
    assert.equal(value('post.like_rate_7d', { post }, T0), 0.02);
  });

  it('measures ages at request time, in the declared unit', () => {
    const post = stateOf('post', T0, { attributes: [{ attribute: 'created_at', value: T0 }] });
    const blog = stateOf('blog', T0, { attributes: [{ attribute: 'created_at', value: T0 }] });
    assert.equal(value('post.age_hours', { post }, T0 + 36 * HOUR_MS), 36);
    assert.equal(value('blog.age_days', { blog }, T0 + 45 * DAY_MS), 45);
    assert.equal(value('blog.is_new_creator', { blog }, T0 + 29 * DAY_MS), 1);
    assert.equal(value('blog.is_new_creator', { blog }, T0 + 30 * DAY_MS), 0);
  });

  it('caps hours since the last session at 90 days', () => {
    const user = stateOf('user', T0, { attributes: [{ attribute: 'last_session_at', value: T0 }] });
    assert.equal(value('user.hours_since_last_session', { user }, T0 + 5 * HOUR_MS), 5);
    assert.equal(value('user.hours_since_last_session', { user }, T0 + 200 * DAY_MS), 2160);
  });

  it("sums and maxes the user's affinity over the post's tags, untouched tags counting 0", () => {
    const liked = stateOf('user_tag', T0, { counters: [{ signal: 'affinity', weight: 2 }] });
    const hidden = stateOf('user_tag', T0, { counters: [{ signal: 'affinity', weight: -1 }] });
    const states = { user_tag: [liked, undefined, hidden] };
    assert.equal(value('user_tag.affinity_sum', states, T0), 1);
    assert.equal(value('user_tag.affinity_max', states, T0), 2);
    assert.equal(value('user_tag.affinity_sum', states, T0 + 30 * DAY_MS), 0.5);
    assert.equal(value('user_tag.affinity_max', { user_tag: [undefined] }, T0), undefined);
    assert.equal(value('user_tag.affinity_sum', { user_tag: [] }, T0), 0);
    assert.equal(value('user_tag.affinity_sum', {}, T0), undefined);
  });

  it('serves follows as 1 or 0, and as unknown without a known user', () => {
    assert.equal(value('user_blog.follows', { following: true }, T0), 1);
    assert.equal(value('user_blog.follows', { following: false }, T0), 0);
    assert.equal(value('user_blog.follows', {}, T0), undefined);
  });

  it('fills defaults and sets the missing bit for every column of an unknown entity', () => {
    const columns = new FeatureColumns(featureSchema.candidate);
    const values = new Array<number>(columns.size);
    const missing = new MissingMask(columns.size);
    columns.fill({}, T0, values, 0, missing);
    assert.deepEqual(
      values,
      featureSchema.candidate.map((f) => f.default),
    );
    for (let i = 0; i < columns.size; i++) assert.ok(missing.has(i), columns.names[i]);
  });

  it('marks only the columns whose moment is unknown for a post seen before its creation', () => {
    const columns = new FeatureColumns(featureSchema.candidate);
    const post = stateOf('post', T0, { counters: [{ signal: 'like', weight: 1 }] });
    const values = new Array<number>(columns.size);
    const missing = new MissingMask(columns.size);
    columns.fill({ post }, T0, values, 0, missing);
    const missingPostColumns = columns.names.filter(
      (name, i) => name.startsWith('post.') && missing.has(i),
    );
    assert.deepEqual(missingPostColumns, [
      'post.age_hours',
      'post.tag_count',
      'post.is_reblog',
      'post.text_length',
    ]);
    assert.equal(values[columns.names.indexOf('post.likes_1d')], 1);
    assert.equal(values[columns.names.indexOf('post.deleted')], 0);
  });
});

describe('missing mask', () => {
  it('sets bit i in byte i/8, least significant bit first', () => {
    const mask = new MissingMask(10);
    mask.set(0);
    mask.set(9);
    assert.deepEqual([...mask.toBuffer()], [0b0000_0001, 0b0000_0010]);
  });
});
