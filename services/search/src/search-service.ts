import { searchv1 } from '@feedmesh/contracts';
import { bindService, type ServiceBinding } from '@feedmesh/service-kit';
import { withSpan } from '@feedmesh/telemetry';
import {
  sortKeyOf,
  type PageRequest,
  type SearchHit,
  type SearchIndex,
  type SearchResult,
} from './engine/index.js';
import type { CursorPosition, SearchCursorCodec } from './search-cursor.js';
import {
  planSearch,
  planSuggest,
  type SearchPlan,
  type TagCanonicalizer,
} from './search-request.js';

/**
 * How deep pagination goes: past this many hits, next_cursor is empty (as Elasticsearch's
 * max_result_window). A page ranks only the hits after the previous page's last one, but
 * scores every match again, and a version-1 cursor ranks everything before its offset.
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
      const position = readCursor(cursors, plan);
      const attributes = {
        'feedmesh.search.terms': plan.query.terms.length,
        'feedmesh.search.phrases': plan.query.phrases.length,
        'feedmesh.search.filters': plan.query.tags.length + plan.query.blogs.length,
        'feedmesh.search.order': plan.query.order,
        'feedmesh.search.offset': position?.offset ?? 0,
      };
      return withSpan('search.query', attributes, (span) => {
        const response = searchPage(index, cursors, plan, position);
        span.setAttribute('feedmesh.search.total_hits', response.totalHits);
        return response;
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

/** Where the request's cursor says its page starts; undefined for the first page. */
export function readCursor(
  cursors: SearchCursorCodec,
  plan: SearchPlan,
): CursorPosition | undefined {
  return plan.cursor === '' ? undefined : cursors.decode(plan.cursor, plan.query, 'cursor');
}

/**
 * One page of a validated search, at the position its cursor named, with the cursor of the
 * next page (empty after the last one, or at the depth cap).
 */
export function searchPage(
  index: SearchIndex,
  cursors: SearchCursorCodec,
  plan: SearchPlan,
  position: CursorPosition | undefined,
): searchv1.SearchResponse {
  const offset = position?.offset ?? 0;
  const limit = Math.max(0, Math.min(plan.pageSize, MAX_RESULT_WINDOW - offset));
  const result = index.search(plan.query, pageRequest(position, limit));
  const next = offset + result.hits.length;
  const last = result.hits.at(-1);
  const nextCursor =
    last !== undefined && result.more && next < MAX_RESULT_WINDOW
      ? cursors.encode(plan.query, nextPosition(position, result, next, last))
      : '';
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
    nextCursor,
  };
}

/** Where the page after this one starts. */
function nextPosition(
  position: CursorPosition | undefined,
  result: SearchResult,
  next: number,
  last: SearchHit,
): CursorPosition {
  // A version-1 chain goes on as it began: by offset under its document-id bound.
  if (position !== undefined && position.anchor === undefined) {
    return { offset: next, maxDoc: result.maxDoc, generation: result.generation };
  }
  return {
    offset: next,
    anchor: {
      createdAtBound: result.createdAtBound,
      stats: result.stats,
      last: sortKeyOf(last),
    },
  };
}

/**
 * The engine's page for a cursor position: after the previous page's last hit, among the
 * posts created by the first page's bound, scored with its statistics; a version-1 cursor
 * pages by offset under its document-id bound, as it was issued.
 */
function pageRequest(position: CursorPosition | undefined, limit: number): PageRequest {
  const anchor = position?.anchor;
  if (position === undefined) return { offset: 0, limit };
  if (anchor === undefined) {
    return {
      offset: position.offset,
      limit,
      ...(position.maxDoc === undefined ? {} : { maxDoc: position.maxDoc }),
      ...(position.generation === undefined ? {} : { generation: position.generation }),
    };
  }
  return {
    offset: 0,
    limit,
    createdAtBound: anchor.createdAtBound,
    stats: anchor.stats,
    after: anchor.last,
  };
}
