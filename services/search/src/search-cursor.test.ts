import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { InvalidArgumentError } from '@feedmesh/errors';
import type { SearchQuery } from './engine/index.js';
import { fingerprint, SearchCursorCodec } from './search-cursor.js';
import { searchGroupName } from './search-group.js';

const query: SearchQuery = {
  terms: ['panda'],
  phrases: [],
  tags: ['cute'],
  blogs: [],
  blogIds: [],
  order: 'relevance',
};

describe('SearchCursorCodec', () => {
  const codec = new SearchCursorCodec('secret');
  const position = { offset: 20, maxDoc: 41, generation: 2 };

  it('round-trips a position for the same query', () => {
    assert.deepEqual(codec.decode(codec.encode(query, position), query), position);
  });

  it("round-trips the creation-time bound, the first page's statistics and its last hit", () => {
    const anchored = {
      offset: 10,
      anchor: {
        createdAtBound: 1_764_000_000_123,
        stats: {
          docs: 42,
          textLengthSum: 400,
          tagsLengthSum: 30,
          blogLengthSum: 84,
          termDocs: new Map([['panda', 7]]),
          phraseDocs: [3],
        },
        last: { matchedClauses: 1, score: 0.1 + 0.2, createdAtMs: 1_764_000_000_001, postId: 'p9' },
      },
    };
    assert.deepEqual(codec.decode(codec.encode(query, anchored), query), anchored);
  });

  it('refuses a signed cursor whose page anchor is malformed', () => {
    const sign = (body: unknown) => {
      const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
      const mac = createHmac('sha256', 'secret').update(payload).digest().subarray(0, 12);
      return `${payload}.${mac.toString('base64url')}`;
    };
    const f = fingerprint(query);
    const good = {
      v: 2,
      f,
      o: 10,
      t: 5,
      n: [1, 2, 3, 4],
      d: [['panda', 1]],
      p: [],
      k: [1, 0.5, 5, 'p1'],
    };
    assert.equal(codec.decode(sign(good), query).offset, 10);
    for (const bad of [
      { ...good, t: null },
      { ...good, n: [1, 2, 3] },
      { ...good, d: [['panda', -1]] },
      { ...good, k: [1, 0.5, 5] },
      { ...good, v: 3 },
    ]) {
      assert.throws(
        () => codec.decode(sign(bad), query),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === 'cursor',
        JSON.stringify(bad),
      );
    }
  });

  it('refuses a cursor issued for another query or order', () => {
    const cursor = codec.encode(query, position);
    for (const other of [
      { ...query, terms: ['red'] },
      { ...query, order: 'recency' as const },
    ]) {
      assert.throws(
        () => codec.decode(cursor, other),
        (e: unknown) =>
          e instanceof InvalidArgumentError &&
          e.field === 'cursor' &&
          /different query/.test(e.problem),
      );
    }
  });

  it('accepts a cursor whose tag filters resolve to other canonical forms meanwhile', () => {
    const before = { ...query, tagAlternatives: new Map([['cute', ['cutie']]]) };
    const after = { ...query, tagAlternatives: new Map([['cute', ['adorable']]]) };
    assert.deepEqual(codec.decode(codec.encode(before, position), after), position);
    assert.deepEqual(codec.decode(codec.encode(query, position), after), position);
  });

  it('refuses a tampered, foreign-secret or garbage cursor', () => {
    const cursor = codec.encode(query, position);
    const [payload, mac] = cursor.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()), o: 0 }),
    ).toString('base64url');
    const candidates = [
      `${forgedPayload}.${mac}`,
      new SearchCursorCodec('other-secret').encode(query, position),
      'not-a-cursor',
      `${cursor}.extra`,
      '',
    ];
    for (const bad of candidates) {
      assert.throws(
        () => codec.decode(bad, query),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === 'cursor',
        bad,
      );
    }
  });
});

describe('searchGroupName', () => {
  it('gives each replica its own valid, stable group', () => {
    assert.equal(searchGroupName('search-7d9f-abc'), 'search:search-7d9f-abc');
    assert.equal(searchGroupName('pod/with spaces'), 'search:pod_with_spaces');
    const long = searchGroupName('x'.repeat(100));
    assert.match(long, /^[A-Za-z0-9_.:-]{1,64}$/);
    assert.equal(searchGroupName('x'.repeat(100)), long);
    assert.notEqual(searchGroupName('x'.repeat(99)), long);
  });

  it('names the other slots of the snapshot rotation apart, long names included', () => {
    assert.equal(searchGroupName('pod-1', 2), 'search:pod-1:2');
    const slots = [0, 1, 2].map((slot) => searchGroupName('y'.repeat(100), slot));
    assert.equal(new Set(slots).size, 3);
    for (const name of slots) assert.match(name, /^[A-Za-z0-9_.:-]{1,64}$/);
  });
});
