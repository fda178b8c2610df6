import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readIndexSnapshot, SnapshotFormatError, writeIndexSnapshot } from './index-snapshot.js';
import { parseQueryText } from './query-parser.js';
import { SearchIndex } from './search-index.js';

const WORDS = ['panda', 'bamboo', 'forest', 'red', 'sleepy', 'climbs', 'tree', 'zoo', 'café'];

function fill(index: SearchIndex, from: number, to: number): void {
  for (let i = from; i < to; i += 1) {
    const words = Array.from({ length: 3 + (i % 7) }, (_, j) => WORDS[(i * 7 + j * 3) % 9]);
    index.addPost({
      postId: `p${i}`,
      blogId: `b${i % 13}`,
      text: `${words.join(' ')} #tag${i % 5} @user${i % 3}`,
      tags: [`Topic ${i % 4}`, `t${i % 9}`],
      createdAtMs: 1_000 + i,
    });
  }
}

function answers(index: SearchIndex) {
  const queries = ['panda', 'red panda tree', '"bamboo forest"', 'cafe #t3', 'zoo blog:b4', 'tag2'];
  return {
    hits: queries.map((text) =>
      index
        .search(
          { ...parseQueryText(text, index.analyzer), blogIds: [], order: 'relevance' },
          { offset: 0, limit: 20 },
        )
        .hits.map((hit) => [hit.postId, hit.score, hit.highlights]),
    ),
    tags: index.suggestTags('t', 20),
    blogs: index.suggestBlogs('blog', 20),
    stats: index.stats(),
  };
}

describe('index snapshots', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'search-snapshot-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('restores an index that answers, suggests and grows exactly like the original', async () => {
    const original = new SearchIndex();
    // More posts than one block of strings (16,384), so the blocks are read back in order.
    fill(original, 0, 17_000);
    for (let b = 0; b < 13; b += 2) original.nameBlog(`b${b}`, `blog number ${b}`, 5);
    for (let i = 0; i < 17_000; i += 11) original.deletePost(`p${i}`);
    const path = join(dir, 'index.snapshot');
    await writeIndexSnapshot(path, original, { group: 'search:test', slot: 1 });

    const restored = await readIndexSnapshot(path);
    assert.ok(restored);
    assert.deepEqual(restored.meta, { group: 'search:test', slot: 1 });
    assert.deepEqual(answers(restored.index), answers(original));
    assert.equal(
      restored.index.addPost({ postId: 'p11', blogId: 'b1', text: 'x', tags: [], createdAtMs: 1 }),
      'deleted',
    );

    // New postings land after the restored ones in the same streams.
    for (const index of [original, restored.index]) {
      fill(index, 17_000, 18_000);
      index.nameBlog('b1', 'renamed blog', 9);
      index.deletePost('p17500');
    }
    assert.deepEqual(answers(restored.index), answers(original));
  });

  it('refuses a corrupt or truncated snapshot, and finds none where there is none', async () => {
    const index = new SearchIndex();
    fill(index, 0, 200);
    const path = join(dir, 'index.snapshot');
    await writeIndexSnapshot(path, index, {});
    const bytes = await readFile(path);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] ?? 0) ^ 0xff;
    await writeFile(path, bytes);
    await assert.rejects(readIndexSnapshot(path), SnapshotFormatError);
    await writeFile(path, bytes.subarray(0, bytes.length - 100));
    await assert.rejects(readIndexSnapshot(path), /truncated/);
    await writeFile(path, 'hello');
    await assert.rejects(readIndexSnapshot(path), /not a search index snapshot/);
    assert.equal(await readIndexSnapshot(join(dir, 'missing.snapshot')), undefined);
  });
});
