import assert from 'node:assert/strict';
import { parseQueryText } from './query-parser.js';
import { SearchIndex, type PostInput } from './search-index.js';
import type { SearchOrder, SearchQuery } from './search-query.js';

function post(postId: string, text: string, extra: Partial<PostInput> = {}): PostInput {
  return { postId, blogId: 'b1', text, tags: [], createdAtMs: 1_000, ...extra };
}

function query(index: SearchIndex, text: string, order: SearchOrder = 'relevance'): SearchQuery {
  return { ...parseQueryText(text, index.analyzer), blogIds: [], order };
}

function ids(index: SearchIndex, text: string, order: SearchOrder = 'relevance'): string[] {
  return index
    .search(query(index, text, order), { offset: 0, limit: 100 })
    .hits.map((h) => h.postId);
}

describe('SearchIndex', () => {
  it('scores a single-field match with Lucene BM25 (k1 1.2, b 0.75)', () => {
    const index = new SearchIndex();
    index.addPost(post('p1', 'apple banana'));
    index.addPost(post('p2', 'cherry date elder fig'));
    index.addPost(post('p3', 'grape'));
    const [hit] = index.search(query(index, 'apple'), { offset: 0, limit: 10 }).hits;
    const n = 3;
    const df = 1;
    const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
    const avgdl = (2 + 4 + 1) / 3;
    const tf = 1 / (1 - 0.75 + (0.75 * 2) / avgdl);
    assert.ok(hit);
    assert.ok(Math.abs(hit.score - (idf * tf) / (1.2 + tf)) < 1e-12, `score ${hit.score}`);
  });

  it('ranks posts matching more query words first, then by BM25F', () => {
    const index = new SearchIndex();
    index.addPost(post('one-word-many-times', 'panda panda panda panda panda'));
    index.addPost(post('both-words', 'a red panda in a long long long text about many things'));
    index.addPost(post('other-word', 'red'));
    index.addPost(post('unrelated', 'cats'));
    assert.deepEqual(ids(index, 'red panda'), ['both-words', 'one-word-many-times', 'other-word']);
  });

  it('finds "runs" when asked for "running" (stemming)', () => {
    const index = new SearchIndex();
    index.addPost(post('p1', 'She runs every morning'));
    assert.deepEqual(ids(index, 'running'), ['p1']);
  });

  it('matches quoted phrases in order only, across a stop-word gap', () => {
    const index = new SearchIndex();
    index.addPost(post('in-order', 'I saw a red panda today'));
    index.addPost(post('reversed', 'the panda was red'));
    index.addPost(post('gap', 'cats of the world unite'));
    assert.deepEqual(ids(index, '"red panda"'), ['in-order']);
    assert.deepEqual(ids(index, '"cats of the world"'), ['gap']);
    assert.deepEqual(ids(index, '"cats world"'), []);
  });

  it('requires every phrase but only one of the words', () => {
    const index = new SearchIndex();
    index.addPost(post('phrase-and-word', 'red panda eating bamboo'));
    index.addPost(post('phrase-only', 'red panda sleeping'));
    index.addPost(post('word-only', 'bamboo forest'));
    assert.deepEqual(ids(index, '"red panda" bamboo'), ['phrase-and-word', 'phrase-only']);
  });

  it('filters by #tag and blog: name, alone or with words', () => {
    const index = new SearchIndex();
    index.addPost(post('cat-post', 'my cat', { tags: ['Cats', 'cute'], blogId: 'b1' }));
    index.addPost(post('dog-post', 'my dog', { tags: ['dogs', 'cute'], blogId: 'b2' }));
    index.addPost(post('cat-b2', 'another cat', { tags: ['cats'], blogId: 'b2' }));
    index.nameBlog('b2', 'Dog-Days', 1);
    assert.deepEqual(ids(index, '#cats').sort(), ['cat-b2', 'cat-post']);
    assert.deepEqual(ids(index, '#cats #cute'), ['cat-post']);
    assert.deepEqual(ids(index, 'cat blog:dog-days'), ['cat-b2']);
    assert.deepEqual(ids(index, 'cat blog:b1'), ['cat-post'], 'blog: also takes an id');
    assert.deepEqual(ids(index, 'cat #nosuchtag'), []);
    assert.deepEqual(ids(index, 'cat blog:nosuchblog'), []);
    const filtered = index.search(
      { ...query(index, 'cat'), blogIds: ['b2'] },
      { offset: 0, limit: 10 },
    );
    assert.deepEqual(
      filtered.hits.map((h) => h.postId),
      ['cat-b2'],
    );
  });

  it('admits a post carrying any key of a tag filter, once, and still ANDs the filters', () => {
    const index = new SearchIndex();
    index.addPost(post('cat', 'tabby', { tags: ['cat'], createdAtMs: 1 }));
    index.addPost(post('Cats', 'tabby', { tags: ['Cats'], derivedTags: ['cat'], createdAtMs: 2 }));
    index.addPost(post('cat-dog', 'tabby', { tags: ['cat', 'dog'], createdAtMs: 3 }));
    index.addPost(post('dog', 'tabby', { tags: ['dog'], createdAtMs: 4 }));
    const tagAlternatives = new Map([['cats', ['cat']]]);
    const run = (text: string, alternatives = tagAlternatives) =>
      index.search(
        { ...query(index, text), tagAlternatives: alternatives },
        { offset: 0, limit: 10 },
      );
    const filterOnly = run('#cats');
    assert.deepEqual(
      filterOnly.hits.map((h) => h.postId),
      ['cat-dog', 'Cats', 'cat'],
    );
    assert.equal(filterOnly.totalHits, 3, 'a post under both keys counts once');
    assert.equal(run('tabby #cats').totalHits, 3);
    assert.deepEqual(
      run('tabby #cats #dog').hits.map((h) => h.postId),
      ['cat-dog'],
    );
    assert.deepEqual(
      run('#cats', new Map()).hits.map((h) => h.postId),
      ['Cats'],
      'without alternatives, only the typed tag',
    );
    const catHit = run('#cats').hits.find((h) => h.postId === 'cat');
    assert.deepEqual(catHit?.highlights, [{ field: 'tags', snippet: '«cat»' }]);
  });

  it('orders by recency when asked, newest first', () => {
    const index = new SearchIndex();
    index.addPost(post('old', 'panda panda panda', { createdAtMs: 1 }));
    index.addPost(post('new', 'a panda', { createdAtMs: 3 }));
    index.addPost(post('middle', 'panda', { createdAtMs: 2 }));
    assert.deepEqual(ids(index, 'panda', 'recency'), ['new', 'middle', 'old']);
  });

  it('forgets a deleted post, and keeps out a PostCreated that arrives after its deletion', () => {
    const index = new SearchIndex();
    index.addPost(post('p1', 'panda'));
    assert.equal(index.deletePost('p1'), true);
    assert.deepEqual(ids(index, 'panda'), []);
    assert.equal(index.deletePost('p2'), false);
    assert.equal(index.addPost(post('p2', 'panda')), 'deleted');
    assert.equal(index.addPost(post('p3', 'panda')), 'added');
    assert.equal(index.addPost(post('p3', 'panda again')), 'duplicate');
    assert.deepEqual(ids(index, 'panda'), ['p3']);
    assert.equal(index.stats().documents, 1);
  });

  it('keeps a deleted post id out for the tombstone retention, then forgets it', () => {
    let now = 1_000_000;
    const index = new SearchIndex({ tombstoneRetentionMs: 60_000, now: () => now });
    index.addPost(post('p1', 'panda'));
    index.deletePost('p1');
    index.deletePost('never-indexed');
    now += 60_000;
    assert.equal(index.addPost(post('p1', 'panda')), 'deleted', 'redelivered within retention');
    assert.equal(index.addPost(post('never-indexed', 'panda')), 'deleted');
    assert.deepEqual(ids(index, 'panda'), []);
    now += 1;
    assert.equal(index.addPost(post('p1', 'panda')), 'added', 'older than the retention');
    assert.deepEqual(ids(index, 'panda'), ['p1']);
  });

  it('holds only the deleted post ids within the retention, however many were deleted', () => {
    let now = 1_000_000;
    const index = new SearchIndex({ tombstoneRetentionMs: 60_000, now: () => now });
    for (let i = 0; i < 5_000; i += 1) index.deletePost(`old-${i}`);
    assert.equal(index.stats().tombstones, 5_000);
    now += 30_000;
    index.deletePost('recent');
    assert.equal(index.stats().tombstones, 5_001);
    now += 30_001;
    index.deletePost('newest');
    assert.equal(index.stats().tombstones, 2, 'the 5,000 older than 60 s are gone');
    assert.equal(index.addPost(post('recent', 'x')), 'deleted');
    assert.equal(index.addPost(post('old-7', 'x')), 'added');
  });

  it('times a repeated deletion from its latest delivery', () => {
    let now = 1_000_000;
    const index = new SearchIndex({ tombstoneRetentionMs: 60_000, now: () => now });
    index.deletePost('p1');
    now += 50_000;
    index.deletePost('p1');
    now += 50_000;
    assert.equal(index.addPost(post('p1', 'panda')), 'deleted');
    assert.equal(index.stats().tombstones, 1);
  });

  it('refuses a tombstone retention that is not a positive number, naming it', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => new SearchIndex({ tombstoneRetentionMs: bad }),
        /tombstoneRetentionMs: must be a positive number of milliseconds/,
      );
    }
  });

  it('gives a blog name that arrives after the posts to all of them', () => {
    const index = new SearchIndex();
    index.addPost(post('p1', 'hello', { blogId: 'b9' }));
    index.addPost(post('p2', 'world', { blogId: 'b9' }));
    assert.deepEqual(ids(index, 'zookeeper'), []);
    index.nameBlog('b9', 'zookeeper-notes', 10);
    assert.deepEqual(ids(index, 'zookeeper').sort(), ['p1', 'p2']);
    assert.equal(index.nameBlog('b9', 'older-name', 5), false, 'an older BlogCreated loses');
    assert.deepEqual(ids(index, 'blog:zookeeper-notes').sort(), ['p1', 'p2']);
  });

  it('answers the same after compaction drops deleted postings', () => {
    const index = new SearchIndex({ compactMinDeleted: 1_000_000 });
    for (let i = 0; i < 200; i += 1) {
      index.addPost(
        post(`p${i}`, `panda number ${i} ${i % 3 === 0 ? 'bamboo' : ''}`, {
          createdAtMs: i,
          tags: [`t${i % 5}`],
        }),
      );
    }
    for (let i = 0; i < 200; i += 2) index.deletePost(`p${i}`);
    const before = ids(index, 'panda bamboo #t1');
    const beforeScores = index.search(query(index, 'bamboo'), { offset: 0, limit: 100 }).hits;
    index.compact();
    assert.equal(index.generation, 1);
    assert.deepEqual(ids(index, 'panda bamboo #t1'), before);
    const afterScores = index.search(query(index, 'bamboo'), { offset: 0, limit: 100 }).hits;
    assert.deepEqual(
      afterScores.map((h) => [h.postId, h.score]),
      beforeScores.map((h) => [h.postId, h.score]),
    );
    assert.equal(index.stats().deletedDocuments, 0);
  });

  it('pages through results without overlap, unaffected by posts created meanwhile', () => {
    const index = new SearchIndex();
    for (let i = 0; i < 25; i += 1) index.addPost(post(`p${i}`, 'panda', { createdAtMs: i }));
    const q = query(index, 'panda', 'recency');
    const first = index.search(q, { offset: 0, limit: 10 });
    index.addPost(post('newcomer', 'panda', { createdAtMs: 100 }));
    const page = { maxDoc: first.maxDoc, generation: first.generation };
    const second = index.search(q, { offset: 10, limit: 10, ...page });
    const third = index.search(q, { offset: 20, limit: 10, ...page });
    const all = [...first.hits, ...second.hits, ...third.hits].map((h) => h.postId);
    assert.equal(all.length, 25);
    assert.equal(new Set(all).size, 25);
    assert.equal(first.totalHits, 25);
    assert.ok(!all.includes('newcomer'));
  });

  it('marks matches in a snippet of at most 200 chars around the best match', () => {
    const index = new SearchIndex();
    const text = `${'filler words here. '.repeat(30)}The red panda climbs trees. ${'more filler. '.repeat(30)}`;
    index.addPost(post('p1', text, { tags: ['Red Pandas', 'zoo'] }));
    index.nameBlog('b1', 'panda-fans', 1);
    const [hit] = index.search(query(index, 'red panda'), { offset: 0, limit: 1 }).hits;
    const highlight = (field: string) => hit?.highlights.find((h) => h.field === field)?.snippet;
    const snippet = highlight('text') ?? '';
    assert.ok(snippet.length <= 200, `${snippet.length} chars`);
    assert.match(snippet, /«red» «panda» climbs trees/);
    assert.ok(snippet.startsWith('…') && snippet.endsWith('…'));
    assert.equal(highlight('tags'), '«Red» «Pandas», zoo');
    assert.equal(highlight('blog'), '«panda»-fans');
  });

  it('never splits a surrogate pair or exceeds 200 chars in a snippet of emoji and CJK', () => {
    const index = new SearchIndex();
    index.addPost(post('p1', `${'🐼'.repeat(150)} 熊猫 panda ${'猫'.repeat(300)}`));
    const [hit] = index.search(query(index, 'panda 熊猫'), { offset: 0, limit: 1 }).hits;
    const snippet = hit?.highlights[0]?.snippet ?? '';
    assert.ok(snippet.length <= 200);
    assert.match(snippet, /«熊猫» «panda»/);
    assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])/.test(snippet), 'no lone high surrogate');
  });

  it('returns nothing for a query of stop words only', () => {
    const index = new SearchIndex();
    index.addPost(post('p1', 'to be or not to be'));
    assert.deepEqual(ids(index, 'to be or not'), []);
  });

  it('suggests tags and blog names by popularity, and forgets deleted posts', () => {
    const index = new SearchIndex();
    let n = 0;
    const add = (tags: string[], blogId: string) =>
      index.addPost(post(`p${n++}`, 'x', { tags, blogId }));
    for (let i = 0; i < 3; i += 1) add(['catsofinstagram'], 'b1');
    add(['cats'], 'b2');
    add(['cats'], 'b2');
    add(['caterpillar'], 'b2');
    index.nameBlog('b1', 'catlady', 1);
    index.nameBlog('b2', 'CatFacts', 1);
    index.nameBlog('b3', 'catnap', 1);
    assert.deepEqual(index.suggestTags('#Cat', 10), [
      { tag: 'catsofinstagram', count: 3 },
      { tag: 'cats', count: 2 },
      { tag: 'caterpillar', count: 1 },
    ]);
    assert.deepEqual(index.suggestTags('cat', 1), [{ tag: 'catsofinstagram', count: 3 }]);
    assert.deepEqual(
      index.suggestBlogs('cat', 10).map((b) => [b.name, b.count]),
      [
        ['CatFacts', 3],
        ['catlady', 3],
        ['catnap', 0],
      ],
    );
    index.deletePost('p5');
    assert.deepEqual(index.suggestTags('caterp', 10), []);
  });
});
