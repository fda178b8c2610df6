import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import type { FieldIndexData } from './field-index.js';
import { SearchIndex, type SearchIndexData, type SearchIndexOptions } from './search-index.js';
import type { SegmentData } from './segment.js';

/**
 * Index snapshots on disk: the whole index (postings pool, columns, stored posts, blogs,
 * deleted post ids and when they were deleted, tag counts) in one file, so a restart loads it
 * and only catches up on what the log received since, instead of indexing the retained
 * history again.
 *
 * Layout: the magic `FMSEARCH`, the sections back to back, a JSON header (format version,
 * the caller's metadata, scalars, and the sections with their types and byte sizes), then
 * the header's u32 length and a u32 CRC-32 of everything before it. The header comes last
 * because sections are streamed: their sizes are known only once written. A typed-array
 * section is its bytes (little-endian, as the machine writes them); a string section is
 * blocks of u32 count, u32 byte length, u32 UTF-8 lengths, then the UTF-8 bytes.
 *
 * Bump `SNAPSHOT_FORMAT` whenever the analyzer or the postings layout changes: an older
 * snapshot is then refused, and the replica rebuilds from the log. What only adds to the index
 * goes in a new section instead, read when present: an older snapshot lacks it and reads with
 * that section's default, and an older reader skips it (sections are found by name). So far:
 * `removedAtMs`, the deletion time of each deleted post id (without it, deleted at load).
 */
export const SNAPSHOT_FORMAT = 1;
const MAGIC = Buffer.from('FMSEARCH');

/** What the caller records with a snapshot (the consumer group it pairs with, and so on). */
export type SnapshotMeta = Readonly<Record<string, string | number>>;

/** A snapshot that cannot be used: corrupt, truncated, or from another format. */
export class SnapshotFormatError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'SnapshotFormatError';
  }
}

type SectionType = 'u8' | 'u16' | 'u32' | 'i32' | 'f64' | 'strings' | 'pages';
interface SectionInfo {
  readonly name: string;
  readonly type: SectionType;
  /** Elements (values, strings or pages). */
  readonly count: number;
  readonly bytes: number;
}

interface Header {
  readonly format: number;
  readonly meta: SnapshotMeta;
  readonly generation: number;
  readonly poolNext: number;
  readonly sections: readonly SectionInfo[];
}

const FIELDS = ['text', 'tags', 'tagKeys', 'blogPosts'] as const;
const FIELD_COLUMNS: Record<string, SectionType> = {
  docStarts: 'u32',
  docWrites: 'u32',
  docSliceEnds: 'u32',
  docLevels: 'u8',
  posStarts: 'u32',
  posWrites: 'u32',
  posSliceEnds: 'u32',
  posLevels: 'u8',
  counts: 'u32',
  lastDocs: 'i32',
};

/**
 * Writes the index to `path` (through a temporary file and a rename, so a crash leaves the
 * previous snapshot whole). What a later change could alter in place (columns, tombstones)
 * is copied before the first await; append-only parts (stored posts, the pool's pages) are
 * read as the file is written, up to their captured lengths: bytes below a stream's captured
 * end never change, and the restored pool reuses everything past the captured end. Strings
 * are encoded a block at a time between writes, so a large index does not stall the event
 * loop for the whole encoding. Changes that land meanwhile come from events the paired
 * consumer group delivers again after a restore, and applying an event twice is harmless.
 */
