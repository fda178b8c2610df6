import assert from 'node:assert/strict';
import { TagVocabulary, trainContentModels } from '@feedmesh/content';
import type { eventsv1 } from '@feedmesh/contracts';
import { parseQueryText } from './engine/query-parser.js';
import { SearchIndex } from './engine/search-index.js';
import { PostIndexer } from './post-indexer.js';
import { PostTagger } from './post-tagger.js';
import { planSearch } from './search-request.js';

let n = 0;
function created(postId: string, text: string, tags: string[] = []): eventsv1.Event {
  return {
    eventId: `e${++n}`,
    atMs: 1_000 + n,
    payload: {
      $case: 'postCreated',
      value: { postId, blogId: 'b1', text, tags, mediaKind: 1, reblogOf: '' },
    },
  };
}

function search(index: SearchIndex, text: string, tags: string[] = []) {
  return index.search(
    { ...parseQueryText(text, index.analyzer), tags, blogIds: [], order: 'relevance' },
    { offset: 0, limit: 100 },
  ).hits;
}

const MUSIC = [
  'Spinning an old vinyl record on the turntable tonight.',
  'A new stylus for the turntable; the vinyl sounds warmer.',
  'Cleaning vinyl records before they go back on the turntable.',
  'The album on vinyl: side A, then the turntable plays side B.',
];
const BAKING = [
  'Sourdough bread with a lively starter and a long proof.',
  'The bread dough rose overnight; baked it in a hot oven.',
  'Rye flour makes a dense sourdough loaf with a dark crust.',
  'Kneading dough for bread, then an hour of proofing.',
];

/** Content models trained on tagged posts about music and baking. */
function trainedTagger(): PostTagger {
  const posts = [
    ...MUSIC.map((text, i) => ({ postId: `m${i}`, text, tags: ['Music'] })),
    ...BAKING.map((text, i) => ({ postId: `b${i}`, text, tags: ['baking'] })),
  ];
  return new PostTagger(trainContentModels(posts, [], { encoder: { dim: 8 } }));
}

describe('PostTagger and the indexer', () => {
  it('files a post under the canonical form of its tags, showing the author’s own', () => {
    const index = new SearchIndex();
    new PostIndexer(index).apply(created('p', 'A sleepy afternoon', ['#Cats', 'Dogs']));
    const hits = search(index, '', ['cat']);
    assert.deepEqual(
      hits.map((h) => h.postId),
      ['p'],
    );
    assert.deepEqual(hits[0]!.tags, ['#Cats', 'Dogs']);
    assert.deepEqual(
      search(index, '', ['cats']).map((h) => h.postId),
      ['p'],
      'the author’s tag still filters',
    );
  });

  it('filters on the typed tag or its canonical form now, whatever models filed a post', () => {
    const vocabulary = (synonyms: Record<string, string>) =>
      TagVocabulary.fromJSON({ format: 'feedmesh.tag-vocabulary/1', synonyms, counts: {} });
    const index = new SearchIndex();
    const tagger = new PostTagger({ vocabulary: vocabulary({ scifi: 'science fiction' }) });
    const indexer = new PostIndexer(index, tagger);
    indexer.apply(created('old-scifi', 'Dune again', ['scifi']));
    tagger.useModels({ vocabulary: vocabulary({ scifi: 'sci-fi' }) });
    indexer.apply(created('new-scifi', 'Dune again', ['SciFi']));
    indexer.apply(created('sci-fi', 'Dune again', ['Sci-Fi']));
    indexer.apply(created('books', 'Dune again', ['books']));
    const found = (query: string, tags: string[] = []) =>
      index
        .search(
          planSearch(
            { query, tags, blogId: '', order: 0, pageSize: 10, cursor: '' },
            index.analyzer,
            tagger,
          ).query,
          { offset: 0, limit: 10 },
        )
        .hits.map((h) => h.postId)
        .sort();
    assert.deepEqual(found('dune #scifi'), ['new-scifi', 'old-scifi', 'sci-fi']);
    assert.deepEqual(found('dune', ['SCIFI']), ['new-scifi', 'old-scifi', 'sci-fi']);
    assert.deepEqual(found('dune #sci-fi'), ['new-scifi', 'sci-fi']);
    assert.deepEqual(found('dune', ['science fiction']), ['old-scifi'], 'the old canonical form');
    assert.deepEqual(found('dune #scifi #books'), []);
  });

  it('finds an untagged post by the tags its text implies', () => {
    const index = new SearchIndex();
    const indexer = new PostIndexer(index, trainedTagger());
    indexer.apply(created('vinyl', 'Found a rare vinyl record for my turntable.'));
    indexer.apply(created('bread', 'My first sourdough bread, a bit dense.'));
    assert.deepEqual(
      search(index, '', ['music']).map((h) => h.postId),
      ['vinyl'],
    );
    assert.deepEqual(
      search(index, 'baking').map((h) => h.postId),
      ['bread'],
      'the inferred tag is searchable as a word the text does not contain',
    );
    assert.deepEqual(search(index, '', ['music'])[0]!.tags, [], 'inferred tags are not shown');
  });

  it('does not infer tags without a model', () => {
    const index = new SearchIndex();
    new PostIndexer(index).apply(created('vinyl', 'Found a rare vinyl record for my turntable.'));
    assert.deepEqual(search(index, '', ['music']), []);
  });

  it('keeps derived tags through a compaction and a snapshot restore', () => {
    const index = new SearchIndex();
    const indexer = new PostIndexer(index, trainedTagger());
    indexer.apply(created('vinyl', 'Found a rare vinyl record for my turntable.'));
    index.compact();
    assert.deepEqual(
      search(index, '', ['music']).map((h) => h.postId),
      ['vinyl'],
    );
    const restored = SearchIndex.restore(index.exportData());
    assert.deepEqual(
      search(restored, '', ['music']).map((h) => h.postId),
      ['vinyl'],
    );
    restored.compact();
    assert.deepEqual(
      search(restored, 'music').map((h) => h.postId),
      ['vinyl'],
    );
    assert.deepEqual(search(restored, 'music')[0]!.tags, []);
  });
});
