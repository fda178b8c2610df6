import assert from 'node:assert/strict';
import { DAY_MS } from './feature-registry.js';
import { addedAbove, applyDelta, EntityDelta } from './state-delta.js';
import {
  FIRST_COUNTER_CELL,
  FLOORED_ADD_CODE,
  LAYOUTS,
  MERGE_CODES,
  TIME_CELL,
} from './state-layout.js';

const T0 = 1_700_000_000_000;
const post = LAYOUTS.post;

function close(actual: number, expected: number): void {
  assert.ok(
    Math.abs(actual - expected) < 1e-12 * Math.max(1, Math.abs(expected)),
    `${actual} ≉ ${expected}`,
  );
}

/** Likes at these times, each written as its own delta, in this order. */
function oneByOne(times: readonly number[]): Float64Array {
  const cells = post.empty();
  for (const at of times) applyDelta(cells, new EntityDelta(post).addSignal('like', 1, at));
  return cells;
}

describe('EntityDelta', () => {
  const times = [T0 + 2 * DAY_MS, T0, T0 + 3 * DAY_MS, T0 + DAY_MS];
  const now = T0 + 4 * DAY_MS;
  // Σ 2^(-age/h) at 4 days for likes 4, 3, 2 and 1 days old.
  const expected1d = 2 ** -4 + 2 ** -3 + 2 ** -2 + 2 ** -1;
  const expected7d = [4, 3, 2, 1].reduce((sum, days) => sum + 2 ** (-days / 7), 0);

  it('folds a counter to the same value whichever order its events arrive in', () => {
    for (const order of [times, [...times].reverse(), [...times].sort()]) {
      const cells = oneByOne(order);
      assert.equal(cells[TIME_CELL], T0 + 3 * DAY_MS);
      close(post.counter(cells, 'like', DAY_MS, now), expected1d);
      close(post.counter(cells, 'like', 7 * DAY_MS, now), expected7d);
    }
  });

  it('writes a batch folded into one delta exactly as its events one by one', () => {
    const delta = new EntityDelta(post);
    for (const at of times) delta.addSignal('like', 1, at);
    const stored = oneByOne([T0 - DAY_MS]);
    applyDelta(stored, delta);
    close(post.counter(stored, 'like', DAY_MS, now), expected1d + 2 ** -5);

    const halves = [new EntityDelta(post), new EntityDelta(post)];
    times.forEach((at, i) => halves[i % 2]!.addSignal('like', 1, at));
    const merged = halves[1]!.add(halves[0]!);
    const cells = post.empty();
    applyDelta(cells, merged);
    close(post.counter(cells, 'like', 7 * DAY_MS, now), expected7d);
  });

  it('decays every counter of an entity to its latest event, one time for all', () => {
    const cells = post.empty();
    applyDelta(cells, new EntityDelta(post).addSignal('like', 1, T0));
    applyDelta(cells, new EntityDelta(post).addSignal('impression', 4, T0 + DAY_MS));
    assert.equal(cells[TIME_CELL], T0 + DAY_MS);
    close(post.counter(cells, 'like', DAY_MS, T0 + DAY_MS), 0.5);
    close(post.counter(cells, 'impression', DAY_MS, T0 + 2 * DAY_MS), 2);
  });

  it('merges attributes by their rule: max, min, add, and set for values written once', () => {
    const cells = post.empty();
    assert.ok(Number.isNaN(post.attributeValue(cells, 'created_at')));
    const delta = new EntityDelta(post)
      .mergeAttribute('created_at', T0 + 5)
      .mergeAttribute('created_at', T0 + 2)
      .mergeAttribute('deleted', 1)
      .mergeAttribute('tag_count', 3);
    applyDelta(cells, delta);
    applyDelta(cells, new EntityDelta(post).mergeAttribute('created_at', T0 + 9));
    assert.equal(post.attributeValue(cells, 'created_at'), T0 + 2);
    assert.equal(post.attributeValue(cells, 'deleted'), 1);
    assert.equal(post.attributeValue(cells, 'tag_count'), 3);

    const blog = LAYOUTS.blog;
    const blogCells = blog.empty();
    applyDelta(
      blogCells,
      new EntityDelta(blog).mergeAttribute('followers', 1).mergeAttribute('followers', 1),
    );
    applyDelta(blogCells, new EntityDelta(blog).mergeAttribute('followers', -1));
    assert.equal(blog.attributeValue(blogCells, 'followers'), 1);
  });

  it('never takes a count with a floor below it, a folded batch ending where its changes one by one do', () => {
    const blog = LAYOUTS.blog;
    const followersOf = (cells: Float64Array) => blog.attributeValue(cells, 'followers');
    const starting = (start: number) => {
      const cells = blog.empty();
      cells[blog.attribute('followers').cell] = start;
      return cells;
    };
    const sequences = [[-1], [-1, 1], [1, -1, -1, 1], [-2, 1, -1, 3], [2, -3, 1, -1, 1], [0]];
    // -1: stored before counts had a floor, counted from it.
    for (const start of [0, 2, -1]) {
      for (const changes of sequences) {
        const label = `${start} then ${changes.join(', ')}`;
        const oneByOne = starting(start);
        for (const change of changes) {
          applyDelta(oneByOne, new EntityDelta(blog).mergeAttribute('followers', change));
        }
        const folded = new EntityDelta(blog);
        for (const change of changes) folded.mergeAttribute('followers', change);
        const halves = [new EntityDelta(blog), new EntityDelta(blog)];
        changes.forEach((change, i) => {
          halves[i < changes.length / 2 ? 0 : 1]!.mergeAttribute('followers', change);
        });
        const atOnce = starting(start);
        applyDelta(atOnce, folded);
        const byHalves = starting(start);
        applyDelta(byHalves, halves[0]!.add(halves[1]!));
        const expected = addedAbove(start, changes, 0);
        assert.ok(expected >= 0, label);
        assert.deepEqual(
          [followersOf(oneByOne), followersOf(atOnce), followersOf(byHalves)],
          [expected, expected, expected],
          label,
        );
      }
    }
    assert.equal(addedAbove(0, [-1, 1], 0), 1);
    assert.equal(addedAbove(0, [1, -1, -1], 0), 0);
  });

  it('encodes a count with a floor with the dip of its changes and the floor', () => {
    const blog = LAYOUTS.blog;
    const bytes = new EntityDelta(blog)
      .mergeAttribute('followers', -2)
      .mergeAttribute('followers', 1)
      .encode();
    // No counters: at, 0, then 1 attribute of (code, cell, value, dip, floor).
    assert.equal(bytes.readUInt16LE(8), 0);
    assert.equal(bytes.readUInt16LE(10), 1);
    assert.deepEqual(
      [
        bytes.readUInt8(12),
        bytes.readUInt16LE(13),
        bytes.readDoubleLE(15),
        bytes.readDoubleLE(23),
        bytes.readDoubleLE(31),
      ],
      [FLOORED_ADD_CODE, blog.attribute('followers').cell, -1, 2, 0],
    );
    assert.equal(bytes.length, 39);
    assert.ok(bytes.length <= new EntityDelta(blog).mergeAttribute('followers', 1).maxEncodedBytes);
  });

  it('encodes what the Lua scripts read: time, raised counters, touched attributes', () => {
    const delta = new EntityDelta(post).addSignal('hide', 2, T0).mergeAttribute('deleted', 1);
    const bytes = delta.encode();
    // at f64, #counters u16, (cell u16, weight f64)..., #attributes u16, (code u8, cell u16, value f64)...
    const numbers: number[] = [bytes.readDoubleLE(0), bytes.readUInt16LE(8)];
    let at = 10;
    for (let i = 0; i < numbers[1]!; i++, at += 10) {
      numbers.push(bytes.readUInt16LE(at), bytes.readDoubleLE(at + 2));
    }
    const attributes = bytes.readUInt16LE(at);
    numbers.push(attributes);
    at += 2;
    for (let i = 0; i < attributes; i++, at += 11) {
      numbers.push(bytes.readUInt8(at), bytes.readUInt16LE(at + 1), bytes.readDoubleLE(at + 3));
    }
    assert.equal(at, bytes.length);
    const hides = ['hide'].flatMap(() =>
      post.counters.flatMap((c) => (c.signal === 'hide' ? [c.cell, 2] : [])),
    );
    const deleted = post.attribute('deleted');
    assert.deepEqual(numbers, [
      T0,
      hides.length / 2,
      ...hides,
      1,
      MERGE_CODES.max,
      deleted.cell,
      1,
    ]);
    assert.ok(hides.every((value, i) => i % 2 === 1 || value >= FIRST_COUNTER_CELL));
    assert.equal(new EntityDelta(post).isEmpty, true);
  });
});
