import assert from 'node:assert/strict';
import { InvalidArgumentError } from '@feedmesh/errors';
import type { SearchQuery } from './engine/index.js';
import { SearchCursorCodec } from './search-cursor.js';
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
