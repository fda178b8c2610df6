/**
 * In-process engine benchmark on synthetic posts (Zipf-distributed words, tags, blogs).
 * Reports numbers, asserts nothing: `node services/search/dist/bench/search-bench.js [posts]`.
 */
import { performance } from 'node:perf_hooks';
import { parseQueryText, SearchIndex, type SearchQuery } from '../engine/index.js';

const posts = Number(process.argv[2] ?? 100_000);
const vocabulary = Array.from({ length: 30_000 }, (_, i) => `w${i.toString(36)}x`);
let seed = 42;
const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const zipf = (n: number) => Math.min(n - 1, Math.floor(n ** random()) - 1);

const index = new SearchIndex();
const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
let started = performance.now();
for (let i = 0; i < posts; i += 1) {
  const words = Array.from(
    { length: 20 + Math.floor(random() * 60) },
    () => vocabulary[zipf(vocabulary.length)],
  );
  const tags = Array.from({ length: Math.floor(random() * 5) }, () => `tag${zipf(5_000)}`);
  index.addPost({
    postId: `p${i}`,
    blogId: `b${zipf(20_000)}`,
    text: words.join(' '),
    tags,
    createdAtMs: i,
  });
}
const indexMs = performance.now() - started;
for (let b = 0; b < 20_000; b += 1) index.nameBlog(`b${b}`, `blog-${vocabulary[b]}`, 0);
global.gc?.();
const usage = process.memoryUsage();
const bytes = usage.heapUsed + usage.arrayBuffers - heapBefore;

const queries: SearchQuery[] = Array.from({ length: 2_000 }, () => {
  const text = Array.from(
    { length: 1 + Math.floor(random() * 3) },
    () => vocabulary[zipf(3_000)],
  ).join(' ');
  return { ...parseQueryText(text, index.analyzer), blogIds: [], order: 'relevance' };
});
const latencies: number[] = [];
for (const query of queries) {
  started = performance.now();
  index.search(query, { offset: 0, limit: 10 });
  latencies.push(performance.now() - started);
}
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.floor((latencies.length - 1) * p)]?.toFixed(2);

const suggestLatencies: number[] = [];
for (let i = 0; i < 2_000; i += 1) {
  const prefix = i % 2 === 0 ? `#tag${i % 50}` : `blog-w${(i % 36).toString(36)}`;
  started = performance.now();
  index.suggestTags(prefix, 10);
  index.suggestBlogs(prefix, 10);
  suggestLatencies.push(performance.now() - started);
}
suggestLatencies.sort((a, b) => a - b);

console.log(
  JSON.stringify(
    {
      posts,
      indexPostsPerSecond: Math.round(posts / (indexMs / 1000)),
      memoryMiB: Math.round(bytes / 2 ** 20),
      stats: index.stats(),
      searchMs: { p50: pct(0.5), p99: pct(0.99), max: pct(1) },
      suggestMs: {
        p50: suggestLatencies[1_000]?.toFixed(3),
        p99: suggestLatencies[1_980]?.toFixed(3),
      },
    },
    null,
    2,
  ),
);
