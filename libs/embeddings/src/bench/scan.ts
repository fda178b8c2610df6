/**
 * The vector index's scan, the hot loop of the embeddings source (a search reads about 22,000
 * vectors of 32 numbers on the large world), against the plain loop it replaced, on the same
 * vectors in one process.
 *
 *   node libs/embeddings/dist/bench/scan.js [--vectors 200000] [--dim 32] [--searches 200]
 */
import { parseArgs } from 'node:util';
import { dot } from '../dense.js';
import { seededUniform } from '../seeded.js';
import { VectorIndex } from '../vector-index.js';

const { values } = parseArgs({
  options: {
    vectors: { type: 'string', default: '200000' },
    dim: { type: 'string', default: '32' },
    searches: { type: 'string', default: '200' },
  },
});
const count = Number(values.vectors);
const d = Number(values.dim);
const searches = Number(values.searches);
for (const [name, value] of [
  ['--vectors', count],
  ['--dim', d],
  ['--searches', searches],
] as const) {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
}

const random = seededUniform(1);
const flat = new Float32Array(count * d);
for (let i = 0; i < flat.length; i++) flat[i] = random() - 0.5;
const index = new VectorIndex(d, { exactBelow: Infinity });
for (let i = 0; i < count; i++) index.upsert(`p${i}`, flat.subarray(i * d, (i + 1) * d));
const queries = Array.from({ length: searches }, () =>
  Float32Array.from({ length: d }, () => random() - 0.5),
);

/** The loop before: one product a step. */
function plainBest(q: Float32Array): number {
  let best = -Infinity;
  for (let row = 0; row < count; row++) {
    const base = row * d;
    let score = 0;
    for (let j = 0; j < d; j++) score += q[j]! * flat[base + j]!;
    if (score > best) best = score;
  }
  return best;
}

function unrolledBest(q: Float32Array): number {
  let best = -Infinity;
  for (let row = 0; row < count; row++) {
    const score = dot(q, 0, flat, row * d, d);
    if (score > best) best = score;
  }
  return best;
}

function msPer(run: (q: Float32Array) => unknown): number {
  for (const q of queries.slice(0, 10)) run(q);
  const started = performance.now();
  for (const q of queries) run(q);
  return (performance.now() - started) / queries.length;
}

const rounds = [0, 1].map(() => ({
  plainScanMs: msPer(plainBest),
  unrolledScanMs: msPer(unrolledBest),
  indexSearchMs: msPer((q) => index.search(q, 1_000)),
}));
const agree = queries.every((q) => Math.abs(plainBest(q) - unrolledBest(q)) < 1e-9);
const last = rounds[rounds.length - 1]!;
process.stdout.write(
  `${JSON.stringify({
    vectors: count,
    dim: d,
    searches,
    rounds,
    speedup: Math.round((last.plainScanMs / last.unrolledScanMs) * 100) / 100,
    sameBest: agree,
  })}\n`,
);
