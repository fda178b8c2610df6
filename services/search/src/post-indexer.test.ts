import assert from 'node:assert/strict';
import type { eventsv1 } from '@feedmesh/contracts';
import { parseQueryText } from './engine/query-parser.js';
import { SearchIndex } from './engine/search-index.js';
import { PostIndexer } from './post-indexer.js';

function created(postId: string, text: string): eventsv1.Event {
  return {
    eventId: `e-${postId}`,
    atMs: 1_000,
    payload: {
      $case: 'postCreated',
      value: { postId, blogId: 'b1', text, tags: [], mediaKind: 1, reblogOf: '' },
    },
  };
}

function textSnippet(index: SearchIndex, query: string): string | undefined {
  const [hit] = index.search(
    { ...parseQueryText(query, index.analyzer), tags: [], blogIds: [], order: 'relevance' },
    { offset: 0, limit: 10 },
  ).hits;
  return hit?.highlights.find((h) => h.field === 'text')?.snippet;
}

describe('PostIndexer', () => {
  it('decodes a post’s character references once, and compaction and snapshots keep them so', () => {
    const index = new SearchIndex();
    new PostIndexer(index).apply(created('html', 'Escape it as &amp;lt;b&amp;gt; in HTML'));
    const shown = '«Escape» it as &lt;b&gt; in HTML';
    assert.equal(textSnippet(index, 'escaping'), shown);
    index.compact();
    assert.equal(textSnippet(index, 'escaping'), shown);
    const restored = SearchIndex.restore(index.exportData());
    restored.compact();
    assert.equal(textSnippet(restored, 'escaping'), shown);
  });
});
