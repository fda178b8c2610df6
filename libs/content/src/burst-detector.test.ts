import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { PostingBurstDetector } from './burst-detector.js';

describe('PostingBurstDetector', () => {
  const minute = 60_000;

  it('flags a blog that posts more than the limit inside the window', () => {
    const detector = new PostingBurstDetector({ windowMs: 10 * minute, maxPostsPerWindow: 3 });
    const results = [0, 1, 2, 3].map((m) => detector.record('spammy', m * minute));
    assert.deepEqual(
      results.map((r) => r.postsInWindow),
      [1, 2, 3, 4],
    );
    assert.deepEqual(
      results.map((r) => r.bursting),
      [false, false, false, true],
    );
  });

  it('lets old posts slide out of the window', () => {
    const detector = new PostingBurstDetector({ windowMs: 10 * minute, maxPostsPerWindow: 3 });
    for (const m of [0, 1, 2]) detector.record('steady', m * minute);
    assert.equal(detector.record('steady', 11.5 * minute).postsInWindow, 2);
    assert.equal(detector.peek('steady', 30 * minute).postsInWindow, 0);
  });

  it('counts blogs apart and an out-of-order post at its own time', () => {
    const detector = new PostingBurstDetector({ windowMs: 10 * minute, maxPostsPerWindow: 3 });
    detector.record('a', 20 * minute);
    detector.record('b', 20 * minute);
    assert.equal(detector.record('a', 5 * minute).postsInWindow, 1);
    assert.equal(detector.peek('a', 20 * minute).postsInWindow, 1);
  });
});