export async function writeIndexSnapshot(
  path: string,
  index: SearchIndex,
  meta: SnapshotMeta,
): Promise<{ bytes: number }> {
  const data = index.exportData();
  const sections: { name: string; type: SectionType; count: number; chunks: ChunkSource }[] = [];
  const typed = (name: string, type: SectionType, values: ArrayBufferView & { length: number }) => {
    const copy = Buffer.from(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    sections.push({ name, type, count: values.length, chunks: [copy] });
  };
  const strings = (name: string, values: readonly string[]) => {
    const count = values.length;
    sections.push({ name, type: 'strings', count, chunks: stringBlocks(values, count) });
  };

  const segment = data.segment;
  for (const field of FIELDS) {
    const fieldData = segment.fields[field];
    strings(`${field}.terms`, fieldData.terms);
    for (const [column, type] of Object.entries(FIELD_COLUMNS)) {
      const values = fieldData.columns[column];
      if (values === undefined) throw new Error(`field ${field} has no column ${column}`);
      typed(`${field}.${column}`, type, values);
    }
  }
  strings('postIds', segment.postIds);
  strings('texts', segment.texts);
  strings('tags', segment.tags);
  typed('deleted', 'u32', segment.deleted);
  typed('blogOrdinals', 'u32', segment.blogOrdinals);
  typed('createdAt', 'f64', segment.createdAt);
  typed('textLengths', 'u16', segment.textLengths);
  typed('tagsLengths', 'u16', segment.tagsLengths);
  strings(
    'blogs.ids',
    data.blogs.map((blog) => blog.id),
  );
  strings(
    'blogs.names',
    data.blogs.map((blog) => blog.name),
  );
  typed(
    'blogs.namedAtMs',
    'f64',
    Float64Array.from(data.blogs, (blog) => blog.namedAtMs),
  );
  typed(
    'blogs.livePosts',
    'u32',
    Uint32Array.from(data.blogs, (blog) => blog.livePosts),
  );
  strings('removed', data.removed);
  if (data.removedAtMs !== undefined) typed('removedAtMs', 'f64', data.removedAtMs);
  strings('tagKeys', data.tagKeys);
  typed('tagCounts', 'u32', data.tagCounts);
  const pages = [...segment.pages];
  sections.push({ name: 'pages', type: 'pages', count: pages.length, chunks: pages });

  const temporary = `${path}.${process.pid}.tmp`;
  const file = await open(temporary, 'w');
  let written = 0;
  try {
    let checksum = 0;
    const write = async (chunk: Uint8Array) => {
      // zlib.crc32 answers 0 for some empty views (Node 20): an empty chunk adds nothing.
      if (chunk.length === 0) return;
      checksum = crc32(chunk, checksum);
      for (let at = 0; at < chunk.length;) {
        const { bytesWritten } = await file.write(chunk, at, chunk.length - at);
        at += bytesWritten;
      }
      written += chunk.length;
    };
    await write(MAGIC);
    const infos: SectionInfo[] = [];
    for (const section of sections) {
      const before = written;
      for await (const chunk of section.chunks) {
        // Live pages may take appends past the captured ends meanwhile: checksum and write
        // one copy, so the file agrees with itself.
        await write(section.type === 'pages' ? Buffer.from(chunk) : chunk);
      }
      infos.push({
        name: section.name,
        type: section.type,
        count: section.count,
        bytes: written - before,
      });
    }
    const header: Header = {
      format: SNAPSHOT_FORMAT,
      meta,
      generation: data.generation,
      poolNext: segment.poolNext,
      sections: infos,
    };
    const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
    await write(headerBytes);
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(headerBytes.length, 0);
    trailer.writeUInt32LE(checksum >>> 0, 4);
    await file.write(trailer);
    written += trailer.length;
    await file.sync();
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
  await file.close();
  await rename(temporary, path);
  // The rename itself is durable only once the directory is synced.
  const directory = await open(dirname(path), 'r');
  await directory.sync().finally(() => directory.close());
  return { bytes: written };
}

type ChunkSource = Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** Strings per encoded block: a few milliseconds of encoding between two writes. */
const STRING_BLOCK = 16_384;

/**
 * The first `count` strings as blocks of `u32 count, u32 byte length, count × u32 UTF-8
 * lengths, UTF-8 bytes`, encoded one block per step of the iteration.
 */
function* stringBlocks(values: readonly string[], count: number): Generator<Uint8Array> {
  for (let from = 0; from < count; from += STRING_BLOCK) {
    const to = Math.min(count, from + STRING_BLOCK);
    const head = Buffer.allocUnsafe(8 + 4 * (to - from));
    let total = 0;
    for (let i = from; i < to; i += 1) {
      const length = Buffer.byteLength(values[i] ?? '', 'utf8');
      head.writeUInt32LE(length, 8 + 4 * (i - from));
      total += length;
    }
    head.writeUInt32LE(to - from, 0);
    head.writeUInt32LE(total, 4);
    const bytes = Buffer.allocUnsafe(total);
    let at = 0;
    for (let i = from; i < to; i += 1) at += bytes.write(values[i] ?? '', at, 'utf8');
    yield head;
    yield bytes;
  }
}

/**
 * Reads a snapshot into an index with `options` (the settings the service runs with now).
 * Undefined when there is no file; SnapshotFormatError when it cannot be used. An abort of
 * `signal` while the file is read rejects with the abort.
 */
export async function readIndexSnapshot(
  path: string,
  options: SearchIndexOptions = {},
  signal?: AbortSignal,
): Promise<{ index: SearchIndex; meta: SnapshotMeta; bytes: number } | undefined> {
  let file: Buffer;
  try {
    file = await readFile(path, signal === undefined ? {} : { signal });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const fail = (message: string): never => {
    throw new SnapshotFormatError(message, path);
  };
  if (file.length < MAGIC.length + 8 || !file.subarray(0, MAGIC.length).equals(MAGIC)) {
    fail('not a search index snapshot');
  }
  const headerLength = file.readUInt32LE(file.length - 8);
  const headerStart = file.length - 8 - headerLength;
  if (headerStart < MAGIC.length) fail('truncated');
  if (crc32(file.subarray(0, file.length - 8)) >>> 0 !== file.readUInt32LE(file.length - 4)) {
    fail('checksum mismatch (truncated or corrupt)');
  }
  let header: Header;
  try {
    header = JSON.parse(file.toString('utf8', headerStart, file.length - 8)) as Header;
  } catch {
    return fail('unreadable header');
  }
  if (header.format !== SNAPSHOT_FORMAT) {
    fail(`format ${header.format}, this version reads ${SNAPSHOT_FORMAT}`);
  }
  const bodyStart = MAGIC.length;
  const bodyBytes = header.sections.reduce((n, section) => n + section.bytes, 0);
  if (bodyStart + bodyBytes !== headerStart) fail('sections do not add up');

  const found = new Map<string, { info: SectionInfo; bytes: Buffer }>();
  let at = bodyStart;
  for (const info of header.sections) {
    found.set(info.name, { info, bytes: file.subarray(at, at + info.bytes) });
    at += info.bytes;
  }
  const section = (name: string, type: SectionType) => {
    const entry = found.get(name);
    if (entry === undefined || entry.info.type !== type) return fail(`section ${name} missing`);
    return entry;
  };
  // Copies (slice) give every typed array its own aligned buffer.
  const copy = (name: string, type: SectionType) => {
    const { bytes } = section(name, type);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  };
  const optional = <T>(name: string, read: (name: string) => T): T | undefined =>
    found.has(name) ? read(name) : undefined;
  const u8 = (name: string) => new Uint8Array(copy(name, 'u8'));
  const u16 = (name: string) => new Uint16Array(copy(name, 'u16'));
  const u32 = (name: string) => new Uint32Array(copy(name, 'u32'));
  const i32 = (name: string) => new Int32Array(copy(name, 'i32'));
  const f64 = (name: string) => new Float64Array(copy(name, 'f64'));
  const strings = (name: string): string[] => {
    const { info, bytes } = section(name, 'strings');
    const out = new Array<string>(info.count);
    let n = 0;
    let at = 0;
    while (at < bytes.length) {
      if (at + 8 > bytes.length) fail(`section ${name} truncated`);
      const count = bytes.readUInt32LE(at);
      const total = bytes.readUInt32LE(at + 4);
      let offset = at + 8 + 4 * count;
      if (offset + total > bytes.length || n + count > info.count)
        fail(`section ${name} truncated`);
      for (let i = 0; i < count; i += 1) {
        const length = bytes.readUInt32LE(at + 8 + 4 * i);
        out[n++] = bytes.toString('utf8', offset, offset + length);
        offset += length;
      }
      at = offset;
    }
    if (n !== info.count) fail(`section ${name} has ${n} of ${info.count} strings`);
    return out;
  };

  const readers: Record<SectionType, (name: string) => FieldIndexData['columns'][string]> = {
    u8,
    u16: () => fail('no u16 field column'),
    u32,
    i32,
    f64: () => fail('no f64 field column'),
    strings: () => fail('no string field column'),
    pages: () => fail('no page field column'),
  };
  const field = (name: string): FieldIndexData => {
    const columns: Record<string, Uint8Array | Uint32Array | Int32Array> = {};
    for (const [column, type] of Object.entries(FIELD_COLUMNS)) {
      columns[column] = readers[type](`${name}.${column}`);
    }
    return { terms: strings(`${name}.terms`), columns };
  };
  const pagesSection = section('pages', 'pages');
  const pageSize =
    pagesSection.info.count === 0 ? 0 : pagesSection.info.bytes / pagesSection.info.count;
  const pages = Array.from({ length: pagesSection.info.count }, (_, i) => {
    const start = pagesSection.bytes.byteOffset + i * pageSize;
    return new Uint8Array(pagesSection.bytes.buffer.slice(start, start + pageSize));
  });
  const segment: SegmentData = {
    pages,
    poolNext: header.poolNext,
    fields: {
      text: field('text'),
      tags: field('tags'),
      tagKeys: field('tagKeys'),
      blogPosts: field('blogPosts'),
    },
    postIds: strings('postIds'),
    texts: strings('texts'),
    tags: strings('tags'),
    deleted: u32('deleted'),
    blogOrdinals: u32('blogOrdinals'),
    createdAt: f64('createdAt'),
    textLengths: u16('textLengths'),
    tagsLengths: u16('tagsLengths'),
  };
  const ids = strings('blogs.ids');
  const names = strings('blogs.names');
  const namedAtMs = f64('blogs.namedAtMs');
  const livePosts = u32('blogs.livePosts');
  if (names.length !== ids.length || namedAtMs.length !== ids.length) fail('blog columns disagree');
  const data: SearchIndexData = {
    generation: header.generation,
    segment,
    blogs: ids.map((id, i) => ({
      id,
      name: names[i] ?? '',
      namedAtMs: namedAtMs[i] ?? -1,
      livePosts: livePosts[i] ?? 0,
    })),
    removed: strings('removed'),
    removedAtMs: optional('removedAtMs', f64),
    tagKeys: strings('tagKeys'),
    tagCounts: u32('tagCounts'),
  };
  try {
    return { index: SearchIndex.restore(data, options), meta: header.meta, bytes: file.length };
  } catch (error) {
    return fail(`inconsistent: ${(error as Error).message}`);
  }
}
