import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createWorld, worldHeapBytes } from './index.js';

describe('worldHeapBytes', function () {
  this.timeout(60_000);

  it('covers what a world of 50,000 users keeps on the heap, within a factor of two', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const size = { users: 50_000, blogs: 1_000 };
    gc();
    const before = process.memoryUsage().heapUsed;
    const world = createWorld({ ...size, posts: 1_000, engagements: 1_000, seed: 1, now: 1e12 });
    let events = 0;
    for (const _ of world.events()) events += 1;
    gc();
    const kept = process.memoryUsage().heapUsed - before;
    assert.ok(events > size.users, 'every user was generated');
    assert.equal(world.truth.users.length, size.users);
    const estimate = worldHeapBytes(size);
    assert.ok(kept <= estimate, `kept ${kept} bytes, estimated ${estimate}`);
    assert.ok(kept >= estimate / 2, `kept ${kept} bytes, estimated ${estimate}`);
  });

  it('grows with users and with blogs', () => {
    const base = worldHeapBytes({ users: 1_000, blogs: 100 });
    assert.ok(worldHeapBytes({ users: 2_000, blogs: 100 }) > base);
    assert.ok(worldHeapBytes({ users: 1_000, blogs: 200 }) > base);
  });
});
