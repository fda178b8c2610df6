import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
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

/**
 * The snapshot without one of its sections, as a version from before that section wrote it:
 * the section's bytes and its header entry removed, the checksum recomputed.
 */
function withoutSection(file: Buffer, name: string): Buffer {
  const headerLength = file.readUInt32LE(file.length - 8);
  const headerStart = file.length - 8 - headerLength;
  const header = JSON.parse(file.toString('utf8', headerStart, file.length - 8)) as {
    sections: { name: string; bytes: number }[];
  };
  const parts: Buffer[] = [file.subarray(0, 8)];
  let at = 8;
  for (const section of header.sections) {
    if (section.name !== name) parts.push(file.subarray(at, at + section.bytes));
    at += section.bytes;
  }
  assert.ok(
    header.sections.some((section) => section.name === name),
    `no section ${name}`,
  );
  header.sections = header.sections.filter((section) => section.name !== name);
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const body = Buffer.concat([...parts, headerBytes]);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(headerBytes.length, 0);
  trailer.writeUInt32LE(crc32(body) >>> 0, 4);
  return Buffer.concat([body, trailer]);
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

  it('keeps deleted post ids and when each was deleted across a snapshot', async () => {
    let now = 1_000_000;
    const options = { tombstoneRetentionMs: 60_000, now: () => now };
    const original = new SearchIndex(options);
    fill(original, 0, 10);
    original.deletePost('p1');
    now += 40_000;
    original.deletePost('p2');
    original.deletePost('never-indexed');
    const path = join(dir, 'index.snapshot');
    await writeIndexSnapshot(path, original, {});

    now += 20_001; // p1 was deleted 60,001 ms ago, p2 20,001 ms ago
    const restored = await readIndexSnapshot(path, options);
    assert.ok(restored);
    assert.equal(restored.index.stats().tombstones, 2, 'p1 is past the retention');
    const input = (postId: string) => ({
      postId,
      blogId: 'b1',
      text: 'x',
      tags: [],
      createdAtMs: 1,
    });
    assert.equal(restored.index.addPost(input('p2')), 'deleted');
    assert.equal(restored.index.addPost(input('never-indexed')), 'deleted');
    assert.equal(restored.index.addPost(input('p1')), 'added');
    now += 40_000;
    assert.equal(restored.index.addPost(input('p2')), 'added', 'its time came back with it');
  });

  it('reads a snapshot without deletion times as deleted when it is loaded', async () => {
    let now = 1_000_000;
    const options = { tombstoneRetentionMs: 60_000, now: () => now };
    const original = new SearchIndex(options);
    fill(original, 0, 10);
    original.deletePost('p1');
    const path = join(dir, 'index.snapshot');
    await writeIndexSnapshot(path, original, {});
    await writeFile(path, withoutSection(await readFile(path), 'removedAtMs'));

    now += 50_000;
    const restored = await readIndexSnapshot(path, options);
    assert.ok(restored);
    const input = { postId: 'p1', blogId: 'b1', text: 'x', tags: [], createdAtMs: 1 };
    now += 50_000; // 100 s after the deletion, 50 s after the load
    assert.equal(restored.index.addPost(input), 'deleted');
    now += 10_001;
    assert.equal(restored.index.addPost(input), 'added');
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
