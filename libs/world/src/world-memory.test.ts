import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { worldHeapBytes } from './index.js';

/**
 * Generates a world in a process of its own, where nothing else allocates, and prints the heap
 * it keeps after a full collection. (Measured inside the test run, other suites' leftovers and
 * timers moved the figure by 10 MB.) Optimizing compilation runs on the main thread: a job
 * still running on a background thread at the collection keeps what it compiles for alive,
 * and on 2026-11-28 that was the generator's state, 11 MB, in three runs of four.
 */
async function heapKeptBy(size: { users: number; blogs: number }): Promise<number> {
  const script = `
    import { createWorld } from ${JSON.stringify(new URL('./index.js', import.meta.url).href)};
    gc();
    const before = process.memoryUsage().heapUsed;
    const world = createWorld({ ...${JSON.stringify(size)}, posts: 1000, engagements: 1000, seed: 1, now: 1e12 });
    let events = 0;
    for (const _ of world.events()) events += 1;
    gc();
    const kept = process.memoryUsage().heapUsed - before;
    process.stdout.write(JSON.stringify({ kept, events, users: world.truth.users.length }));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--expose-gc',
    '--no-concurrent-recompilation',
    '--input-type=module',
    '--eval',
    script,
  ]);
  const report = JSON.parse(stdout) as { kept: number; events: number; users: number };
  assert.equal(report.users, size.users, 'every user was generated');
  assert.ok(report.events > size.users);
  return report.kept;
}

describe('worldHeapBytes', function () {
  this.timeout(60_000);

  it('is no more than 20% under what a world of 50,000 users keeps, nor twice over it', async () => {
    const size = { users: 50_000, blogs: 1_000 };
    const kept = await heapKeptBy(size);
    const estimate = worldHeapBytes(size);
    assert.ok(kept <= 1.2 * estimate, `kept ${kept} bytes, estimated ${estimate}`);
    assert.ok(kept >= estimate / 2, `kept ${kept} bytes, estimated ${estimate}`);
  });

  it('grows with users and with blogs', () => {
    const base = worldHeapBytes({ users: 1_000, blogs: 100 });
    assert.ok(worldHeapBytes({ users: 2_000, blogs: 100 }) > base);
    assert.ok(worldHeapBytes({ users: 1_000, blogs: 200 }) > base);
  });
});
