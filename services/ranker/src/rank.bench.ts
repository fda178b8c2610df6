/**
 * Inference speed in the ranker process: `node services/ranker/dist/rank.bench.js`.
 * The target (ranking issue) is 1,000 candidates scored in at most 2 ms. Reports numbers;
 * asserts nothing, so a slow CI machine cannot fail the build on timing.
 */
import { performance } from 'node:perf_hooks';
import { rankerv1 } from '@feedmesh/contracts';
import { heuristicModel, seededRandom, trainGbdt, trainLogistic, Scorer } from '@feedmesh/models';
import { parseRankRequest } from './rank-request.js';

const CANDIDATES = 1_000;
const COLUMNS = 40;
const ITERATIONS = 2_000;

const random = seededRandom(1);
const names = Array.from({ length: COLUMNS }, (_, i) => `post.f${i}`);
const heuristicNames = heuristicModel().features.map((f) => f.name);
heuristicNames.forEach((name, i) => (names[i] = name));

// A trained model over all 40 columns, 5 objectives: the shape production will run.
const trainingRows = 2_000;
const trainingValues = Float32Array.from(
  { length: trainingRows * COLUMNS },
  () => random.next() * 20,
);
const labels = Object.fromEntries(
  ['like', 'reblog', 'reply', 'follow', 'hide'].map((o) => [
    o,
    Uint8Array.from({ length: trainingRows }, () => (random.next() < 0.2 ? 1 : 0)),
  ]),
);
const trained = trainLogistic({ names, rows: trainingRows, values: trainingValues, labels }).model;
// Boosted trees of the size the MovieLens ranker ends with (about 100 rounds of 15 leaves),
// here for each of the 5 objectives: labels follow the first features so trees grow deep.
const treeLabels = Object.fromEntries(
  ['like', 'reblog', 'reply', 'follow', 'hide'].map((o, k) => [
    o,
    Uint8Array.from({ length: trainingRows }, (_, r) =>
      trainingValues[r * COLUMNS + k]! + random.next() * 10 > 15 ? 1 : 0,
    ),
  ]),
);
const trees = trainGbdt(
  { names, rows: trainingRows, values: trainingValues, labels: treeLabels },
  { trees: 100, maxLeaves: 15, minRowsInLeaf: 5, seed: 1 },
).model;

const request: rankerv1.RankRequest = {
  model: '',
  modelVersion: '',
  user: { names: ['user.sessions_7d', 'user.likes_7d'], values: [3, 10], missing: Buffer.alloc(0) },
  candidates: {
    // Reversed against the model's order, as a layout from another registry version might be.
    names: [...names].reverse(),
    rows: CANDIDATES,
    values: Array.from({ length: CANDIDATES * COLUMNS }, () => random.next() * 20),
    missing: Buffer.alloc(Math.ceil((CANDIDATES * COLUMNS) / 8)),
  },
  weights: [{ objective: rankerv1.Objective.OBJECTIVE_HIDE, weight: -5 }],
};

function measure(label: string, fn: () => void): void {
  for (let i = 0; i < 200; i += 1) fn();
  const samples = new Float64Array(ITERATIONS);
  for (let i = 0; i < ITERATIONS; i += 1) {
    const start = performance.now();
    fn();
    samples[i] = performance.now() - start;
  }
  samples.sort();
  const at = (q: number) =>
    samples[Math.min(ITERATIONS - 1, Math.floor(q * ITERATIONS))]!.toFixed(3);
  console.log(`${label.padEnd(58)} p50 ${at(0.5)} ms  p90 ${at(0.9)} ms  p99 ${at(0.99)} ms`);
}

const heuristic = new Scorer(heuristicModel());
const logistic = new Scorer(trained);
let sink = 0;
console.log(`${CANDIDATES} candidates x ${COLUMNS} columns, ${ITERATIONS} runs each`);
measure('score: heuristic (9 features, 5 objectives)', () => {
  sink += heuristic.score(parseRankRequest(request)).values[0]!;
});
measure('score: trained logistic (40 features, 5 objectives)', () => {
  sink += logistic.score(parseRankRequest(request)).values[0]!;
});
const gbdt = new Scorer(trees);
const treeCount = trees.objectives.reduce((n, o) => n + o.trees.length, 0);
measure(`score: gbdt (${treeCount} trees of <= 15 leaves, 5 objectives)`, () => {
  sink += gbdt.score(parseRankRequest(request)).values[0]!;
});
measure('validate + score + build response: trained logistic', () => {
  const input = parseRankRequest(request);
  const scores = logistic.score(input);
  const response = {
    probabilities: Array.from(scores.probabilities),
    values: Array.from(scores.values),
  };
  sink += response.values.length;
});
if (sink === 42) console.log('');
