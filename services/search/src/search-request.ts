import { searchv1 } from '@feedmesh/contracts';
import { InvalidArgumentError } from '@feedmesh/errors';
import {
  optionalId,
  requireEnum,
  requireMaxItems,
  requirePageSize,
  requireRange,
  requireText,
} from '@feedmesh/service-kit';
import {
  addTagAlternative,
  normalizeKeyword,
  parseQueryText,
  type Analyzer,
  type SearchQuery,
} from './engine/index.js';

export const MAX_QUERY_LENGTH = 512;
export const MAX_TAG_FILTERS = 10;
const MAX_TAG_LENGTH = 64;
export const MAX_PREFIX_LENGTH = 64;
export const DEFAULT_SUGGESTIONS = 10;
export const MAX_SUGGESTIONS = 50;

/** A validated SearchRequest in the engine's terms. */
export interface SearchPlan {
  readonly query: SearchQuery;
  readonly pageSize: number;
  readonly cursor: string;
}

/** Gives the canonical form of a tag as typed ('' for none): `PostTagger`. */
export interface TagCanonicalizer {
  canonicalTag(raw: string): string;
}

/**
 * Validates every field (InvalidArgumentError naming it) and parses the query text. With a
 * canonicalizer, each tag filter (`#tag` or a request tag) also admits the posts filed under
 * the tag's canonical form, as posts are filed under their tags' (see `PostTagger`).
 */
export function planSearch(
  request: searchv1.SearchRequest,
  analyzer: Analyzer,
  tagger?: TagCanonicalizer,
): SearchPlan {
  const text = requireText(request.query.trim(), 'query', { min: 1, max: MAX_QUERY_LENGTH });
  requireMaxItems(request.tags, 'tags', MAX_TAG_FILTERS);
  const canonicalTag = tagger && ((raw: string) => tagger.canonicalTag(raw));
  const parsed = parseQueryText(text, analyzer, canonicalTag ? { canonicalTag } : {});
  const tagAlternatives = new Map<string, string[]>();
  for (const [tag, keys] of parsed.tagAlternatives) tagAlternatives.set(tag, [...keys]);
  const tags = request.tags.map((tag, i) => {
    const field = `tags[${i}]`;
    if (tag.length > MAX_TAG_LENGTH) {
      throw new InvalidArgumentError(field, `must be at most ${MAX_TAG_LENGTH} characters`);
    }
    const key = normalizeKeyword(tag);
    if (key === '') throw new InvalidArgumentError(field, 'must not be empty');
    addTagAlternative(tagAlternatives, key, tag, canonicalTag);
    return key;
  });
  const blogId = optionalId(request.blogId, 'blog_id');
  const order = requireEnum(request.order, searchv1.SearchOrder, 'order', {
    allowUnspecified: true,
  });
  const pageSize = requirePageSize(request.pageSize, 'page_size');
  return {
    query: {
      ...parsed,
      tags: [...new Set([...parsed.tags, ...tags])],
      tagAlternatives,
      blogIds: blogId === '' ? [] : [blogId],
      order: order === searchv1.SearchOrder.SEARCH_ORDER_RECENCY ? 'recency' : 'relevance',
    },
    pageSize,
    cursor: request.cursor,
  };
}

export interface SuggestPlan {
  readonly prefix: string;
  readonly limit: number;
  readonly tags: boolean;
  readonly blogs: boolean;
}

export function planSuggest(request: searchv1.SuggestRequest): SuggestPlan {
  const prefix = requireText(request.prefix.trim(), 'prefix', { min: 1, max: MAX_PREFIX_LENGTH });
  const limit =
    request.limit === 0
      ? DEFAULT_SUGGESTIONS
      : requireRange(request.limit, 'limit', 1, MAX_SUGGESTIONS);
  const kinds = new Set(
    request.kinds.map((kind, i) => requireEnum(kind, searchv1.SuggestionKind, `kinds[${i}]`)),
  );
  const anyKind = kinds.size === 0;
  const tagsOnly = prefix.startsWith('#');
  return {
    prefix,
    limit,
    tags: anyKind || kinds.has(searchv1.SuggestionKind.SUGGESTION_KIND_TAG),
    blogs: !tagsOnly && (anyKind || kinds.has(searchv1.SuggestionKind.SUGGESTION_KIND_BLOG)),
  };
}
