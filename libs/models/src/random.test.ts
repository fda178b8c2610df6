import assert from 'node:assert/strict';
import { MAX_SEED, seededRandom } from './random.js';

/** The first `draws` values of seeds 0 to 1000 on `stream`: one row per seed. */
function drawsOfSmallSeeds(draws: number, stream = 0): number[][] {
  const rows: number[][] = [];
  for (let seed = 0; seed <= 1000; seed += 1) {
    const random = seededRandom(seed, stream);
    rows.push(Array.from({ length: draws }, () => random.next()));
  }
  return rows;
}

/** How many of `values` (each in [0, 1)) fall in each of `buckets` equal slices. */
function bucketCounts(values: number[], buckets: number): number[] {
  const counts = new Array<number>(buckets).fill(0);
  for (const value of values) counts[Math.floor(value * buckets)]! += 1;
  return counts;
}

function correlation(xs: number[], ys: number[]): number {
  const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  xs.forEach((x, i) => {
    const dx = x - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  });
  return sxy / Math.sqrt(sxx * syy);
}

// The seeds are fixed, so these statistical checks are deterministic: their bounds are loose
// (about four standard deviations) only so that a sound mixing of the seed passes them.
describe('seededRandom', () => {
  it('spreads the first draws of seeds 0 to 1000 over [0, 1), on every stream', () => {
    for (const stream of [0, 1]) {
      const firsts = drawsOfSmallSeeds(1, stream).map((row) => row[0]!);
      // 1001 draws in 10 slices: about 100 each (standard deviation 9.5).
      for (const [slice, count] of bucketCounts(firsts, 10).entries()) {
        assert.ok(
          count >= 60 && count <= 140,
          `stream ${stream}: ${count} first draws in [${slice / 10}, ${(slice + 1) / 10})`,
        );
      }
      const mean = firsts.reduce((sum, v) => sum + v, 0) / firsts.length;
      const variance = firsts.reduce((sum, v) => sum + (v - mean) ** 2, 0) / firsts.length;
      assert.ok(Math.abs(mean - 0.5) < 0.04, `stream ${stream}: mean first draw ${mean}`);
      assert.ok(Math.abs(variance - 1 / 12) < 0.015, `stream ${stream}: variance ${variance}`);
    }
  });

  it('draws the second value unrelated to the first and to the seed', () => {
    const rows = drawsOfSmallSeeds(2);
    const firsts = rows.map((row) => row[0]!);
    const seconds = rows.map((row) => row[1]!);
    assert.ok(Math.abs(correlation(firsts, seconds)) < 0.13, 'first and second draws correlate');
    // (first, second) over a 4 x 4 grid: about 63 pairs a cell (standard deviation 7.7).
    const cells = new Array<number>(16).fill(0);
    rows.forEach(([first, second]) => {
      cells[Math.floor(first! * 4) * 4 + Math.floor(second! * 4)]! += 1;
    });
    for (const [cell, count] of cells.entries()) {
      assert.ok(count >= 30 && count <= 100, `${count} (first, second) pairs in cell ${cell}`);
    }
    // A straight line in the seed would step the second draw by the same amount (mod 1) from
    // each seed to the next; the steps must be spread like the draws.
    const steps = seconds.slice(1).map((second, i) => (second - seconds[i]! + 1) % 1);
    for (const [slice, count] of bucketCounts(steps, 10).entries()) {
      assert.ok(count >= 60 && count <= 140, `${count} steps in slice ${slice}`);
    }
  });

  it('gives the same draws for the same seed and stream, and others for another stream', () => {
    for (const seed of [0, 1, 42, MAX_SEED]) {
      const draws = (stream: number) => {
        const random = seededRandom(seed, stream);
        return [random.next(), random.int(0, 1000), random.shuffle([1, 2, 3, 4, 5, 6, 7, 8])];
      };
      assert.deepEqual(draws(0), draws(0));
      assert.deepEqual(draws(3), draws(3));
      assert.notDeepEqual(draws(0), draws(1));
      assert.notDeepEqual(draws(1), draws(2));
    }
  });

  it('gives seeds next to each other different draws', () => {
    const firsts = new Set(drawsOfSmallSeeds(1).map((row) => row[0]));
    assert.equal(firsts.size, 1001);
  });
});
