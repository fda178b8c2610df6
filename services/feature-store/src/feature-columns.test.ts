import assert from 'node:assert/strict';
import { CandidateMatrixBuilder } from './candidate-matrix.js';
import { setBit, userColumns } from './feature-columns.js';
import { DAY_MS, HOUR_MS, type EntityKind } from './feature-registry.js';
import { featureSchema } from './feature-schema.js';
import type { PostMeta } from './feature-store.js';
import { isMissing } from '@feedmesh/contracts';
import { candidateStates, type StatesById } from './test-fixtures/states.js';
import { applyDelta, EntityDelta } from './state-delta.js';
import { LAYOUTS, type StateLayout } from './state-layout.js';

const T0 = 1_700_000_000_000;
const builder = new CandidateMatrixBuilder(featureSchema);
const META: PostMeta = { blogId: 'b1', tags: ['cats', 'dogs', 'art'], reblogOf: '' };

/** An entity's state after the given changes, folded the way the stores fold them. */
function stateOf<E extends EntityKind>(
  entity: E,
  change: (delta: EntityDelta<E>) => void,
): Float64Array {
  const layout = LAYOUTS[entity] as StateLayout<E>;
  const cells = layout.empty();
  const delta = new EntityDelta(layout);
  change(delta);
  applyDelta(cells, delta);
  return cells;
}

interface Row {
  value(name: string): number;
  missing(name: string): boolean;
}

/** One candidate row for post p1 (meta `META` unless told otherwise), as GetFeatures serves it. */
function candidateRow(
  states: Partial<Omit<StatesById, 'posts'>> & { posts?: StatesById['posts'] },
  nowMs: number,
  userId?: string,
): Row {
  const full = candidateStates({
    posts: [{ postId: 'p1', state: undefined, meta: META }],
    ...states,
  });
  const matrix = builder.build(userId, full, [0], nowMs);
  const at = (name: string) => {
    const index = matrix.names.indexOf(name);
    assert.ok(index >= 0, name);
    return index;
  };
  return {
    value: (name) => matrix.values[at(name)]!,
    missing: (name) => isMissing(matrix.missing, at(name)),
  };
}

function userValue(name: string, state: Float64Array | undefined, nowMs: number): number {
  const columns = userColumns(featureSchema.user);
  const values = new Float32Array(columns.size);
  columns.fill(state, 0, nowMs, values, 0, new Uint8Array(Math.ceil(columns.size / 8)));
  return values[columns.names.indexOf(name)]!;
}

/** The one post p1. */
const one = (state: Float64Array | undefined, meta: PostMeta | undefined) => [
  { postId: 'p1', state, meta },
];

const post = (change: (delta: EntityDelta<'post'>) => void) => one(stateOf('post', change), META);

