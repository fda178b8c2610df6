import { searchv1 } from '@feedmesh/contracts';
import { bindService, type ServiceBinding } from '@feedmesh/service-kit';
import { withSpan } from '@feedmesh/telemetry';
import type { SearchIndex } from './engine/index.js';
import type { SearchCursorCodec } from './search-cursor.js';
import { planSearch, planSuggest, type TagCanonicalizer } from './search-request.js';

/**
 * How deep pagination goes: each page ranks everything before it, so the cost of page n grows
 * with n. Past this, next_cursor is empty (as Elasticsearch's max_result_window).
 */
export const MAX_RESULT_WINDOW = 10_000;

export interface SearchServiceDeps {
  readonly index: SearchIndex;
  readonly cursors: SearchCursorCodec;
  /**
   * The tagger the index's posts are tagged with: a tag filter also admits the posts filed
   * under the tag's canonical form. Without it, filters match the typed tag only.
   */
  readonly tagger?: TagCanonicalizer;
}

/** The SearchService implementation: validation and mapping around the in-memory index. */
export function searchService(deps: SearchServiceDeps): ServiceBinding {
  const { index, cursors, tagger } = deps;
  return bindService(searchv1.SearchServiceDefinition, {
    async search(request: searchv1.SearchRequest): Promise<searchv1.SearchResponse> {
      const plan = planSearch(request, index.analyzer, tagger);
      const position =
        plan.cursor === '' ? undefined : cursors.decode(plan.cursor, plan.query, 'cursor');
      const offset = position?.offset ?? 0;
      const limit = Math.max(0, Math.min(plan.pageSize, MAX_RESULT_WINDOW - offset));
      const attributes = {
        'feedmesh.search.terms': plan.query.terms.length,
        'feedmesh.search.phrases': plan.query.phrases.length,
        'feedmesh.search.filters': plan.query.tags.length + plan.query.blogs.length,
        'feedmesh.search.order': plan.query.order,
        'feedmesh.search.offset': offset,
      };
      return withSpan('search.query', attributes, (span) => {
        const result = index.search(plan.query, {
          offset,
          limit,
          ...(position === undefined
            ? {}
            : { maxDoc: position.maxDoc, generation: position.generation }),
        });
        span.setAttribute('feedmesh.search.total_hits', result.totalHits);
        const next = offset + result.hits.length;
        const more = result.hits.length > 0 && next < Math.min(result.totalHits, MAX_RESULT_WINDOW);
        return {
          hits: result.hits.map((hit) => ({
            postId: hit.postId,
            blogId: hit.blogId,
            score: hit.score,
            tags: [...hit.tags],
            createdAtMs: hit.createdAtMs,
            highlights: hit.highlights.map((h) => ({ field: h.field, snippet: h.snippet })),
          })),
          totalHits: result.totalHits,
          nextCursor: more
            ? cursors.encode(plan.query, {
                offset: next,
                maxDoc: result.maxDoc,
                generation: result.generation,
              })
            : '',
        };
      });
    },

    async suggest(request: searchv1.SuggestRequest): Promise<searchv1.SuggestResponse> {
      const plan = planSuggest(request);
      const suggestions: searchv1.Suggestion[] = [];
      if (plan.tags) {
        for (const { tag, count } of index.suggestTags(plan.prefix, plan.limit)) {
          suggestions.push({
            kind: searchv1.SuggestionKind.SUGGESTION_KIND_TAG,
            text: tag,
            blogId: '',
            count,
          });
        }
      }
      if (plan.blogs) {
        for (const { blogId, name, count } of index.suggestBlogs(plan.prefix, plan.limit)) {
          suggestions.push({
            kind: searchv1.SuggestionKind.SUGGESTION_KIND_BLOG,
            text: name,
            blogId,
            count,
          });
        }
      }
      suggestions.sort(
        (a, b) => b.count - a.count || a.kind - b.kind || a.text.localeCompare(b.text),
      );
      return { suggestions: suggestions.slice(0, plan.limit) };
    },
  });
}