describe('feature columns', () => {
  it('computes a rate with its Bayesian prior, decayed at request time', () => {
    const posts = post((d) => d.addSignal('like', 3, T0).addSignal('impression', 100, T0));
    // prior 2% worth 50 impressions: (3 + 1) / (100 + 50); a half-life later (1.5 + 1) / (50 + 50).
    assert.equal(candidateRow({ posts }, T0).value('post.like_rate_7d'), Math.fround(4 / 150));
    assert.equal(
      candidateRow({ posts }, T0 + 7 * DAY_MS).value('post.like_rate_7d'),
      Math.fround(0.025),
    );
    assert.equal(candidateRow({ posts }, T0 + 14 * DAY_MS).value('post.likes_7d'), 0.75);
    assert.equal(candidateRow({ posts }, T0 + 2 * DAY_MS).value('post.likes_1d'), 0.75);
  });

  it('serves the prior alone for a post with no impressions yet', () => {
    const posts = post((d) => d.mergeAttribute('created_at', T0));
    assert.equal(candidateRow({ posts }, T0).value('post.like_rate_7d'), Math.fround(0.02));
  });

  it('measures ages at request time, in the declared unit', () => {
    const posts = post((d) => d.mergeAttribute('created_at', T0));
    const blogs = new Map([['b1', stateOf('blog', (d) => d.mergeAttribute('created_at', T0))]]);
    assert.equal(candidateRow({ posts }, T0 + 36 * HOUR_MS).value('post.age_hours'), 36);
    assert.equal(candidateRow({ blogs }, T0 + 45 * DAY_MS).value('blog.age_days'), 45);
    assert.equal(candidateRow({ blogs }, T0 + 29 * DAY_MS).value('blog.is_new_creator'), 1);
    assert.equal(candidateRow({ blogs }, T0 + 30 * DAY_MS).value('blog.is_new_creator'), 0);
  });

  it('caps hours since the last session, and since last seen, at 90 days', () => {
    const user = stateOf('user', (d) =>
      d.mergeAttribute('last_session_at', T0).mergeAttribute('last_active_at', T0 + HOUR_MS),
    );
    assert.equal(userValue('user.hours_since_last_session', user, T0 + 5 * HOUR_MS), 5);
    assert.equal(userValue('user.hours_since_last_active', user, T0 + 5 * HOUR_MS), 4);
    assert.equal(userValue('user.hours_since_last_session', user, T0 + 200 * DAY_MS), 2160);
  });

  it("sums and maxes the user's affinity over the post's tags, untouched tags counting 0", () => {
    const liked = stateOf('user_tag', (d) => d.addSignal('affinity', 2, T0));
    const hidden = stateOf('user_tag', (d) => d.addSignal('affinity', -1, T0));
    const userTags = new Map([
      ['cats', liked],
      ['art', hidden],
    ]);
    const now = candidateRow({ userTags }, T0, 'u1');
    assert.equal(now.value('user_tag.affinity_sum'), 1);
    assert.equal(now.value('user_tag.affinity_max'), 2);
    assert.equal(
      candidateRow({ userTags }, T0 + 30 * DAY_MS, 'u1').value('user_tag.affinity_sum'),
      0.5,
    );
    const untouched = candidateRow({}, T0, 'u1');
    assert.ok(untouched.missing('user_tag.affinity_max'));
    const untagged = one(undefined, { ...META, tags: [] });
    const noTags = candidateRow({ posts: untagged }, T0, 'u1');
    assert.deepEqual(
      [noTags.value('user_tag.affinity_sum'), noTags.missing('user_tag.affinity_sum')],
      [0, false],
    );
    assert.ok(candidateRow({ userTags }, T0).missing('user_tag.affinity_sum'), 'no user');
  });

  it('serves follows as 1 or 0 for a known user, and as unknown otherwise', () => {
    const user = stateOf('user', (d) => d.mergeAttribute('last_active_at', T0));
    assert.equal(
      candidateRow({ user, following: new Set(['b1']) }, T0, 'u1').value('user_blog.follows'),
      1,
    );
    const stranger = candidateRow({ user, following: new Set() }, T0, 'u1');
    assert.deepEqual(
      [stranger.value('user_blog.follows'), stranger.missing('user_blog.follows')],
      [0, false],
    );
    assert.ok(candidateRow({}, T0, 'u1').missing('user_blog.follows'));
    assert.ok(candidateRow({ user }, T0).missing('user_blog.follows'));
  });

  it('serves a follower count stored below 0 (before counts had a floor) as 0', () => {
    const blog = LAYOUTS.blog.empty();
    blog[LAYOUTS.blog.attribute('followers').cell] = -2;
    const row = candidateRow({ blogs: new Map([['b1', blog]]) }, T0);
    assert.deepEqual([row.value('blog.followers'), row.missing('blog.followers')], [0, false]);
    blog[LAYOUTS.blog.attribute('followers').cell] = 3;
    assert.equal(candidateRow({ blogs: new Map([['b1', blog]]) }, T0).value('blog.followers'), 3);
  });

  it('fills defaults and sets the missing bit for every column of an unknown post', () => {
    const matrix = builder.build(
      'u1',
      candidateStates({ posts: one(undefined, undefined) }),
      [0],
      T0,
    );
    assert.deepEqual(
      Array.from(matrix.values),
      featureSchema.candidate.map((f) => Math.fround(f.default)),
    );
    for (let i = 0; i < builder.width; i++)
      assert.ok(isMissing(matrix.missing, i), matrix.names[i]);
  });

  it('marks only the columns whose moment is unknown for a post seen before its creation', () => {
    const posts = one(
      stateOf('post', (d) => d.addSignal('like', 1, T0)),
      undefined,
    );
    const row = candidateRow({ posts }, T0);
    const missingPostColumns = builder.names.filter(
      (name) => name.startsWith('post.') && row.missing(name),
    );
    assert.deepEqual(missingPostColumns, [
      'post.age_hours',
      'post.tag_count',
      'post.is_reblog',
      'post.text_length',
      'post.link_count',
      'post.spam_score',
    ]);
    assert.equal(row.value('post.likes_1d'), 1);
    assert.equal(row.value('post.deleted'), 0);
  });
});

describe('missing bitset', () => {
  it('sets bit i in byte i/8, least significant bit first', () => {
    const bits = new Uint8Array(2);
    setBit(bits, 0);
    setBit(bits, 9);
    assert.deepEqual([...bits], [0b0000_0001, 0b0000_0010]);
  });
});
